// Chat text cleaning and the word filter: what is stripped, cut and refused;
// each way of folding a word; whole-word matching; byte-exact masking; word
// list files and their errors; the built-in list; and how fast it runs.

#include <glib.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/config.hpp"
#include "signal/chat_filter.hpp"

namespace turnpike::signal {
namespace {

using namespace std::string_literals;

std::optional<std::string> clean(std::string_view raw, size_t max_chars = 500) {
    return clean_chat_text(raw, max_chars);
}

// --- clean_chat_text ---

TEST(CleanChatText, OrdinaryTextComesThroughUnchanged) {
    EXPECT_EQ(clean("Hello, wörld! 😀 日本語"), "Hello, wörld! 😀 日本語");
    EXPECT_EQ(clean("two\nlines"), "two\nlines");
    EXPECT_EQ(clean("a  b"), "a  b");  // inner runs of spaces are the sender's business
}

TEST(CleanChatText, RejectsInvalidUtf8) {
    EXPECT_EQ(clean("ab\xff"), std::nullopt);
    EXPECT_EQ(clean("\x80"), std::nullopt);                    // stray continuation byte
    EXPECT_EQ(clean("\xC0\xAF"), std::nullopt);                // overlong '/'
    EXPECT_EQ(clean("\xE0\x80\xAF"), std::nullopt);            // overlong, three bytes
    EXPECT_EQ(clean("\xED\xA0\x80"), std::nullopt);            // UTF-16 surrogate
    EXPECT_EQ(clean("\xF4\x90\x80\x80"), std::nullopt);        // above U+10FFFF
    EXPECT_EQ(clean("ok \xE2\x82"), std::nullopt);             // truncated "€"
    EXPECT_EQ(clean("ok \xE2\x82\xAC"), "ok €");               // the whole "€"
    EXPECT_EQ(clean("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");  // U+1F600, four bytes
}

TEST(CleanChatText, NothingLeftIsNothing) {
    EXPECT_EQ(clean(""), std::nullopt);
    EXPECT_EQ(clean("   "), std::nullopt);
    EXPECT_EQ(clean(" \n\t\r\n \u3000"), std::nullopt);
    EXPECT_EQ(clean("\u200B\u202E\u2066\uFEFF\x01"), std::nullopt);
    EXPECT_EQ(clean("hi", 0), std::nullopt);
}

TEST(CleanChatText, StripsControlCharacters) {
    EXPECT_EQ(clean("a\x01"
                    "b\x1b[31mc\x7f"
                    "d"),
              "ab[31mcd");
    EXPECT_EQ(clean("a\u0085b\u009Bc"), "abc");  // C1
    EXPECT_EQ(clean("a\0b"s), "ab");             // NUL is valid UTF-8, and stripped
    EXPECT_EQ(clean("a\vb\fc"), "abc");
}

TEST(CleanChatText, TabsBecomeSpacesAndCrlfBecomesLf) {
    EXPECT_EQ(clean("a\tb"), "a b");
    EXPECT_EQ(clean("a\r\nb"), "a\nb");
    EXPECT_EQ(clean("a\u2028b\u2029c"), "a\nb\nc");
}

TEST(CleanChatText, StripsBidiControls) {
    // "file\u202Etxt.exe" would display as "fileexe.txt".
    EXPECT_EQ(clean("file\u202Etxt.exe"), "filetxt.exe");
    EXPECT_EQ(clean("\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee"), "abcde");
    EXPECT_EQ(clean("\u2066a\u2067b\u2068c\u2069"), "abc");
    EXPECT_EQ(clean("שלום hello"), "שלום hello");  // right-to-left text itself stays
}

TEST(CleanChatText, StripsZeroWidthCharacters) {
    EXPECT_EQ(clean("f\u200Bu\u200Cc\u200Dk\u2060s\uFEFF"), "fucks");
    EXPECT_EQ(clean("\uFEFFhello"), "hello");
}

TEST(CleanChatText, KeepsTheJoinerInsideEmojiSequences) {
    EXPECT_EQ(clean("👩‍💻"), "👩‍💻");          // woman, ZWJ, laptop
    EXPECT_EQ(clean("🏳️‍🌈"), "🏳️‍🌈");    // flag, VS16, ZWJ, rainbow
    EXPECT_EQ(clean("👩🏽‍🚀"), "👩🏽‍🚀");  // with a skin tone
    EXPECT_EQ(clean("a\u200D💻"), "a💻");                      // not between two symbols
    EXPECT_EQ(clean("👩\u200D"), "👩");
}

TEST(CleanChatText, CollapsesBlankLines) {
    EXPECT_EQ(clean("a\n\nb"), "a\n\nb");
    EXPECT_EQ(clean("a\n\n\n\n\n\nb"), "a\n\nb");
    EXPECT_EQ(clean("a  \n \t\n\u3000\n \nb"), "a\n\nb");  // lines of only white space are blank
    EXPECT_EQ(clean("a   \nb"), "a\nb");                   // trailing white space of a line
    EXPECT_EQ(clean("a\n  b"), "a\n  b");                  // indentation stays
}

TEST(CleanChatText, TrimsBothEnds) {
    EXPECT_EQ(clean("  \n\n hi there \n\n\n "), "hi there");
    EXPECT_EQ(clean("\u00A0\u3000hi\u2003"), "hi");  // Unicode white space too
}

TEST(CleanChatText, CutsToMaxCharsOnACodePointBoundary) {
    EXPECT_EQ(clean("hello", 5), "hello");
    EXPECT_EQ(clean("hello!", 5), "hello");
    EXPECT_EQ(clean("héllo wörld", 2), "hé");
    EXPECT_EQ(clean("😀😀😀", 2), "😀😀");
    EXPECT_EQ(clean("日本語です", 3), "日本語");
    EXPECT_EQ(clean("ab cd", 3), "ab");                  // no trailing space after the cut
    EXPECT_EQ(clean("ab\n\ncd", 4), "ab");               // nor newlines
    EXPECT_EQ(clean("👩‍💻👩‍💻", 2), "👩");  // nor a dangling joiner
    EXPECT_EQ(clean("  abc", 2), "ab");                  // counted after trimming
    EXPECT_EQ(clean("a\x01\x02\x03"
                    "bc",
                    2),
              "ab");  // and after stripping
}

// --- ChatFilter ---

ChatFilter filter_of(std::initializer_list<std::string> words) {
    std::vector<std::string> list(words);
    return ChatFilter::from_words(list);
}

std::string masked(const ChatFilter& filter, std::string_view text) {
    return filter.apply(text).text;
}

const ChatFilter& profanity() {
    static const ChatFilter filter =
        filter_of({"fuck", "shit", "ass", "cunt", "cock", "rapist", "tit", "slut", "bitch",
                   "son of a bitch", "kill yourself"});
    return filter;
}

TEST(ChatFilter, MasksAListedWordAndCountsIt) {
    auto result = profanity().apply("oh shit, really");
    EXPECT_EQ(result.text, "oh ****, really");
    EXPECT_EQ(result.masked, 1u);
    result = profanity().apply("shit and fuck");
    EXPECT_EQ(result.text, "**** and ****");
    EXPECT_EQ(result.masked, 2u);
}

TEST(ChatFilter, CleanTextIsUntouched) {
    auto result = profanity().apply("nothing to see here");
    EXPECT_EQ(result.text, "nothing to see here");
    EXPECT_EQ(result.masked, 0u);
    EXPECT_EQ(masked(profanity(), ""), "");
}

TEST(ChatFilter, FoldsCase) {
    EXPECT_EQ(masked(profanity(), "FUCK"), "****");
    EXPECT_EQ(masked(profanity(), "ShIt"), "****");
}

TEST(ChatFilter, FoldsAccents) {
    EXPECT_EQ(masked(profanity(), "fück"), "****");
    EXPECT_EQ(masked(profanity(), "FÜCK"), "****");
    EXPECT_EQ(masked(profanity(), "śhìţ"), "****");
    // Decomposed: "u" and U+0308 are two code points, both masked.
    EXPECT_EQ(masked(profanity(), "fu\u0308ck"), "*****");
    // A mark after the last letter goes with it.
    EXPECT_EQ(masked(profanity(), "fuck\u0301 off"), "***** off");
    EXPECT_EQ(masked(profanity(), "słut"), "****");  // a stroke NFKD keeps
}

TEST(ChatFilter, FoldsSharpSAndLigatures) {
    ChatFilter filter = filter_of({"scheisse", "oeuf"});
    EXPECT_EQ(masked(filter, "Scheiße!"), "*******!");  // ß is one code point, one '*'
    EXPECT_EQ(masked(filter, "SCHEISSE"), "********");
    EXPECT_EQ(masked(filter, "œuf"), "***");
    EXPECT_EQ(filter_of({"scheiße"}).apply("scheisse").masked, 1u);  // entries fold too
}

TEST(ChatFilter, FoldsCompatibilityForms) {
    EXPECT_EQ(masked(profanity(), "ｆｕｃｋ"), "****");  // fullwidth
    EXPECT_EQ(masked(profanity(), "ＳＨＩＴ"), "****");
    EXPECT_EQ(masked(profanity(), "𝐟𝐮𝐜𝐤"), "****");  // mathematical bold
    EXPECT_EQ(masked(profanity(), "ⓕⓤⓒⓚ"), "****");  // circled
}

TEST(ChatFilter, FoldsLetterSubstitutions) {
    EXPECT_EQ(masked(profanity(), "sh1t"), "****");  // 1 as i
    EXPECT_EQ(masked(profanity(), "s1ut"), "****");  // 1 as l
    EXPECT_EQ(masked(profanity(), "5h!t"), "****");
    EXPECT_EQ(masked(profanity(), "$hit"), "****");
    EXPECT_EQ(masked(profanity(), "@ss"), "***");
    EXPECT_EQ(masked(profanity(), "a$$"), "***");
    EXPECT_EQ(masked(profanity(), "c0ck"), "****");
    EXPECT_EQ(masked(profanity(), "b1tch"), "*****");
    EXPECT_EQ(masked(profanity(), "7i7"), "***");
    EXPECT_EQ(masked(profanity(), "s|ut"), "****");
    EXPECT_EQ(masked(profanity(), "c*ck"), "c*ck");  // self-censored: left alone
}

TEST(ChatFilter, FoldsLookAlikeLetters) {
    EXPECT_EQ(masked(profanity(), "fu\u0441k"), "****");            // Cyrillic es
    EXPECT_EQ(masked(profanity(), "\u0455hit"), "****");            // Cyrillic dze
    EXPECT_EQ(masked(profanity(), "\u0441\u043E\u0441k"), "****");  // Cyrillic "соc"
    // Cyrillic text itself is not Latin: "сок" (juice) stays.
    EXPECT_EQ(masked(profanity(), "сок"), "сок");
}

TEST(ChatFilter, DefeatsRepeatedLetters) {
    EXPECT_EQ(masked(profanity(), "fuuuuuck"), "********");
    EXPECT_EQ(masked(profanity(), "ffffuuuuccckkk!"), "**************!");
    EXPECT_EQ(masked(profanity(), "shiiiiit"), "********");
    EXPECT_EQ(masked(profanity(), "asssss"), "******");
    // The entry's own letters are still needed.
    EXPECT_EQ(masked(profanity(), "as"), "as");
    EXPECT_EQ(masked(profanity(), "fuk"), "fuk");
}

TEST(ChatFilter, DefeatsSingleSeparatorsBetweenLetters) {
    EXPECT_EQ(masked(profanity(), "f.u.c.k"), "*******");
    EXPECT_EQ(masked(profanity(), "f u c k"), "*******");
    EXPECT_EQ(masked(profanity(), "f-u-c-k"), "*******");
    EXPECT_EQ(masked(profanity(), "f_u_c_k you"), "******* you");
    EXPECT_EQ(masked(profanity(), "you f u c k."), "you *******.");
    EXPECT_EQ(masked(profanity(), "s.h.1.t"), "*******");
    EXPECT_EQ(masked(profanity(), "fu.ck"), "*****");  // one punctuation mark may join words
    EXPECT_EQ(masked(profanity(), "f.uck"), "*****");
    EXPECT_EQ(masked(profanity(), "s😀h😀i😀t"), "*******");
    // Zero-width characters (apply does not need cleaned text).
    EXPECT_EQ(masked(profanity(), "f\u200Bu\u200Bck"), "******");
}

TEST(ChatFilter, AnyStretchOfSpeltOutLettersMayBeAWord) {
    // A run of letters spelt out one by one often starts or ends with a real
    // one-letter word ("a f u c k", "I f.u.c.k.i.n.g"), so any stretch of it
    // is checked. The price: a word spelt out letter by letter is not read as
    // one word, so "a s s e s s" loses its first three letters.
    EXPECT_EQ(masked(profanity(), "you are a f u c k"), "you are a *******");
    EXPECT_EQ(masked(profanity(), "a F.U.C.K idiot"), "a ******* idiot");
    EXPECT_EQ(masked(profanity(), "I s h i t you not"), "I ******* you not");
    EXPECT_EQ(masked(profanity(), "a s s e s s"), "***** e s s");
    EXPECT_EQ(masked(profanity(), "a b c d"), "a b c d");
    // Two or more separators, or a space between longer pieces, end a word.
    EXPECT_EQ(masked(profanity(), "fu ck"), "fu ck");
    EXPECT_EQ(masked(profanity(), "f..u..c..k"), "f..u..c..k");
}

TEST(ChatFilter, MatchesWholeWordsOnly) {
    for (std::string_view text :
         {"class", "assess", "passage", "Scunthorpe", "cocktail", "peacock", "therapist", "title",
          "constitution", "shitake", "bass", "assassin", "glass ashtray", "Sussex", "cockpit",
          "hancock", "matter of assessment", "classic assumptions"}) {
        auto result = profanity().apply(text);
        EXPECT_EQ(result.text, text);
        EXPECT_EQ(result.masked, 0u) << text;
    }
    EXPECT_EQ(masked(profanity(), "you ass."), "you ***.");
    EXPECT_EQ(masked(profanity(), "(ass)"), "(***)");
    EXPECT_EQ(masked(profanity(), "ass-hat"), "***-hat");  // a punctuation mark may separate
    EXPECT_EQ(masked(profanity(), "fuck.you"), "****.you");
}

TEST(ChatFilter, MaybeLettersAtAWordsEdgesArePunctuation) {
    EXPECT_EQ(masked(profanity(), "shit!!!"), "****!!!");
    EXPECT_EQ(masked(profanity(), "@shit"), "@****");
    EXPECT_EQ(masked(profanity(), "+fuck+"), "+****+");
    EXPECT_EQ(masked(profanity(), "class!"), "class!");
}

TEST(ChatFilter, PhrasesMatchAcrossWhiteSpaceAndPunctuation) {
    EXPECT_EQ(masked(profanity(), "you son of a bitch"), "you **************");
    EXPECT_EQ(masked(profanity(), "son   of\na bitch!"), "****************!");
    EXPECT_EQ(masked(profanity(), "son-of-a-bitch"), "**************");
    EXPECT_EQ(masked(profanity(), "SON OF A B1TCH"), "**************");
    EXPECT_EQ(masked(profanity(), "go kill yourself"), "go *************");
    // Only whole phrases: "son of a" alone is fine, the word "bitch" is listed.
    EXPECT_EQ(masked(profanity(), "son of a gun"), "son of a gun");
    // A maybe letter next to a phrase's gap reads as a letter ("soni").
    EXPECT_EQ(masked(profanity(), "son! of a bitch"), "son! of a *****");
    EXPECT_EQ(masked(profanity(), "a bitch"), "a *****");
    // And whole words at its ends.
    EXPECT_EQ(masked(profanity(), "skill yourself"), "skill yourself");
    EXPECT_EQ(masked(profanity(), "kill yourselves"), "kill yourselves");
}

TEST(ChatFilter, MaskingPreservesTheSurroundingBytesExactly) {
    std::string text = "😀 héllo fuck 🇫🇷 naïve\n日本語 👩‍💻 sh1t\u00A0end";
    std::string expected = "😀 héllo **** 🇫🇷 naïve\n日本語 👩‍💻 ****\u00A0end";
    auto result = profanity().apply(text);
    EXPECT_EQ(result.text, expected);
    EXPECT_EQ(result.masked, 2u);
    // One '*' per code point of the match: four for "fück", five for "fúúck".
    EXPECT_EQ(masked(profanity(), "«fück»"), "«****»");
    EXPECT_EQ(masked(profanity(), "—fúúck—"), "—*****—");
}

TEST(ChatFilter, InvalidBytesPassThroughAsPunctuation) {
    EXPECT_EQ(masked(profanity(),
                     "\xff"
                     "fuck\xfe ok\xC0"),
              "\xff"
              "****\xfe ok\xC0");
}

TEST(ChatFilter, FromWordsFoldsEntriesAndCountsDistinctOnes) {
    ChatFilter filter = filter_of({"Fuck", "fuck", "FÜCK", "  shit  ", "son  of a-bitch"});
    EXPECT_EQ(filter.size(), 3u);
    EXPECT_EQ(masked(filter, "fuck shit son of a bitch"), "**** **** **************");
}

TEST(ChatFilter, DigitsInAnEntryAreLiteral) {
    ChatFilter filter = filter_of({"h8r", "1488"});
    EXPECT_EQ(masked(filter, "h8r"), "***");
    EXPECT_EQ(masked(filter, "hbr"), "hbr");
    EXPECT_EQ(masked(filter, "so 1488"), "so ****");
    EXPECT_EQ(masked(filter, "so 14888"), "so *****");  // repeated, like letters
}

TEST(ChatFilter, NumbersAreNotLeetspeak) {
    EXPECT_EQ(masked(profanity(), "I scored 455 points, 7177 in all"),
              "I scored 455 points, 7177 in all");
    EXPECT_EQ(masked(profanity(), "4 5 5"), "4 5 5");
    EXPECT_EQ(masked(profanity(), "a55 455h0le"), "*** 455h0le");  // one letter is enough
}

TEST(ChatFilter, FromWordsRefusesEntriesItCannotUse) {
    EXPECT_THROW(filter_of({"a$$"}), std::invalid_argument);
    EXPECT_THROW(filter_of({"---"}), std::invalid_argument);
    EXPECT_THROW(filter_of({""}), std::invalid_argument);
    EXPECT_THROW(filter_of({"bad\xff"}), std::invalid_argument);
    try {
        filter_of({"sh!t"});
        FAIL() << "accepted sh!t";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("'!'"), std::string::npos) << e.what();
    }
}

TEST(ChatFilter, EmptyFilterPassesEverythingThrough) {
    ChatFilter filter = ChatFilter::from_words({});
    EXPECT_EQ(filter.size(), 0u);
    EXPECT_EQ(masked(filter, "fuck \xff"), "fuck \xff");
}

// --- Word list files ---

class WordListFile : public ::testing::Test {
  protected:
    std::string write(std::string_view contents) {
        path_ = ::testing::TempDir() + "chat_filter_test_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
        std::ofstream(path_, std::ios::binary) << contents;
        return path_;
    }
    void TearDown() override {
        if (!path_.empty()) {
            std::remove(path_.c_str());
        }
    }

    std::string path_;
};

TEST_F(WordListFile, CommentsAndBlankLinesAreIgnored) {
    std::string path = write(
        "# a comment\n"
        "\n"
        "fuck # trailing comment\n"
        "   \t\n"
        "  son of a bitch  \r\n"
        "shit");  // no final newline
    ChatFilter filter = ChatFilter::load_file(path, "[signal] word-list");
    EXPECT_EQ(filter.size(), 3u);
    EXPECT_EQ(masked(filter, "fuck, son of a bitch, shit"), "****, **************, ****");
    EXPECT_EQ(masked(filter, "a comment"), "a comment");
}

TEST_F(WordListFile, EmptyFileIsAnEmptyList) {
    EXPECT_EQ(ChatFilter::load_file(write("# nothing\n\n"), "[signal] word-list").size(), 0u);
}

TEST_F(WordListFile, MissingFileNamesFileAndKey) {
    std::string path = ::testing::TempDir() + "chat_filter_test_no_such_file.txt";
    try {
        ChatFilter::load_file(path, "[signal] word-list");
        FAIL() << "loaded a missing file";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.key(), "[signal] word-list");
        EXPECT_NE(e.problem().find("cannot read"), std::string::npos) << e.problem();
        EXPECT_NE(std::string(e.what()).find(path + ": [signal] word-list: "), std::string::npos);
    }
}

TEST_F(WordListFile, InvalidUtf8NamesTheLine) {
    std::string path = write("fuck\n# fine\nsh\xC3it\nshit\n");
    try {
        ChatFilter::load_file(path, "[signal] word-list");
        FAIL() << "loaded invalid UTF-8";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), path);
        EXPECT_EQ(e.key(), "[signal] word-list");
        EXPECT_EQ(e.problem().rfind("line 3: ", 0), 0u) << e.problem();
        EXPECT_NE(e.problem().find("UTF-8"), std::string::npos) << e.problem();
    }
}

TEST_F(WordListFile, UnusableEntryNamesTheLine) {
    std::string path = write("fuck\na$$\n");
    try {
        ChatFilter::load_file(path, "[chat] words");
        FAIL() << "loaded a$$";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), "[chat] words");
        EXPECT_EQ(e.problem().rfind("line 2: 'a$$'", 0), 0u) << e.problem();
    }
}

// --- The built-in list ---

TEST(ChatFilterBuiltIn, IsNonEmptyAndMasksAWordFromIt) {
    ChatFilter filter = ChatFilter::built_in();
    EXPECT_GE(filter.size(), 50u);
    EXPECT_LE(filter.size(), 150u);
    auto result = filter.apply("what the fuck, you m0therfuckerrr");
    EXPECT_EQ(result.text, "what the ****, you **************");
    EXPECT_EQ(result.masked, 2u);
}

TEST(ChatFilterBuiltIn, MatchesTheFileItWasBuiltFrom) {
    ChatFilter from_file =
        ChatFilter::load_file(TURNPIKE_SOURCE_ROOT "/conf/wordlist.txt", "[signal] word-list");
    EXPECT_EQ(ChatFilter::built_in().size(), from_file.size());
}

TEST(ChatFilterBuiltIn, LeavesOrdinaryEnglishAlone) {
    std::string_view text =
        "Scunthorpe is a class act: I assess the cocktail menu with my therapist, then we "
        "analyse a classic title in Sussex. Dickens wrote about a spicy cockerel. Hello!";
    auto result = ChatFilter::built_in().apply(text);
    EXPECT_EQ(result.text, text);
    EXPECT_EQ(result.masked, 0u);
}

// --- Speed ---

// ~500 entries: the built-in list's and made-up words.
ChatFilter five_hundred_words() {
    std::vector<std::string> words;
    std::ifstream file(TURNPIKE_SOURCE_ROOT "/conf/wordlist.txt");
    for (std::string line; std::getline(file, line);) {
        if (!line.empty() && line[0] != '#') {
            words.push_back(line);
        }
    }
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> length(4, 10);
    std::uniform_int_distribution<int> letter('a', 'z');
    while (words.size() < 500) {
        std::string word;
        for (int n = length(rng); n > 0; --n) {
            word += static_cast<char>(letter(rng));
        }
        words.push_back(word);
    }
    return ChatFilter::from_words(words);
}

// Microseconds per apply() of `text`.
double time_apply(const ChatFilter& filter, std::string_view text) {
    constexpr int rounds = 20000;
    size_t sink = 0;
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; ++i) {
        sink += filter.apply(text).masked;
    }
    std::chrono::duration<double, std::micro> spent = std::chrono::steady_clock::now() - started;
    EXPECT_GT(sink, 0u);
    return spent.count() / rounds;
}

// `sentence` repeated to `chars` code points.
std::string message_of(std::string_view sentence, size_t chars) {
    std::string text;
    for (size_t n = 0; n < chars;) {
        size_t pos = 0;
        for (; pos < sentence.size() && n < chars; ++n) {
            pos = static_cast<size_t>(g_utf8_next_char(sentence.data() + pos) - sentence.data());
        }
        text += sentence.substr(0, pos);
    }
    return text;
}

TEST(ChatFilterSpeed, FiveHundredWordsOnA500CharacterMessage) {
    ChatFilter filter = five_hundred_words();
    ASSERT_EQ(filter.size(), 500u);
    std::string ascii = message_of(
        "hey there, how's it going? this shit is so f.u.c.k.i.n.g cool lol, 1337 h4x0r. ", 500);
    std::string accented =
        message_of("Ça va? Très bien, merci. Schöne Grüße aus Köln — fück ðat, ｆｕｃｋ. ", 500);
    std::string cjk =
        message_of("今日はいい天気ですね。日本語のテキスト、fuck、한국어 텍스트도. ", 500);
    double ascii_us = time_apply(filter, ascii);
    double accented_us = time_apply(filter, accented);
    double cjk_us = time_apply(filter, cjk);
    std::printf(
        "ChatFilterSpeed: %zu entries, 500-character messages: ASCII %.2f us, accented "
        "%.2f us, CJK %.2f us per apply()\n",
        filter.size(), ascii_us, accented_us, cjk_us);
    EXPECT_LT(ascii_us, 50.0);
    EXPECT_LT(accented_us, 50.0);
    EXPECT_LT(cjk_us, 50.0);
}

}  // namespace
}  // namespace turnpike::signal
