#include "signal/chat_rate.hpp"

#include <gtest/gtest.h>

namespace turnpike::signal {
namespace {

using namespace std::chrono_literals;
using Verdict = ChatRateLimiter::Verdict;
const auto t0 = ChatRateLimiter::Clock::time_point{} + 1000s;

TEST(ChatRateLimiter, AllowsTheBurstWithinTheWindowAndRefusesTheNext) {
    ChatRateLimiter limiter;
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(limiter.check(t0 + i * 100ms).verdict, Verdict::allow) << i;
    }
    auto sixth = limiter.check(t0 + 4999ms);
    EXPECT_EQ(sixth.verdict, Verdict::timed_out);
    EXPECT_EQ(sixth.retry_after, 10s);
    EXPECT_EQ(sixth.violations, 1u);
}

TEST(ChatRateLimiter, TheWindowSlides) {
    ChatRateLimiter limiter;
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(limiter.check(t0 + i * 1s).verdict, Verdict::allow);
    }
    // The first message (t0) leaves the window exactly 5 s later.
    EXPECT_EQ(limiter.check(t0 + 5s).verdict, Verdict::allow);
    EXPECT_EQ(limiter.check(t0 + 5s + 500ms).verdict, Verdict::timed_out);
}

TEST(ChatRateLimiter, MutedDuringATimeOutWithTheTimeLeft) {
    ChatRateLimiter limiter;
    for (int i = 0; i < 6; ++i) {
        limiter.check(t0);
    }
    auto muted = limiter.check(t0 + 3s);
    EXPECT_EQ(muted.verdict, Verdict::muted);
    EXPECT_EQ(muted.retry_after, 7s);
    EXPECT_EQ(limiter.check(t0 + 9999ms).verdict, Verdict::muted);
    EXPECT_EQ(limiter.check(t0 + 10s).verdict, Verdict::allow);
}

TEST(ChatRateLimiter, TimeOutsDoubleUpToTheCap) {
    ChatRateSettings settings;
    settings.violations_to_disconnect = 100;
    ChatRateLimiter limiter(settings);
    auto now = t0;
    std::vector<std::chrono::seconds> timeouts;
    for (int violation = 0; violation < 7; ++violation) {
        ChatRateLimiter::Decision decision;
        for (int i = 0; i < 6; ++i) {
            decision = limiter.check(now);
        }
        ASSERT_EQ(decision.verdict, Verdict::timed_out);
        timeouts.push_back(std::chrono::duration_cast<std::chrono::seconds>(decision.retry_after));
        now += decision.retry_after;
    }
    EXPECT_EQ(timeouts, (std::vector<std::chrono::seconds>{10s, 20s, 40s, 80s, 160s, 300s, 300s}));
}

TEST(ChatRateLimiter, TheFourthViolationDisconnects) {
    ChatRateLimiter limiter;
    auto now = t0;
    for (int violation = 1; violation <= 4; ++violation) {
        ChatRateLimiter::Decision decision;
        for (int i = 0; i < 6; ++i) {
            decision = limiter.check(now);
        }
        EXPECT_EQ(decision.verdict, violation < 4 ? Verdict::timed_out : Verdict::disconnect);
        now += decision.retry_after;
    }
}

TEST(ChatRateLimiter, ForgivesAfterAQuietSpell) {
    ChatRateLimiter limiter;
    for (int i = 0; i < 6; ++i) {
        limiter.check(t0);
    }
    // Time-out ends at t0 + 10 s; quiet for max_timeout (300 s) after that.
    auto later = t0 + 10s + 300s;
    ChatRateLimiter::Decision decision;
    for (int i = 0; i < 6; ++i) {
        decision = limiter.check(later);
    }
    EXPECT_EQ(decision.verdict, Verdict::timed_out);
    EXPECT_EQ(decision.violations, 1u);
    EXPECT_EQ(decision.retry_after, 10s);
}

TEST(ChatRateLimiter, IdleOnlyWhenNothingIsLeftToRemember) {
    ChatRateLimiter limiter;
    EXPECT_TRUE(limiter.idle(t0));
    limiter.check(t0);
    EXPECT_FALSE(limiter.idle(t0 + 1s));
    EXPECT_TRUE(limiter.idle(t0 + 5s));
    for (int i = 0; i < 6; ++i) {
        limiter.check(t0 + 10s);
    }
    EXPECT_FALSE(limiter.idle(t0 + 30s));  // muted until t0 + 20 s, then not yet forgiven
    EXPECT_TRUE(limiter.idle(t0 + 20s + 300s));
}

}  // namespace
}  // namespace turnpike::signal
