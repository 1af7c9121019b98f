#pragma once

// The matching rules, written once for every Matcher implementation.
//
// Instantiate with a factory type providing:
//   static std::unique_ptr<Matcher> make(MatcherSettings settings);
//   static void settle(Matcher& matcher);  // returns once every match that the
//                                          // calls so far will make is delivered
// e.g. INSTANTIATE_TYPED_TEST_SUITE_P(Memory, MatcherContract, MemoryFactory);
// Time is fabricated: seekers carry `since`, and tick(now) moves it on.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "matcher/matcher.hpp"

namespace turnpike::matcher::contract {

using namespace std::chrono_literals;

// The node bits of the matcher under test: a cluster matcher treats a
// session of another node as that node's, which must then be alive.
inline uint64_t node_bits = 0;

inline SessionId sid(uint64_t n) {
    return SessionId{node_bits | n};
}

// Distinct per session, so that only the IP tests share addresses.
inline std::string ip_of(uint64_t n) {
    return fmt::format("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

struct Want {
    ChatMode mode = ChatMode::text;
    std::string lang{};
    std::vector<std::string> interests{};
    std::string ip{};  // ip_of(id) when empty
};

template <typename Factory>
class MatcherContract : public ::testing::Test {
  protected:
    void SetUp() override { start({}); }

    void start(MatcherSettings settings) {
        settings_ = settings;
        matcher_ = Factory::make(settings);
        node_bits = static_cast<uint64_t>(matcher_->new_session_id()) & ~((uint64_t{1} << 40) - 1);
        matcher_->on_match([this](const Match& match) { matches_.push_back(match); });
        matcher_->tick(now_);
    }

    void find(uint64_t id, Want want = {}) {
        Seeker seeker{.id = sid(id),
                      .ip = want.ip.empty() ? ip_of(id) : want.ip,
                      .mode = want.mode,
                      .lang = want.lang,
                      .interests = normalise_interests(want.interests),
                      .since = now_};
        matcher_->enqueue(std::move(seeker));
        Factory::settle(*matcher_);
    }

    void advance(Clock::duration by) {
        now_ += by;
        matcher_->tick(now_);
        Factory::settle(*matcher_);
    }

    void leave(uint64_t id) {
        matcher_->leave(sid(id));
        Factory::settle(*matcher_);
    }

    void close(uint64_t id) {
        matcher_->close(sid(id));
        Factory::settle(*matcher_);
    }

    void block(uint64_t who, uint64_t whom, std::string ip_who = {}, std::string ip_whom = {}) {
        matcher_->block(sid(who), sid(whom), ip_who.empty() ? ip_of(who) : ip_who,
                        ip_whom.empty() ? ip_of(whom) : ip_whom);
        Factory::settle(*matcher_);
    }

    // Matches made since the last call.
    std::vector<Match> take() { return std::exchange(matches_, {}); }

    static bool pairs(const Match& match, uint64_t x, uint64_t y) {
        return (match.a == sid(x) && match.b == sid(y)) || (match.a == sid(y) && match.b == sid(x));
    }

    // Both saw no match, then exactly one: the pair x-y.
    void expect_only_pair(uint64_t x, uint64_t y) {
        auto made = take();
        ASSERT_EQ(made.size(), 1u) << "expected exactly the pair " << x << "-" << y;
        EXPECT_TRUE(pairs(made[0], x, y))
            << "paired " << static_cast<uint64_t>(made[0].a) << "-"
            << static_cast<uint64_t>(made[0].b) << " instead of " << x << "-" << y;
    }

    void expect_no_match() { EXPECT_TRUE(take().empty()); }

    MatcherSettings settings_;
    std::unique_ptr<Matcher> matcher_;
    std::vector<Match> matches_;
    Clock::time_point now_ = Clock::time_point{} + 1000h;
};

TYPED_TEST_SUITE_P(MatcherContract);

// --- pairing and roles ---

TYPED_TEST_P(MatcherContract, PairsTwoCompatibleSeekers) {
    this->find(1);
    this->expect_no_match();
    this->find(2);
    this->expect_only_pair(1, 2);
}

TYPED_TEST_P(MatcherContract, ExactlyOneImpoliteAndItIsWhoWaitedLonger) {
    this->find(7);
    this->advance(1s);
    this->find(3);
    auto made = this->take();
    ASSERT_EQ(made.size(), 1u);
    const Match& match = made[0];
    EXPECT_NE(match.a, match.b);
    EXPECT_TRUE(match.impolite == match.a || match.impolite == match.b);
    EXPECT_EQ(match.impolite, sid(7));
    EXPECT_EQ(match.partner_of(sid(7)), sid(3));
    EXPECT_EQ(match.partner_of(sid(3)), sid(7));
}

// --- modes and languages ---

TYPED_TEST_P(MatcherContract, KeepsTextAndVideoApart) {
    this->find(1, {.mode = ChatMode::text});
    this->find(2, {.mode = ChatMode::video});
    this->expect_no_match();
    this->find(3, {.mode = ChatMode::video});
    this->expect_only_pair(2, 3);
    this->find(4, {.mode = ChatMode::text});
    this->expect_only_pair(1, 4);
}

TYPED_TEST_P(MatcherContract, DifferentLanguagesAreNotPaired) {
    this->find(1, {.lang = "en"});
    this->find(2, {.lang = "de"});
    this->expect_no_match();
    this->advance(1h);
    this->expect_no_match();
    this->find(3, {.lang = "de"});
    this->expect_only_pair(2, 3);
}

TYPED_TEST_P(MatcherContract, AnyLanguageMeetsEveryLanguage) {
    this->find(1, {.lang = "en"});
    this->find(2, {.lang = "any"});
    this->expect_only_pair(1, 2);
    this->find(3, {.lang = ""});
    this->find(4, {.lang = "pt-br"});
    this->expect_only_pair(3, 4);
    this->find(5, {.lang = "any"});
    this->find(6, {.lang = ""});
    this->expect_only_pair(5, 6);
}

TYPED_TEST_P(MatcherContract, LanguageIsCompared) {
    this->find(1, {.lang = " EN "});
    this->find(2, {.lang = "en"});
    this->expect_only_pair(1, 2);
}

// --- interests ---

TYPED_TEST_P(MatcherContract, InterestsHoldOutForAShared) {
    this->find(1, {.interests = {"music"}});
    this->find(2);
    this->expect_no_match();
    this->find(3, {.interests = {"chess"}});
    this->expect_no_match();
    this->find(4, {.interests = {"art", "music"}});
    this->expect_only_pair(1, 4);
}

TYPED_TEST_P(MatcherContract, SharedInterestWinsOverTheOldestWaiter) {
    this->find(1);
    this->advance(1s);
    this->find(2, {.interests = {"film"}});
    this->find(3, {.interests = {"film"}});
    this->expect_only_pair(2, 3);
}

TYPED_TEST_P(MatcherContract, FallsBackToAnyoneAfterTheInterestWait) {
    this->find(1, {.interests = {"music"}});
    this->find(2);
    this->advance(4900ms);
    this->expect_no_match();
    this->advance(100ms);
    this->expect_only_pair(1, 2);
    EXPECT_TRUE(this->matches_.empty());
}

TYPED_TEST_P(MatcherContract, DisjointInterestsPairAfterBothWaits) {
    this->find(1, {.interests = {"music"}});
    this->advance(3s);
    this->find(2, {.interests = {"chess"}});
    this->advance(2s);  // 1 takes anyone, 2 still holds out for chess
    this->expect_no_match();
    this->advance(3s);
    auto made = this->take();
    ASSERT_EQ(made.size(), 1u);
    EXPECT_TRUE(this->pairs(made[0], 1, 2));
    EXPECT_TRUE(made[0].common.empty());
}

TYPED_TEST_P(MatcherContract, InterestWaitIsConfigurable) {
    this->start({.interest_wait = 1s});
    this->find(1, {.interests = {"music"}});
    this->find(2);
    this->advance(999ms);
    this->expect_no_match();
    this->advance(1ms);
    this->expect_only_pair(1, 2);
}

TYPED_TEST_P(MatcherContract, NoInterestWaitMeansAnyoneAtOnce) {
    this->start({.interest_wait = 0ms});
    this->find(1, {.interests = {"music"}});
    this->find(2);
    this->expect_only_pair(1, 2);
}

TYPED_TEST_P(MatcherContract, CommonListsTheSharedInterestsSorted) {
    this->find(1, {.interests = {"zines", "Music", "art", "chess"}});
    this->find(2, {.interests = {"  music ", "ZINES", "film", "chess"}});
    auto made = this->take();
    ASSERT_EQ(made.size(), 1u);
    EXPECT_EQ(made[0].common, (std::vector<std::string>{"chess", "music", "zines"}));
}

TYPED_TEST_P(MatcherContract, CommonIsEmptyWithoutSharedInterests) {
    this->find(1);
    this->find(2);
    auto made = this->take();
    ASSERT_EQ(made.size(), 1u);
    EXPECT_TRUE(made[0].common.empty());
}

// --- blocks ---

TYPED_TEST_P(MatcherContract, SessionBlockHoldsBothWays) {
    for (bool first_blocks : {true, false}) {
        uint64_t base = first_blocks ? 100 : 200;
        if (first_blocks) {
            this->block(base + 1, base + 2);
        } else {
            this->block(base + 2, base + 1);
        }
        this->find(base + 1);
        this->find(base + 2);
        this->advance(1h);
        this->expect_no_match();
        this->find(base + 3);
        this->expect_only_pair(base + 1, base + 3);
        this->find(base + 4);
        this->expect_only_pair(base + 2, base + 4);
    }
}

TYPED_TEST_P(MatcherContract, BlockOutlivesThePair) {
    this->find(1);
    this->find(2);
    this->expect_only_pair(1, 2);
    this->block(2, 1);
    this->leave(2);
    this->find(1);
    this->find(3);
    this->expect_only_pair(1, 3);
    this->find(2);
    this->find(4);
    this->expect_only_pair(2, 4);
    this->leave(1);  // 1 and 2 have each had another partner since
    this->leave(2);
    this->find(1);
    this->find(2);
    this->expect_no_match();
}

TYPED_TEST_P(MatcherContract, IpBlockHoldsForNewSessionsBothWays) {
    this->block(1, 2, "192.0.2.1", "198.51.100.2");
    this->close(1);
    this->close(2);
    this->find(3, {.ip = "198.51.100.2"});
    this->find(4, {.ip = "192.0.2.1"});
    this->expect_no_match();
    this->find(5);
    this->expect_only_pair(3, 5);
    this->find(6);
    this->expect_only_pair(4, 6);
}

TYPED_TEST_P(MatcherContract, IpBlockExpires) {
    this->start({.ip_block_ttl = std::chrono::hours{2}});
    this->block(1, 2, "192.0.2.1", "198.51.100.2");
    this->advance(1h);
    this->find(3, {.ip = "192.0.2.1"});
    this->find(4, {.ip = "198.51.100.2"});
    this->expect_no_match();
    this->leave(3);
    this->leave(4);
    this->advance(1h);
    this->find(5, {.ip = "192.0.2.1"});
    this->find(6, {.ip = "198.51.100.2"});
    this->expect_only_pair(5, 6);
}

TYPED_TEST_P(MatcherContract, IpBlocksAreListedAndCanBeLifted) {
    this->block(1, 2, "198.51.100.2", "192.0.2.1");
    std::optional<std::vector<IpBlock>> listed;
    this->matcher_->ip_blocks([&](auto blocks) { listed = std::move(blocks); });
    TypeParam::settle(*this->matcher_);
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].ip_a, "192.0.2.1");
    EXPECT_EQ((*listed)[0].ip_b, "198.51.100.2");
    EXPECT_GT((*listed)[0].expires_unix, 0);
    this->matcher_->unblock_ips("198.51.100.2", "192.0.2.1");
    TypeParam::settle(*this->matcher_);
    this->close(1);
    this->close(2);
    this->find(3, {.ip = "192.0.2.1"});
    this->find(4, {.ip = "198.51.100.2"});
    this->expect_only_pair(3, 4);
}

TYPED_TEST_P(MatcherContract, BlockWithinOneAddressBlocksOnlyTheSessions) {
    this->block(1, 2, "203.0.113.9", "203.0.113.9");
    this->find(1, {.ip = "203.0.113.9"});
    this->find(2, {.ip = "203.0.113.9"});
    this->expect_no_match();
    this->find(3, {.ip = "203.0.113.9"});
    this->expect_only_pair(1, 3);
    this->find(4, {.ip = "203.0.113.9"});
    this->expect_only_pair(2, 4);
}

// --- next, leave, close ---

TYPED_TEST_P(MatcherContract, NotPairedAgainWithThePartnerJustLeft) {
    this->find(1);
    this->find(2);
    this->expect_only_pair(1, 2);
    this->leave(1);  // "next"
    this->find(1);
    this->find(2);
    this->advance(1h);
    this->expect_no_match();
    this->find(3);
    this->expect_only_pair(1, 3);
    this->find(4);
    this->expect_only_pair(2, 4);
}

TYPED_TEST_P(MatcherContract, PairedAgainOnceBothHadAnotherPartner) {
    this->find(1);
    this->find(2);
    this->leave(2);
    this->find(1);
    this->find(3);
    this->find(2);
    this->find(4);
    this->take();
    this->leave(1);
    this->leave(2);
    this->find(1);
    this->find(2);
    this->expect_only_pair(1, 2);
}

TYPED_TEST_P(MatcherContract, LeaveRemovesFromTheQueueAtOnce) {
    this->find(1);
    this->leave(1);
    this->find(2);
    this->expect_no_match();
    this->find(3, {.interests = {"music"}});
    this->leave(3);
    this->find(4, {.interests = {"music"}});
    this->advance(1h);
    this->expect_only_pair(2, 4);
}

TYPED_TEST_P(MatcherContract, CloseRemovesFromTheQueue) {
    this->find(1);
    this->close(1);
    this->find(2);
    this->expect_no_match();
}

TYPED_TEST_P(MatcherContract, LeaveFreesThePartner) {
    this->find(1);
    this->find(2);
    this->take();
    this->close(1);
    this->find(2);
    this->find(3);
    this->expect_only_pair(2, 3);
}

TYPED_TEST_P(MatcherContract, LeaveOfAnIdleSessionIsHarmless) {
    this->leave(1);
    this->close(1);
    this->find(1);
    this->find(2);
    this->expect_only_pair(1, 2);
}

// --- never twice at once ---

TYPED_TEST_P(MatcherContract, EnqueueTwiceIsIgnored) {
    this->find(1);
    this->find(1);
    this->expect_no_match();
    this->find(2);
    this->expect_only_pair(1, 2);
    this->find(1);  // already paired
    this->find(3);
    this->expect_no_match();
    this->find(4);
    this->expect_only_pair(3, 4);
}

TYPED_TEST_P(MatcherContract, FiveHundredAtOnceMakeTwoHundredFiftyPairs) {
    for (uint64_t id = 1; id <= 500; ++id) {
        Seeker seeker;
        seeker.id = sid(id);
        seeker.ip = ip_of(id);
        seeker.since = this->now_;
        this->matcher_->enqueue(std::move(seeker));
    }
    TypeParam::settle(*this->matcher_);
    auto made = this->take();
    EXPECT_EQ(made.size(), 250u);
    std::set<SessionId> seen;
    for (const Match& match : made) {
        EXPECT_TRUE(seen.insert(match.a).second);
        EXPECT_TRUE(seen.insert(match.b).second);
    }
    EXPECT_EQ(seen.size(), 500u);
}

// A crowd with every kind of wish, checked against every rule at once.
TYPED_TEST_P(MatcherContract, EveryMatchOfACrowdKeepsTheRules) {
    std::mt19937 random(42);
    const std::vector<std::string> langs{"", "en", "de", "fr"};
    const std::vector<std::string> topics{"music", "art", "chess", "film", "code", "food"};
    std::map<SessionId, Want> wants;
    std::map<SessionId, Clock::time_point> since;
    std::set<SessionId> busy;
    for (uint64_t id = 1; id <= 2000; ++id) {
        Want want;
        want.mode = random() % 2 ? ChatMode::video : ChatMode::text;
        want.lang = langs[random() % langs.size()];
        for (unsigned n = random() % 3; n > 0; --n) {
            want.interests.push_back(topics[random() % topics.size()]);
        }
        want.interests = normalise_interests(want.interests);
        wants[sid(id)] = want;
        since[sid(id)] = this->now_;
        this->find(id, want);
        if (id % 50 == 0) {
            this->advance(1s);
        }
        for (const Match& match : this->take()) {
            const Want& a = wants[match.a];
            const Want& b = wants[match.b];
            EXPECT_TRUE(busy.insert(match.a).second);
            EXPECT_TRUE(busy.insert(match.b).second);
            EXPECT_EQ(a.mode, b.mode);
            EXPECT_TRUE(a.lang.empty() || b.lang.empty() || a.lang == b.lang);
            std::vector<std::string> common;
            std::set_intersection(a.interests.begin(), a.interests.end(), b.interests.begin(),
                                  b.interests.end(), std::back_inserter(common));
            EXPECT_EQ(match.common, common);
            auto waited = [&](SessionId x) { return this->now_ - since[x]; };
            if (common.empty()) {
                EXPECT_TRUE(a.interests.empty() || waited(match.a) >= 5s);
                EXPECT_TRUE(b.interests.empty() || waited(match.b) >= 5s);
            }
            EXPECT_TRUE(match.impolite == match.a || match.impolite == match.b);
        }
    }
    EXPECT_GT(busy.size(), 1500u);
}

REGISTER_TYPED_TEST_SUITE_P(
    MatcherContract, PairsTwoCompatibleSeekers, ExactlyOneImpoliteAndItIsWhoWaitedLonger,
    KeepsTextAndVideoApart, DifferentLanguagesAreNotPaired, AnyLanguageMeetsEveryLanguage,
    LanguageIsCompared, InterestsHoldOutForAShared, SharedInterestWinsOverTheOldestWaiter,
    FallsBackToAnyoneAfterTheInterestWait, DisjointInterestsPairAfterBothWaits,
    InterestWaitIsConfigurable, NoInterestWaitMeansAnyoneAtOnce,
    CommonListsTheSharedInterestsSorted, CommonIsEmptyWithoutSharedInterests,
    SessionBlockHoldsBothWays, BlockOutlivesThePair, IpBlockHoldsForNewSessionsBothWays,
    IpBlockExpires, IpBlocksAreListedAndCanBeLifted, BlockWithinOneAddressBlocksOnlyTheSessions,
    NotPairedAgainWithThePartnerJustLeft, PairedAgainOnceBothHadAnotherPartner,
    LeaveRemovesFromTheQueueAtOnce, CloseRemovesFromTheQueue, LeaveFreesThePartner,
    LeaveOfAnIdleSessionIsHarmless, EnqueueTwiceIsIgnored,
    FiveHundredAtOnceMakeTwoHundredFiftyPairs, EveryMatchOfACrowdKeepsTheRules);

}  // namespace turnpike::matcher::contract
