#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace turnpike::signal {

// How the word filter reads one code point: the folded form it compares,
// as a few atoms (NFKD can turn one code point into several, "ﬀ" into "ff",
// "⑽" into "(10)").
//
// Folding, in order:
//   1. NFKD (compatibility decomposition): fullwidth "ｆ", mathematical "𝐟"
//      and circled "ⓕ" become "f"; "ü" becomes "u" + a combining mark.
//   2. Combining marks (Mn, Me) and format characters (Cf: zero-width and
//      bidi controls, soft hyphen) are dropped, so accents vanish and
//      invisible characters inserted between letters change nothing. The
//      Hangul fillers, blank letters used to hide text, are dropped too.
//   3. Simple lowercase, and "ß" to "ss" (the one full case fold that
//      matters for Latin text). Stroked letters NFKD leaves alone fold to
//      their base: ø→o, ł→l, đ→d, ħ→h, ı→i, ŧ→t, ƒ→f; æ→ae, œ→oe.
//   4. Look-alikes become alternatives, the letter itself staying the first:
//      digits 0→o, 1→i or l, 3→e, 4→a, 5→s, 7→t, 8→b, 9→g; Cyrillic and
//      Greek letters that look Latin (а→a, е→e, о→o, р→p, с→c, х→x, у→y,
//      і→i, ѕ→s, к→k, в→b, н→h, м→m, т→t, ј→j, ԁ→d, ӏ→l, һ→h, ԛ→q, ԝ→w;
//      α→a, β→b, ε→e, ι→i, κ→k, ν→v, ο→o, ρ→p, τ→t, υ→u, χ→x).
//   5. The symbols @→a, $→s, !→i, |→l or i, +→t are "maybe letters": read as
//      letters inside a word ("sh!t", "a$$") but as punctuation at its edges
//      ("shit!", "@shit"), which the matcher decides.
//
// Everything else is a letter or digit of its own (any script), a space
// (Unicode white space and control characters) or punctuation (the rest,
// emoji included).
enum class FoldKind : uint8_t { letter, maybe_letter, space, punct };

struct FoldAtom {
    FoldKind kind = FoldKind::punct;
    uint8_t count = 0;                  // alternatives in use (letters only)
    std::array<char32_t, 3> alts = {};  // alts[0] is the letter itself
};

// NFKD yields at most 18 code points (G_UNICHAR_MAX_DECOMPOSITION_LENGTH),
// and "ß"-like folds double one of them.
inline constexpr size_t max_fold_atoms = 2 * 18;

// Writes the atoms for `c` and returns how many: 0 means the code point is
// ignored altogether.
size_t fold_code_point(char32_t c, std::span<FoldAtom, max_fold_atoms> out);

// What lies between a letter and the one before it, as the matcher sees it.
enum class Gap : uint8_t {
    none,  // nothing: the same word
    join,  // one separator between two one-letter words, as in "f.u.c.k": the same word
    soft,  // one punctuation character otherwise: the same word or a word boundary
    hard,  // anything more, or white space: a word boundary (and the text's start)
};

// A letter (or maybe letter) of folded text, with the bytes of the original
// text it came from: its code point and any marks or invisible characters
// right after it, so masking a match leaves no accent behind. A code point
// folding to several letters ("ß") gives several units over the same bytes.
struct FoldedUnit {
    std::array<char32_t, 3> alts = {};
    uint8_t count = 0;
    bool maybe = false;  // a maybe letter (@ $ ! | +)
    Gap gap_before = Gap::hard;
    bool can_start = false;  // a word may start here
    bool can_end = false;    // a word may end here
    uint32_t begin = 0;      // bytes [begin, end) of the original text
    uint32_t end = 0;
};

// Folds `text` into its letters, separators reduced to the gaps between them.
// Bytes that are not valid UTF-8 read as punctuation.
std::vector<FoldedUnit> fold_text(std::string_view text);

}  // namespace turnpike::signal
