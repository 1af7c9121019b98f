#include "signal/chat_fold.hpp"

#include <glib.h>

#include <algorithm>
#include <string_view>

#include "signal/utf8_decode.hpp"

namespace turnpike::signal {
namespace {

constexpr FoldAtom letter(char32_t c, char32_t alt1 = 0, char32_t alt2 = 0) {
    FoldAtom atom{FoldKind::letter, 1, {c, alt1, alt2}};
    atom.count = static_cast<uint8_t>(1 + (alt1 != 0) + (alt2 != 0));
    return atom;
}

constexpr FoldAtom maybe_letter(char32_t alt0, char32_t alt1 = 0) {
    FoldAtom atom = letter(alt0, alt1);
    atom.kind = FoldKind::maybe_letter;
    return atom;
}

constexpr FoldAtom of_kind(FoldKind kind) {
    return FoldAtom{kind, 0, {}};
}

constexpr FoldAtom fold_ascii(char32_t c) {
    if (c >= 'a' && c <= 'z') {
        return letter(c);
    }
    if (c >= 'A' && c <= 'Z') {
        return letter(c - 'A' + 'a');
    }
    switch (c) {
        case '0':
            return letter(c, 'o');
        case '1':
            return letter(c, 'i', 'l');
        case '3':
            return letter(c, 'e');
        case '4':
            return letter(c, 'a');
        case '5':
            return letter(c, 's');
        case '7':
            return letter(c, 't');
        case '8':
            return letter(c, 'b');
        case '9':
            return letter(c, 'g');
        case '@':
            return maybe_letter('a');
        case '$':
            return maybe_letter('s');
        case '!':
            return maybe_letter('i');
        case '|':
            return maybe_letter('l', 'i');
        case '+':
            return maybe_letter('t');
        default:
            break;
    }
    if (c >= '0' && c <= '9') {
        return letter(c);
    }
    if (c <= ' ' || c == 0x7F) {
        return of_kind(FoldKind::space);  // white space and control characters
    }
    return of_kind(FoldKind::punct);
}

// fold_ascii for each ASCII code point, worked out at compile time.
constexpr auto ascii_atoms = [] {
    std::array<FoldAtom, 128> table{};
    for (char32_t c = 0; c < table.size(); ++c) {
        table[c] = fold_ascii(c);
    }
    return table;
}();

// Cyrillic and Greek letters drawn like Latin ones (after lowercasing).
struct LookAlike {
    char32_t letter;
    char32_t latin;
};
constexpr LookAlike look_alikes[] = {
    {U'а', 'a'}, {U'в', 'b'}, {U'е', 'e'}, {U'і', 'i'}, {U'ј', 'j'}, {U'к', 'k'}, {U'м', 'm'},
    {U'н', 'h'}, {U'о', 'o'}, {U'р', 'p'}, {U'с', 'c'}, {U'т', 't'}, {U'у', 'y'}, {U'х', 'x'},
    {U'ѕ', 's'}, {U'һ', 'h'}, {U'ԁ', 'd'}, {U'ӏ', 'l'}, {U'ԛ', 'q'}, {U'ԝ', 'w'}, {U'α', 'a'},
    {U'β', 'b'}, {U'ε', 'e'}, {U'ι', 'i'}, {U'κ', 'k'}, {U'ν', 'v'}, {U'ο', 'o'}, {U'ρ', 'p'},
    {U'τ', 't'}, {U'υ', 'u'}, {U'χ', 'x'},
};

char32_t latin_look_alike(char32_t c) {
    if (c < 0x370 || c > 0x52F) {
        return 0;  // outside the Greek and Cyrillic blocks: skip the search
    }
    for (const auto& [letter, latin] : look_alikes) {
        if (letter == c) {
            return latin;
        }
    }
    return 0;
}

// Latin letters with a stroke, and ligatures, which NFKD leaves whole.
struct LatinBase {
    char32_t letter;
    std::u32string_view base;
};
constexpr LatinBase latin_bases[] = {
    {U'ß', U"ss"}, {U'æ', U"ae"}, {U'œ', U"oe"}, {U'ø', U"o"}, {U'ł', U"l"},
    {U'đ', U"d"},  {U'ħ', U"h"},  {U'ı', U"i"},  {U'ŧ', U"t"}, {U'ƒ', U"f"},
};

std::u32string_view latin_base(char32_t c) {
    if (c > 0x24F) {
        return {};  // past Latin Extended-B
    }
    for (const auto& [letter, base] : latin_bases) {
        if (letter == c) {
            return base;
        }
    }
    return {};
}

bool ignored(char32_t c) {
    switch (g_unichar_type(c)) {
        case G_UNICODE_NON_SPACING_MARK:
        case G_UNICODE_ENCLOSING_MARK:
        case G_UNICODE_FORMAT:
            return true;
        default:
            // Hangul fillers: letters that draw nothing.
            return c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0;
    }
}

// One code point of an NFKD decomposition, marks already gone.
size_t fold_decomposed(char32_t c, std::span<FoldAtom> out) {
    c = g_unichar_tolower(c);
    if (c < 0x80) {
        out[0] = ascii_atoms[c];
        return 1;
    }
    if (std::u32string_view base = latin_base(c); !base.empty()) {
        for (size_t i = 0; i < base.size(); ++i) {
            out[i] = letter(base[i]);
        }
        return base.size();
    }
    if (g_unichar_isalnum(c)) {
        out[0] = letter(c, latin_look_alike(c));
        return 1;
    }
    out[0] =
        of_kind(g_unichar_isspace(c) || g_unichar_iscntrl(c) ? FoldKind::space : FoldKind::punct);
    return 1;
}

// Separators seen since the last letter; two or more is as good as many.
struct PendingGap {
    uint8_t separators = 0;
    bool space = false;

    void add(FoldKind kind) {
        separators = static_cast<uint8_t>(std::min(separators + 1, 2));
        space = space || kind == FoldKind::space;
    }
};

// Letters in the word starting at units[first]; a word made only of maybe
// letters ("@") counts those.
size_t word_letters(std::span<const FoldedUnit> units, size_t first, size_t end) {
    size_t letters = 0;
    for (size_t i = first; i < end; ++i) {
        letters += units[i].maybe ? 0 : 1;
    }
    return letters != 0 ? letters : end - first;
}

// Turns the separators before each word into its Gap. While folding,
// gap_before holds them raw: none (no separator), soft (one punctuation
// character), join (one white space) or hard (more separators).
void classify_gaps(std::span<FoldedUnit> units) {
    size_t previous_letters = 0;
    for (size_t first = 0; first < units.size();) {
        size_t end = first + 1;
        while (end < units.size() && units[end].gap_before == Gap::none) {
            ++end;
        }
        size_t letters = word_letters(units, first, end);
        FoldedUnit& unit = units[first];
        bool single_separator = unit.gap_before == Gap::soft || unit.gap_before == Gap::join;
        if (first == 0) {
            unit.gap_before = Gap::hard;
        } else if (single_separator && previous_letters == 1 && letters == 1) {
            unit.gap_before = Gap::join;
        } else if (unit.gap_before == Gap::join) {
            unit.gap_before = Gap::hard;  // a single white space between longer words
        }
        previous_letters = letters;
        first = end;
    }
}

bool is_boundary(Gap gap) {
    return gap == Gap::soft || gap == Gap::hard;
}

// Maybe letters at a word's edges may be punctuation, so a word can start
// after a leading run of them and end before a trailing one. Within letters
// spelt out one by one ("a f u c k", "I f.u.c.k"), a word may start and end
// at any of them: the run often begins or ends with a real one-letter word.
void mark_edges(std::span<FoldedUnit> units) {
    for (size_t i = 0; i < units.size(); ++i) {
        FoldedUnit& unit = units[i];
        unit.can_start =
            is_boundary(unit.gap_before) || unit.gap_before == Gap::join ||
            (unit.gap_before == Gap::none && units[i - 1].maybe && units[i - 1].can_start);
    }
    for (size_t i = units.size(); i-- > 0;) {
        FoldedUnit& unit = units[i];
        if (i + 1 == units.size()) {
            unit.can_end = true;
            continue;
        }
        const FoldedUnit& next = units[i + 1];
        unit.can_end = is_boundary(next.gap_before) || next.gap_before == Gap::join ||
                       (next.gap_before == Gap::none && next.maybe && next.can_end);
    }
}

// The raw gap before a letter, in the Gap values classify_gaps expects.
Gap raw_gap(const PendingGap& pending) {
    if (pending.separators == 0) {
        return Gap::none;
    }
    if (pending.separators == 1) {
        return pending.space ? Gap::join : Gap::soft;
    }
    return Gap::hard;
}

}  // namespace

size_t fold_code_point(char32_t c, std::span<FoldAtom, max_fold_atoms> out) {
    if (c < 0x80) {
        out[0] = ascii_atoms[c];  // the common case skips GLib's tables
        return 1;
    }
    gunichar decomposed[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
    static_assert(max_fold_atoms >= 2 * G_UNICHAR_MAX_DECOMPOSITION_LENGTH);
    size_t n = g_unichar_fully_decompose(c, TRUE, decomposed, G_UNICHAR_MAX_DECOMPOSITION_LENGTH);
    size_t written = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!ignored(decomposed[i])) {
            written += fold_decomposed(decomposed[i], out.subspan(written));
        }
    }
    return written;
}

std::vector<FoldedUnit> fold_text(std::string_view text) {
    std::vector<FoldedUnit> units;
    units.reserve(text.size());
    std::array<FoldAtom, max_fold_atoms> atoms;
    PendingGap pending;
    for (size_t pos = 0; pos < text.size();) {
        Utf8Char ch = decode_utf8(text, pos);
        size_t length = ch.length != 0 ? ch.length : 1;
        size_t n = 1;
        if (ch.length != 0) {
            n = fold_code_point(ch.code_point, atoms);
        } else {
            atoms[0] = FoldAtom{};  // punctuation
        }
        if (n == 0 && pending.separators == 0 && !units.empty()) {
            units.back().end = static_cast<uint32_t>(pos + length);  // a mark on the last letter
        }
        for (size_t i = 0; i < n; ++i) {
            const FoldAtom& atom = atoms[i];
            if (atom.kind == FoldKind::space || atom.kind == FoldKind::punct) {
                pending.add(atom.kind);
                continue;
            }
            units.push_back(FoldedUnit{atom.alts, atom.count, atom.kind == FoldKind::maybe_letter,
                                       raw_gap(pending), false, false, static_cast<uint32_t>(pos),
                                       static_cast<uint32_t>(pos + length)});
            pending = {};
        }
        pos += length;
    }
    classify_gaps(units);
    mark_edges(units);
    return units;
}

}  // namespace turnpike::signal
