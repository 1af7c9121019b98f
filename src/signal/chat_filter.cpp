#include "signal/chat_filter.hpp"

#include <glib.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "common/config.hpp"
#include "signal/builtin_wordlist.hpp"
#include "signal/utf8_decode.hpp"

namespace turnpike::signal {
namespace {

constexpr char32_t zero_width_joiner = 0x200D;
constexpr uint32_t no_node = UINT32_MAX;

// Emoji and the like, which a zero-width joiner may glue together.
bool is_symbol(char32_t c) {
    GUnicodeType type = g_unichar_type(c);
    return type == G_UNICODE_OTHER_SYMBOL || type == G_UNICODE_MODIFIER_SYMBOL ||
           c == 0xFE0F;  // emoji presentation selector
}

// Zero-width and bidi characters clean_chat_text strips (its header says why).
bool is_invisible(char32_t c) {
    return (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Whether clean_chat_text drops `c`, given the last code point it kept and
// the one after `c` in the input.
bool stripped(char32_t c, char32_t previous, char32_t next) {
    if (c < 0x20) {
        return c != '\n';  // a tab is a space by now
    }
    if (c >= 0x7F && c <= 0x9F) {
        return true;
    }
    if (c == zero_width_joiner) {
        return !(is_symbol(previous) && is_symbol(next));
    }
    return is_invisible(c);
}

bool is_ascii_digit(char32_t c) {
    return c >= '0' && c <= '9';
}

char32_t code_point_at(std::string_view text, size_t pos) {
    return pos < text.size() ? decode_utf8(text, pos).code_point : 0;
}

// The first `max_chars` code points of `text`, without trailing white space
// or a joiner left dangling by the cut.
void cut(std::string& text, size_t max_chars) {
    size_t pos = 0;
    size_t visible_end = 0;
    for (size_t count = 0; pos < text.size() && count < max_chars; ++count) {
        Utf8Char ch = decode_utf8(text, pos);
        pos += ch.length;
        if (!g_unichar_isspace(ch.code_point) && ch.code_point != zero_width_joiner) {
            visible_end = pos;
        }
    }
    if (pos < text.size()) {
        text.resize(visible_end);
    }
}

size_t code_points(std::string_view bytes) {
    // Lead bytes, and invalid bytes apply() copies one by one, all start one.
    return static_cast<size_t>(std::count_if(bytes.begin(), bytes.end(), [](char b) {
        return (static_cast<uint8_t>(b) & 0xC0) != 0x80;
    }));
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view blanks = " \t\r\v\f";
    size_t first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

// Where `text` stops being valid UTF-8, or npos.
size_t invalid_utf8_at(std::string_view text) {
    for (size_t pos = 0; pos < text.size();) {
        Utf8Char ch = decode_utf8(text, pos);
        if (ch.length == 0) {
            return pos;
        }
        pos += ch.length;
    }
    return std::string_view::npos;
}

// Fixed room for the trie states a match attempt follows at once. Each state
// is a different prefix of some entry consistent with the text so far, which
// is a handful even for text made of "1" and "l"; more are dropped.
constexpr size_t max_states = 32;

struct StateSet {
    std::array<uint32_t, max_states> nodes;
    size_t size = 0;

    void add(uint32_t node) {
        if (node == no_node || size == max_states ||
            std::find(nodes.begin(), nodes.begin() + size, node) != nodes.begin() + size) {
            return;
        }
        nodes[size++] = node;
    }
    std::span<const uint32_t> items() const { return {nodes.data(), size}; }
};

}  // namespace

std::optional<std::string> clean_chat_text(std::string_view raw, size_t max_chars) {
    std::string out;
    out.reserve(raw.size());
    size_t content_end = 0;  // out's size after its last visible character
    size_t line_end = 0;     // after the last visible character or newline
    unsigned newlines = 0;   // in the current run
    char32_t previous = 0;
    for (size_t pos = 0; pos < raw.size();) {
        Utf8Char ch = decode_utf8(raw, pos);
        if (ch.length == 0) {
            return std::nullopt;
        }
        std::string_view bytes = raw.substr(pos, ch.length);
        pos += ch.length;
        char32_t c = ch.code_point;
        if (c == '\t') {
            c = ' ';
            bytes = " ";
        } else if (c == 0x2028 || c == 0x2029) {
            c = '\n';
            bytes = "\n";
        }
        if (stripped(c, previous, code_point_at(raw, pos))) {
            continue;
        }
        previous = c;
        if (c == '\n') {
            out.resize(line_end);  // the line's trailing white space
            if (content_end != 0 && ++newlines <= 2) {
                out += '\n';
            }
            line_end = out.size();
        } else if (g_unichar_isspace(c)) {
            if (content_end != 0) {
                out += bytes;
            }
        } else {
            out += bytes;
            content_end = line_end = out.size();
            newlines = 0;
        }
    }
    out.resize(content_end);
    cut(out, max_chars);
    if (out.empty()) {
        return std::nullopt;
    }
    return out;
}

ChatFilter::ChatFilter() : nodes_(1) {}

ChatFilter ChatFilter::from_words(std::span<const std::string> words) {
    ChatFilter filter;
    for (const std::string& word : words) {
        if (std::string problem = filter.add(word); !problem.empty()) {
            throw std::invalid_argument(problem);
        }
    }
    return filter;
}

ChatFilter ChatFilter::load_file(const std::string& path, std::string_view config_key) {
    g_autofree gchar* contents = nullptr;
    gsize length = 0;
    g_autoptr(GError) error = nullptr;
    if (!g_file_get_contents(path.c_str(), &contents, &length, &error)) {
        throw ConfigError(path, std::string(config_key),
                          fmt::format("cannot read the word list: {}", error->message));
    }
    return parse_list(std::string_view(contents, length), path, config_key);
}

ChatFilter ChatFilter::built_in() {
    return parse_list(builtin_word_list, "<built-in word list>", "[signal] word-list");
}

ChatFilter ChatFilter::parse_list(std::string_view text, const std::string& source,
                                  std::string_view config_key) {
    ChatFilter filter;
    size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        auto fail = [&](std::string_view problem) {
            return ConfigError(source, std::string(config_key),
                               fmt::format("line {}: {}", line_number, problem));
        };
        if (size_t bad = invalid_utf8_at(line); bad != std::string_view::npos) {
            throw fail(fmt::format("not valid UTF-8 (at byte {} of the line)", bad + 1));
        }
        std::string_view entry = trim(line.substr(0, line.find('#')));
        if (entry.empty()) {
            continue;
        }
        if (std::string problem = filter.add(entry); !problem.empty()) {
            throw fail(problem);
        }
    }
    return filter;
}

// Entries fold like text, keeping each letter itself (alts[0]): "1" stays
// "1", so an entry may spell a digit the text must then hold.
std::string ChatFilter::add(std::string_view entry) {
    if (invalid_utf8_at(entry) != std::string_view::npos) {
        return "not valid UTF-8";
    }
    std::u32string folded;
    bool word_ended = false;
    std::array<FoldAtom, max_fold_atoms> atoms;
    for (size_t pos = 0; pos < entry.size();) {
        Utf8Char ch = decode_utf8(entry, pos);
        size_t n = fold_code_point(ch.code_point, atoms);
        for (const FoldAtom& atom : std::span(atoms).first(n)) {
            if (atom.kind == FoldKind::maybe_letter) {
                return fmt::format(
                    "'{}' holds '{}', which the filter reads as a letter: write the plain word",
                    entry, entry.substr(pos, ch.length));
            }
            if (atom.kind != FoldKind::letter) {
                word_ended = true;
                continue;
            }
            if (word_ended && !folded.empty()) {
                folded += U' ';
            }
            word_ended = false;
            folded += atom.alts[0];
        }
        pos += ch.length;
    }
    if (folded.empty()) {
        return fmt::format("'{}' has no letters", entry);
    }
    uint32_t node = 0;
    for (char32_t c : folded) {
        uint32_t next = child(node, c);
        if (next == no_node) {
            next = static_cast<uint32_t>(nodes_.size());
            nodes_[node].children.emplace_back(c, next);
            nodes_.push_back(Node{{}, c, false});
        }
        node = next;
    }
    size_ += nodes_[node].terminal ? 0 : 1;
    nodes_[node].terminal = true;
    nodes_[node].number = std::all_of(folded.begin(), folded.end(),
                                      [](char32_t c) { return c == U' ' || is_ascii_digit(c); });
    return {};
}

uint32_t ChatFilter::child(uint32_t node, char32_t c) const {
    for (const auto& [label, target] : nodes_[node].children) {
        if (label == c) {
            return target;
        }
    }
    return no_node;
}

// Follows every reading of the text at once (each alternative of a letter, a
// repeated letter absorbed or not, a soft gap joining or separating) as a set
// of trie nodes. A node's label is the letter that led to it, which is what a
// repeat must equal, so the node alone is the whole state.
size_t ChatFilter::longest_match(std::span<const FoldedUnit> units, size_t start) const {
    size_t best = std::string_view::npos;
    bool all_digits = true;  // so far: a number, which only a number entry matches
    StateSet before;
    before.add(0);
    for (size_t i = start; i < units.size(); ++i) {
        const FoldedUnit& unit = units[i];
        StateSet after;
        for (uint32_t node : before.items()) {
            for (char32_t c : std::span(unit.alts).first(unit.count)) {
                after.add(child(node, c));
                if (nodes_[node].label == c) {
                    after.add(node);  // "fuuuck": a repeated letter
                }
            }
        }
        if (after.size == 0) {
            break;
        }
        all_digits = all_digits && is_ascii_digit(unit.alts[0]);
        bool terminal = std::any_of(after.items().begin(), after.items().end(), [&](uint32_t node) {
            return nodes_[node].terminal && (nodes_[node].number || !all_digits);
        });
        if (terminal && unit.can_end) {
            best = i;
        }
        if (i + 1 == units.size()) {
            break;
        }
        Gap gap = units[i + 1].gap_before;
        before.size = 0;
        for (uint32_t node : after.items()) {
            if (gap != Gap::hard) {
                before.add(node);  // the word goes on
            }
            if (gap == Gap::soft || gap == Gap::hard) {
                before.add(child(node, U' '));  // the next word of a phrase
            }
        }
    }
    return best;
}

ChatFilter::Result ChatFilter::apply(std::string_view text) const {
    Result result;
    if (size_ == 0) {
        result.text = text;
        return result;
    }
    std::vector<FoldedUnit> units = fold_text(text);
    size_t copied = 0;  // bytes of text already in result.text
    for (size_t start = 0; start < units.size(); ++start) {
        if (!units[start].can_start) {
            continue;
        }
        size_t last = longest_match(units, start);
        if (last == std::string_view::npos) {
            continue;
        }
        size_t begin = std::max<size_t>(units[start].begin, copied);
        size_t end = units[last].end;
        result.text.append(text.substr(copied, begin - copied));
        result.text.append(code_points(text.substr(begin, end - begin)), '*');
        copied = end;
        ++result.masked;
        start = last;
    }
    result.text.append(text.substr(copied));
    return result;
}

}  // namespace turnpike::signal
