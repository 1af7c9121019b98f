#include "signal/chat_filter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace turnpike::signal {
namespace {

ChatFilter filter_of(std::vector<std::string> words) {
    return ChatFilter::from_words(words);
}

TEST(CleanChatText, KeepsPlainTextAndNewlines) {
    EXPECT_EQ(clean_chat_text("hello\nworld", 100), "hello\nworld");
    EXPECT_EQ(clean_chat_text("  padded  ", 100), "padded");
    EXPECT_EQ(clean_chat_text("a\n\n\n\n\nb", 100), "a\n\nb");
}

TEST(CleanChatText, StripsControlBidiAndZeroWidthCharacters) {
    EXPECT_EQ(clean_chat_text("a\x01"
                              "b\x7f"
                              "c",
                              100),
              "abc");
    EXPECT_EQ(clean_chat_text("x\u202ey\u2066z\u200bw\ufeff", 100), "xyzw");
    EXPECT_EQ(clean_chat_text("c1\u0085end", 100), "c1end");  // C1 control NEL
}

TEST(CleanChatText, RefusesInvalidUtf8AndEmptiness) {
    EXPECT_EQ(clean_chat_text("\xff\xfe", 100), std::nullopt);
    EXPECT_EQ(clean_chat_text("ok\xc3", 100), std::nullopt);
    EXPECT_EQ(clean_chat_text("", 100), std::nullopt);
    EXPECT_EQ(clean_chat_text(" \n\t\u200b ", 100), std::nullopt);
}

TEST(CleanChatText, CutsOnACharacterBoundary) {
    EXPECT_EQ(clean_chat_text("ééééé", 3), "ééé");
    EXPECT_EQ(clean_chat_text("👋👋👋", 2), "👋👋");
    EXPECT_EQ(clean_chat_text("abc", 3), "abc");
}

TEST(ChatFilter, MasksWholeWordsOnlyLeavingTheRestByteForByte) {
    auto filter = filter_of({"ass", "cunt", "cock", "rapist"});
    for (const char* clean : {"class", "assess", "Scunthorpe", "cocktail", "therapist", "bass"}) {
        auto result = filter.apply(clean);
        EXPECT_EQ(result.text, clean);
        EXPECT_EQ(result.masked, 0u) << clean;
    }
    auto result = filter.apply("café 👋 you ass, ok?");
    EXPECT_EQ(result.text, "café 👋 you ***, ok?");
    EXPECT_EQ(result.masked, 1u);
}

TEST(ChatFilter, FoldsCaseAccentsAndCompatibilityForms) {
    auto filter = filter_of({"fuck"});
    EXPECT_EQ(filter.apply("FUCK").text, "****");
    EXPECT_EQ(filter.apply("fück").text, "****");
    EXPECT_EQ(filter.apply("fu\u0308ck off").text, "***** off");  // combining diaeresis
    EXPECT_EQ(filter.apply("ｆｕｃｋ").text, "****");             // fullwidth
}

TEST(ChatFilter, FoldsLookAlikeDigitsAndSymbols) {
    auto filter = filter_of({"shit", "ass", "slut", "test"});
    EXPECT_EQ(filter.apply("sh1t").text, "****");
    EXPECT_EQ(filter.apply("sh!t").text, "****");
    EXPECT_EQ(filter.apply("@$$").text, "***");
    EXPECT_EQ(filter.apply("5lut").text, "****");
    EXPECT_EQ(filter.apply("s|ut").text, "****");
    EXPECT_EQ(filter.apply("73$7").text, "****");
}

TEST(ChatFilter, CatchesStretchedLettersWithoutCatchingShorterWords) {
    auto filter = filter_of({"fuck", "ass"});
    EXPECT_EQ(filter.apply("fuuuuuck").text, "********");
    EXPECT_EQ(filter.apply("asssss").text, "******");
    EXPECT_EQ(filter.apply("as").text, "as");
    EXPECT_EQ(filter.apply("pass").text, "pass");
}

TEST(ChatFilter, CatchesLettersSpeltOutWithSeparators) {
    auto filter = filter_of({"fuck"});
    EXPECT_EQ(filter.apply("f.u.c.k").text, "*******");
    EXPECT_EQ(filter.apply("f u c k you").text, "******* you");
    EXPECT_EQ(filter.apply("a f-u-c-k").text, "a *******");
    EXPECT_EQ(filter.apply("a b c d").text, "a b c d");
}

TEST(ChatFilter, MatchesPhrasesAcrossWhitespace) {
    auto filter = filter_of({"kill yourself"});
    EXPECT_EQ(filter.apply("just KILL   yourself now").text, "just *************** now");
    EXPECT_EQ(filter.apply("kill the lights, yourself").text, "kill the lights, yourself");
    EXPECT_EQ(filter.apply("kill").text, "kill");
}

TEST(ChatFilter, BuiltInListIsCompiledInAndWorks) {
    auto filter = ChatFilter::built_in();
    EXPECT_GT(filter.size(), 50u);
    EXPECT_EQ(filter.apply("what the fuck").text, "what the ****");
    EXPECT_EQ(filter.apply("a classic assessment").masked, 0u);
}

TEST(ChatFilter, LoadsAFileWithCommentsAndBlankLines) {
    std::string path = ::testing::TempDir() + "/words.txt";
    std::ofstream(path) << "# comment\n\n  frak  \nsmeg # inline comment\n";
    auto filter = ChatFilter::load_file(path, "[signal] word-list");
    EXPECT_EQ(filter.size(), 2u);
    EXPECT_EQ(filter.apply("frak and smeg").text, "**** and ****");
}

TEST(ChatFilter, LoadErrorsNameTheFileTheKeyAndTheLine) {
    try {
        ChatFilter::load_file("/nonexistent/words.txt", "[signal] word-list");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), "/nonexistent/words.txt");
        EXPECT_EQ(e.key(), "[signal] word-list");
    }
    std::string path = ::testing::TempDir() + "/bad-words.txt";
    std::ofstream(path) << "fine\nbad \xff byte\n";
    try {
        ChatFilter::load_file(path, "[signal] word-list");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
}

TEST(ChatFilter, FiltersA500CharacterMessageQuicklyWithTheBuiltInList) {
    auto filter = ChatFilter::built_in();
    std::string message;
    while (message.size() < 500) {
        message += "this is an ordinary sentence, ";
    }
    auto started = std::chrono::steady_clock::now();
    constexpr int rounds = 200;
    size_t masked = 0;
    for (int i = 0; i < rounds; ++i) {
        masked += filter.apply(message).masked;
    }
    auto each = (std::chrono::steady_clock::now() - started) / rounds;
    EXPECT_EQ(masked, 0u);
    // Generous for a loaded CI machine; about 60 us here.
    EXPECT_LT(each, std::chrono::milliseconds(2));
    RecordProperty(
        "microseconds_per_message",
        static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(each).count()));
}

}  // namespace
}  // namespace turnpike::signal
