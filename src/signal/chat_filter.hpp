#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signal/chat_fold.hpp"

// Chat messages between two strangers: the text cleaning every message goes
// through, and the word filter that masks slurs and strong profanity.

namespace turnpike::signal {

// Cleans the text of one chat message, or returns nullopt when `raw` is not
// valid UTF-8 (strict: overlong forms, surrogates and code points above
// U+10FFFF are invalid; NUL is valid, and stripped) or nothing is left after
// cleaning.
//
// The rules, in order:
//   - Stripped: C0 controls (U+0000–U+001F) except tab and line feed, DEL,
//     C1 controls (U+0080–U+009F); the bidi embeddings, overrides and
//     isolates U+202A–U+202E and U+2066–U+2069, which can make text display
//     in another order than it reads; the zero-width characters U+200B–U+200D,
//     U+2060 and U+FEFF, which hide text or split words to dodge the filter.
//     One exception: U+200D (zero-width joiner) between two symbols is kept,
//     since it glues emoji sequences such as "👩‍💻" together.
//   - A tab becomes a space; U+2028 and U+2029 (line and paragraph
//     separators) become '\n'; CR is stripped, so CRLF becomes '\n'.
//   - White space (g_unichar_isspace) at the end of each line is dropped, and
//     runs of more than two '\n' become two (at most one blank line).
//   - Leading and trailing white space, newlines included, is trimmed.
//   - The text is cut to at most `max_chars` code points (never inside a
//     code point's bytes), then trimmed again.
// Nothing else changes: no normalization, so what survives is byte-identical
// to the input.
std::optional<std::string> clean_chat_text(std::string_view raw, size_t max_chars);

// Masks listed words and phrases in chat text with '*', one per code point.
//
// Text and entries are compared after folding (chat_fold.hpp): case, accents
// and compatibility forms fold away, and digits, look-alike letters and
// @ $ ! | + count as the letters they imitate ("1" as "i" or "l"). Further:
//   - Only whole words match: a match starts and ends at a word boundary of
//     the folded text, so "ass" masks neither "class" nor "assess", and
//     "cunt" does not mask "Scunthorpe".
//   - A letter repeated to dodge still matches: "fuuuck" for "fuck" (the
//     entry's own letters are still needed: "as" does not match "ass").
//   - One-letter words joined by single separators (a space or punctuation)
//     form one word: "f.u.c.k", "f u c k" and "f-u-c-k" are the word "fuck".
//     Any stretch of such a run may be the word, as the run often starts or
//     ends with a real one-letter word ("a f u c k", "I a s s"); so a word
//     spelt out letter by letter is not safe: "a s s e s s" loses "a s s".
//   - One punctuation character (not a space) between longer pieces may join
//     them or separate them: "fu.ck" and "f.uck" match "fuck", and so does
//     "fuck.you".
//   - A phrase entry ("son of a bitch") matches across any word boundary:
//     white space, newlines, punctuation.
//   - Symbols that may be letters (@ $ ! | +) at the edges of a word are read
//     as punctuation there too: "shit!!" and "@shit" match "shit", "a$$"
//     matches "ass". (Not inside a phrase: "son! of a bitch" reads "soni".)
//   - A number is not leetspeak: text made only of digits ("455") matches
//     only entries made of digits themselves, never "ass".
// Overlapping matches: scanning left to right, the longest match at the first
// possible start wins, and the next match starts after it.
//
// Entries fold the same way, except that each character stands for itself
// ("1" in an entry is the digit). Any run of white space or punctuation in an
// entry separates its words ("half-breed" is the phrase "half breed").
class ChatFilter {
  public:
    // Throws std::invalid_argument for an entry the filter cannot use: not
    // valid UTF-8, no letters, or a symbol it reads as a letter ("a$$": write
    // the plain word, the filter already reads "$" as "s").
    static ChatFilter from_words(std::span<const std::string> words);

    // One entry per line; everything from '#' on is a comment; blank lines are
    // ignored; an empty list is allowed.
    // Throws ConfigError(path, config_key, problem): the file cannot be read,
    // or "line N: ..." for an entry it cannot use.
    static ChatFilter load_file(const std::string& path, std::string_view config_key);

    // The default list, conf/wordlist.txt, compiled into the binary.
    static ChatFilter built_in();

    struct Result {
        std::string text;
        size_t masked = 0;  // matches masked
    };

    // Text outside the matches comes through byte-identical. Invalid UTF-8
    // bytes (apply does not need cleaned text) read as punctuation and are
    // copied as they are.
    Result apply(std::string_view text) const;

    // Distinct entries, as folded.
    size_t size() const { return size_; }

  private:
    struct Node {
        std::vector<std::pair<char32_t, uint32_t>> children;
        char32_t label = 0;  // the edge into this node; ' ' between phrase words
        bool terminal = false;
        bool number = false;  // a terminal whose entry is all digits ("1488")
    };

    ChatFilter();
    // Returns the problem, or an empty string when the entry was added.
    std::string add(std::string_view entry);
    uint32_t child(uint32_t node, char32_t c) const;
    // The last unit of the longest match starting at units[start], or npos.
    size_t longest_match(std::span<const FoldedUnit> units, size_t start) const;
    static ChatFilter parse_list(std::string_view text, const std::string& source,
                                 std::string_view config_key);

    std::vector<Node> nodes_;  // nodes_[0] is the root
    size_t size_ = 0;
};

}  // namespace turnpike::signal
