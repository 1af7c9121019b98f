#include "signal/description_type.hpp"

#include <gtest/gtest.h>

namespace turnpike::signal {
namespace {

TEST(DescriptionType, ParsesTheFourRtcSdpTypes) {
    EXPECT_EQ(parse_description_type("offer"), DescriptionType::offer);
    EXPECT_EQ(parse_description_type("answer"), DescriptionType::answer);
    EXPECT_EQ(parse_description_type("pranswer"), DescriptionType::pranswer);
    EXPECT_EQ(parse_description_type("rollback"), DescriptionType::rollback);
}

TEST(DescriptionType, RejectsAnythingElse) {
    // WebIDL enum values are case-sensitive.
    for (auto text : {"", "Offer", "ANSWER", "offer ", " offer", "provisional"}) {
        EXPECT_FALSE(parse_description_type(text)) << text;
    }
    EXPECT_FALSE(parse_description_type(std::string_view("offer\0", 6)));
}

TEST(DescriptionType, NamesRoundTrip) {
    for (auto type : {DescriptionType::offer, DescriptionType::answer, DescriptionType::pranswer,
                      DescriptionType::rollback}) {
        EXPECT_EQ(parse_description_type(to_string(type)), type);
    }
}

TEST(DescriptionType, OnlyRollbackCarriesNoSdp) {
    EXPECT_TRUE(carries_sdp(DescriptionType::offer));
    EXPECT_TRUE(carries_sdp(DescriptionType::answer));
    EXPECT_TRUE(carries_sdp(DescriptionType::pranswer));
    EXPECT_FALSE(carries_sdp(DescriptionType::rollback));
}

}  // namespace
}  // namespace turnpike::signal
