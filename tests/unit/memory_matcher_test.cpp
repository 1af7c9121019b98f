// The matching rules (matcher_contract.hpp) run against the in-process
// matcher, plus what only it promises: synchronous delivery, re-entrant
// handlers, and a throughput figure.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "matcher/memory_matcher.hpp"
#include "unit/matcher_contract.hpp"

namespace turnpike::matcher::contract {
namespace {

struct MemoryFactory {
    static std::unique_ptr<Matcher> make(MatcherSettings settings) {
        return std::make_unique<MemoryMatcher>(settings);
    }
    static void settle(Matcher&) {}  // delivery is synchronous
};

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, MatcherContract, MemoryFactory);

}  // namespace
}  // namespace turnpike::matcher::contract

namespace turnpike::matcher {
namespace {

using namespace std::chrono_literals;

Seeker seeker(uint64_t id, Clock::time_point since = Clock::time_point{}) {
    Seeker one;
    one.id = SessionId{id};
    one.ip = contract::ip_of(id);
    one.since = since;
    return one;
}

TEST(MemoryMatcher, DeliversBeforeEnqueueReturns) {
    MemoryMatcher matcher;
    int delivered = 0;
    matcher.on_match([&](const Match&) { ++delivered; });
    matcher.enqueue(seeker(1));
    EXPECT_EQ(delivered, 0);
    matcher.enqueue(seeker(2));
    EXPECT_EQ(delivered, 1);
    EXPECT_EQ(matcher.waiting(), 0u);
    EXPECT_EQ(matcher.paired(), 2u);
}

TEST(MemoryMatcher, HandlerMayCallBackIn) {
    MemoryMatcher matcher;
    std::vector<Match> delivered;
    matcher.on_match([&](const Match& match) {
        delivered.push_back(match);
        if (match.a == SessionId{1} || match.b == SessionId{1}) {
            matcher.leave(SessionId{1});  // a session that dropped meanwhile
            matcher.enqueue(seeker(3));   // its partner is re-queued...
            matcher.enqueue(seeker(4));   // ...and this match arrives after this one
        }
    });
    matcher.enqueue(seeker(1));
    matcher.enqueue(seeker(2));
    ASSERT_EQ(delivered.size(), 2u);
    EXPECT_EQ(delivered[1].partner_of(SessionId{3}), SessionId{4});
    EXPECT_EQ(matcher.waiting(), 0u);
    EXPECT_EQ(matcher.paired(), 2u);
}

TEST(MemoryMatcher, ForgetsEverythingAboutClosedSessions) {
    MemoryMatcher matcher;
    matcher.enqueue(seeker(1));
    matcher.enqueue(seeker(2));
    matcher.block(SessionId{1}, SessionId{2}, "192.0.2.1", "192.0.2.1");
    matcher.enqueue(seeker(3));
    matcher.close(SessionId{1});
    matcher.close(SessionId{2});
    matcher.close(SessionId{3});
    EXPECT_EQ(matcher.waiting(), 0u);
    EXPECT_EQ(matcher.paired(), 0u);
}

// --- throughput: figures to read, not limits; they pass on any machine ---

const auto bench_start = Clock::time_point{} + 1h;

// Seekers in both modes, six languages (one of them "any") and up to three of
// ten interests, arriving 20 us apart: 50,000 a second.
std::vector<Seeker> arriving_crowd(uint64_t first_id, size_t count) {
    std::mt19937 random(7);
    const std::vector<std::string> langs{"", "en", "de", "fr", "es", "pt"};
    const std::vector<std::string> topics{"music", "art",   "chess", "film",  "code",
                                          "food",  "games", "books", "sport", "travel"};
    std::vector<Seeker> crowd;
    crowd.reserve(count);
    for (uint64_t id = first_id; id < first_id + count; ++id) {
        Seeker one = seeker(id, bench_start + std::chrono::microseconds((id - first_id) * 20));
        one.mode = random() % 2 ? ChatMode::video : ChatMode::text;
        one.lang = langs[random() % langs.size()];
        std::vector<std::string> interests;
        for (unsigned n = random() % 4; n > 0; --n) {
            interests.push_back(topics[random() % topics.size()]);
        }
        one.interests = normalise_interests(interests);
        crowd.push_back(std::move(one));
    }
    return crowd;
}

// 50,000 who stay waiting through the run: each holds out for an interest
// nobody else has, spread over 200 languages of both modes, so every "any"
// newcomer has 200 buckets to look in.
void fill_with_waiters(MemoryMatcher& matcher, size_t count) {
    for (uint64_t id = 1; id <= count; ++id) {
        Seeker one = seeker(id, bench_start);
        one.mode = id % 2 ? ChatMode::video : ChatMode::text;
        one.lang = fmt::format("x{}", id % 200);
        one.interests = {fmt::format("rare{}", id)};
        matcher.enqueue(std::move(one));
    }
}

// Ticks every 100 ms of fabricated time, as the control loop would.
void run_and_print(const char* label, MemoryMatcher& matcher, std::vector<Seeker> crowd) {
    size_t matches = 0;
    matcher.on_match([&](const Match&) { ++matches; });
    size_t waiting_before = matcher.waiting();
    auto started = std::chrono::steady_clock::now();
    for (size_t i = 0; i < crowd.size(); ++i) {
        Clock::time_point since = crowd[i].since;
        matcher.enqueue(std::move(crowd[i]));
        if (i % 5000 == 4999) {
            matcher.tick(since);
        }
    }
    matcher.tick(bench_start + 4s);  // still within the waiters' interest wait
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "MatcherThroughput %s: %zu seekers, %zu already waiting, %zu matches in %.3f s: "
        "%.0f matches/s, %.2f us per enqueue\n",
        label, crowd.size(), waiting_before, matches, seconds, matches / seconds,
        seconds * 1e6 / static_cast<double>(crowd.size()));
    EXPECT_GT(matches, crowd.size() / 2 - 2000);
}

TEST(MatcherThroughput, PrintsMatchesPerSecondFor100kSeekers) {
    MemoryMatcher matcher;
    run_and_print("(empty queue)", matcher, arriving_crowd(1, 100'000));
}

TEST(MatcherThroughput, PrintsMatchesPerSecondWith50kWaiting) {
    MemoryMatcher matcher;
    fill_with_waiters(matcher, 50'000);
    run_and_print("(50k waiting)", matcher, arriving_crowd(1'000'000, 100'000));
}

}  // namespace
}  // namespace turnpike::matcher
