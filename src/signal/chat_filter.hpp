#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace turnpike::signal {

// Cleans a chat line: nullopt when `raw` is not UTF-8 or nothing is left.
// Removes control characters except '\n' (C0, DEL, C1), bidi embeddings,
// overrides and isolates (U+202A-U+202E, U+2066-U+2069) and zero-width
// characters (U+200B-U+200D, U+2060, U+FEFF), which spoof or hide text;
// collapses more than two newlines in a row to two; trims whitespace at both
// ends; cuts to max_chars code points.
std::optional<std::string> clean_chat_text(std::string_view raw, size_t max_chars);

// The chat word filter. Entries (words or phrases) and text are compared
// after folding: case; accents and compatibility forms (NFKD, marks dropped:
// "fück", fullwidth "ｆｕｃｋ"); look-alike digits and symbols (0 o, 1 ! | i
// and l as one letter, 3 e, 4 @ a, 5 $ s, 7 + t, 8 b); a letter stretched
// ("fuuuck"); and single letters with one separator between them ("f.u.c.k",
// "f u c k"). Matching is by whole word, so "class", "assess" and
// "Scunthorpe" pass a list with "ass" and "cunt"; list the inflections you
// want caught. Each matched span is masked with one '*' per character; the
// rest of the text is left byte for byte.
class ChatFilter {
  public:
    struct Result {
        std::string text;
        size_t masked = 0;  // words or phrases masked
    };

    static ChatFilter from_words(std::span<const std::string> entries);
    // One entry per line, '#' starts a comment. Throws ConfigError naming
    // `path`, `config_key` and the line.
    static ChatFilter load_file(const std::string& path, std::string_view config_key);
    // conf/wordlist.txt, compiled in.
    static ChatFilter built_in();

    Result apply(std::string_view text) const;
    size_t size() const { return entries_; }

  private:
    void add(std::string_view entry);
    bool matches_word(const std::string& folded) const;

    std::unordered_set<std::string> words_;
    std::unordered_set<std::string> stretched_;  // words_ with letter runs collapsed
    // Phrases by their first word: the words after it.
    std::unordered_map<std::string, std::vector<std::vector<std::string>>> phrases_;
    size_t entries_ = 0;
};

}  // namespace turnpike::signal
