#include "signal/chat_filter.hpp"

#include <glib.h>

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "common/config.hpp"
#include "wordlist.hpp"

namespace turnpike::signal {

namespace {

struct GFree {
    void operator()(gchar* p) const { g_free(p); }
};
using GString = std::unique_ptr<gchar, GFree>;

bool is_hidden(gunichar ch) {
    return (ch < 0x20 && ch != '\n') || (ch >= 0x7f && ch < 0xa0) ||
           (ch >= 0x202a && ch <= 0x202e) || (ch >= 0x2066 && ch <= 0x2069) ||
           (ch >= 0x200b && ch <= 0x200d) || ch == 0x2060 || ch == 0xfeff;
}

// One character of the text as the filter sees it: its folded letters (empty
// for a separator) and where it came from.
struct Unit {
    std::string folded;
    size_t begin = 0;  // byte offsets in the original text
    size_t end = 0;
    size_t chars = 0;  // code points it covers, for masking
};

char look_alike(gunichar ch) {
    switch (ch) {
        case '0':
            return 'o';
        case '1':
        case '!':
        case '|':
        case 'l':
            return 'i';
        case '3':
            return 'e';
        case '4':
        case '@':
            return 'a';
        case '5':
        case '$':
            return 's';
        case '7':
        case '+':
            return 't';
        case '8':
            return 'b';
        default:
            return 0;
    }
}

// Case, accents and compatibility forms folded; look-alikes mapped.
std::string fold_char(gunichar ch) {
    gchar utf8[8] = {};
    gint length = g_unichar_to_utf8(ch, utf8);
    GString decomposed(g_utf8_normalize(utf8, length, G_NORMALIZE_NFKD));
    std::string out;
    if (!decomposed) {
        return out;
    }
    for (const gchar* p = decomposed.get(); *p != 0; p = g_utf8_next_char(p)) {
        gunichar c = g_unichar_tolower(g_utf8_get_char(p));
        if (g_unichar_ismark(c)) {
            continue;
        }
        if (char mapped = look_alike(c)) {
            out += mapped;
        } else if (g_unichar_isalpha(c)) {
            gchar buffer[8] = {};
            out.append(buffer, static_cast<size_t>(g_unichar_to_utf8(c, buffer)));
        }
    }
    return out;
}

std::vector<Unit> fold_text(std::string_view text) {
    std::vector<Unit> units;
    const gchar* start = text.data();
    const gchar* end = text.data() + text.size();
    for (const gchar* p = start; p < end; p = g_utf8_next_char(p)) {
        gunichar ch = g_utf8_get_char(p);
        auto offset = static_cast<size_t>(p - start);
        auto next = static_cast<size_t>(g_utf8_next_char(p) - start);
        if (g_unichar_ismark(ch) && !units.empty()) {
            units.back().end = next;  // a combining accent belongs to its letter
            ++units.back().chars;
            continue;
        }
        units.push_back({fold_char(ch), offset, next, 1});
    }
    return units;
}

std::string collapse_runs(std::string_view word) {
    std::string out;
    for (char ch : word) {
        if (out.empty() || out.back() != ch) {
            out += ch;
        }
    }
    return out;
}

bool has_run(std::string_view word) {
    return std::adjacent_find(word.begin(), word.end()) != word.end();
}

// A word of the text: units [first, last) and its folded letters.
struct Word {
    size_t first = 0;
    size_t last = 0;
    std::string folded;
};

std::vector<Word> words_of(const std::vector<Unit>& units) {
    std::vector<Word> words;
    for (size_t i = 0; i < units.size();) {
        if (units[i].folded.empty()) {
            ++i;
            continue;
        }
        Word word{i, i, {}};
        while (word.last < units.size() && !units[word.last].folded.empty()) {
            word.folded += units[word.last++].folded;
        }
        words.push_back(std::move(word));
        i = words.back().last;
    }
    return words;
}

bool is_letter_separator(const Unit& unit, std::string_view text) {
    if (!unit.folded.empty() || unit.end - unit.begin != 1) {
        return false;
    }
    return std::string_view(" .-_*,/~").find(text[unit.begin]) != std::string_view::npos;
}

bool single_letter(const Word& word) {
    return word.last - word.first == 1;
}

// Runs of one-letter words, each one separator apart ("f.u.c.k", "a f u c k"):
// within a run, any stretch of three or more letters may be a word spelt out.
std::vector<std::pair<size_t, size_t>> spaced_runs(const std::vector<Unit>& units,
                                                   const std::vector<Word>& words,
                                                   std::string_view text) {
    std::vector<std::pair<size_t, size_t>> runs;  // [first, last] indexes into words
    for (size_t i = 0; i < words.size();) {
        size_t j = i;
        while (j + 1 < words.size() && single_letter(words[j]) && single_letter(words[j + 1]) &&
               words[j + 1].first == words[j].last + 1 &&
               is_letter_separator(units[words[j].last], text)) {
            ++j;
        }
        if (j - i >= 2) {
            runs.emplace_back(i, j);
        }
        i = j + 1;
    }
    return runs;
}

std::vector<std::string> folded_words(std::string_view entry) {
    std::vector<std::string> out;
    for (const auto& word : words_of(fold_text(entry))) {
        out.push_back(word.folded);
    }
    return out;
}

// Marks units [first, last) for masking.
void mark(std::vector<bool>& masked, size_t first, size_t last) {
    std::fill(masked.begin() + static_cast<std::ptrdiff_t>(first),
              masked.begin() + static_cast<std::ptrdiff_t>(last), true);
}

std::string render(std::string_view text, const std::vector<Unit>& units,
                   const std::vector<bool>& masked) {
    std::string out;
    out.reserve(text.size());
    size_t copied = 0;
    for (size_t i = 0; i < units.size(); ++i) {
        if (!masked[i]) {
            continue;
        }
        out.append(text.substr(copied, units[i].begin - copied));
        out.append(units[i].chars, '*');
        copied = units[i].end;
    }
    out.append(text.substr(copied));
    return out;
}

}  // namespace

std::optional<std::string> clean_chat_text(std::string_view raw, size_t max_chars) {
    if (!g_utf8_validate(raw.data(), static_cast<gssize>(raw.size()), nullptr)) {
        return std::nullopt;
    }
    std::string out;
    size_t newlines = 0;
    for (const gchar* p = raw.data(); p < raw.data() + raw.size(); p = g_utf8_next_char(p)) {
        gunichar ch = g_utf8_get_char(p);
        if (is_hidden(ch)) {
            continue;
        }
        newlines = ch == '\n' ? newlines + 1 : 0;
        if (newlines > 2) {
            continue;
        }
        out.append(p, static_cast<size_t>(g_utf8_next_char(p) - p));
    }
    auto first = out.find_first_not_of(" \t\n\r");
    if (first == std::string::npos) {
        return std::nullopt;
    }
    out.erase(0, first);
    out.erase(out.find_last_not_of(" \t\n\r") + 1);
    if (static_cast<size_t>(g_utf8_strlen(out.data(), static_cast<gssize>(out.size()))) >
        max_chars) {
        const gchar* cut = g_utf8_offset_to_pointer(out.data(), static_cast<glong>(max_chars));
        out.resize(static_cast<size_t>(cut - out.data()));
    }
    return out;
}

void ChatFilter::add(std::string_view entry) {
    auto words = folded_words(entry);
    if (words.empty()) {
        return;
    }
    ++entries_;
    if (words.size() == 1) {
        stretched_.insert(collapse_runs(words.front()));
        words_.insert(std::move(words.front()));
        return;
    }
    std::string first = words.front();
    words.erase(words.begin());
    phrases_[first].push_back(std::move(words));
}

ChatFilter ChatFilter::from_words(std::span<const std::string> entries) {
    ChatFilter filter;
    for (const auto& entry : entries) {
        filter.add(entry);
    }
    return filter;
}

namespace {

std::vector<std::string> entries_of(std::string_view text, const std::string& path,
                                    std::string_view config_key) {
    std::vector<std::string> entries;
    size_t number = 0;
    while (!text.empty()) {
        ++number;
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        line = line.substr(0, line.find('#'));
        if (!g_utf8_validate(line.data(), static_cast<gssize>(line.size()), nullptr)) {
            throw ConfigError(path, std::string(config_key),
                              fmt::format("line {} is not UTF-8", number));
        }
        auto first = line.find_first_not_of(" \t\r");
        if (first != std::string_view::npos) {
            entries.emplace_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
        }
    }
    return entries;
}

}  // namespace

ChatFilter ChatFilter::load_file(const std::string& path, std::string_view config_key) {
    gchar* contents = nullptr;
    gsize length = 0;
    GError* error = nullptr;
    if (!g_file_get_contents(path.c_str(), &contents, &length, &error)) {
        std::string problem = fmt::format("cannot read the word list: {}", error->message);
        g_error_free(error);
        throw ConfigError(path, std::string(config_key), problem);
    }
    GString owned(contents);
    return from_words(entries_of(std::string_view(contents, length), path, config_key));
}

ChatFilter ChatFilter::built_in() {
    return from_words(entries_of(built_in_wordlist, "conf/wordlist.txt", "[signal] word-list"));
}

bool ChatFilter::matches_word(const std::string& folded) const {
    return words_.contains(folded) ||
           (has_run(folded) && stretched_.contains(collapse_runs(folded)));
}

ChatFilter::Result ChatFilter::apply(std::string_view text) const {
    Result result;
    if (entries_ == 0) {
        result.text = text;
        return result;
    }
    auto units = fold_text(text);
    auto words = words_of(units);
    std::vector<bool> masked(units.size(), false);
    for (size_t i = 0; i < words.size(); ++i) {
        if (matches_word(words[i].folded)) {
            mark(masked, words[i].first, words[i].last);
            ++result.masked;
        }
        auto phrases = phrases_.find(words[i].folded);
        if (phrases == phrases_.end()) {
            continue;
        }
        for (const auto& rest : phrases->second) {
            if (i + rest.size() < words.size() &&
                std::equal(rest.begin(), rest.end(),
                           words.begin() + static_cast<std::ptrdiff_t>(i + 1),
                           [](const std::string& w, const Word& t) { return w == t.folded; })) {
                mark(masked, words[i].first, words[i + rest.size()].last);
                ++result.masked;
            }
        }
    }
    for (auto [first, last] : spaced_runs(units, words, text)) {
        for (size_t i = first; i + 2 <= last; ++i) {
            std::string spelt;
            for (size_t j = i; j <= last; ++j) {
                spelt += words[j].folded;
                if (j >= i + 2 && matches_word(spelt)) {
                    mark(masked, words[i].first, words[j].last);
                    ++result.masked;
                }
            }
        }
    }
    result.text = result.masked > 0 ? render(text, units, masked) : std::string(text);
    return result;
}

}  // namespace turnpike::signal
