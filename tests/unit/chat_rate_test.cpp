// The chat rate limiter, driven with explicit time points: the sliding
// window's exact edge, the doubling time-outs, muting, disconnection,
// forgiveness and idleness.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <vector>

#include "signal/chat_rate.hpp"

// Counts every allocation in this test program, to show check() makes none.
#include "allocation_counter.hpp"

namespace turnpike::signal {
namespace {

using namespace std::chrono_literals;
using Clock = ChatRateLimiter::Clock;
using Verdict = ChatRateLimiter::Verdict;

const Clock::time_point t0 = Clock::time_point{} + 24h;

// Sends `n` messages at `at`, expecting each allowed.
void send_allowed(ChatRateLimiter& limiter, Clock::time_point at, unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
        ASSERT_EQ(limiter.check(at).verdict, Verdict::allow) << "message " << i;
    }
}

// Fills the window at `at` and sends one more: a violation.
ChatRateLimiter::Decision violate(ChatRateLimiter& limiter, Clock::time_point at) {
    send_allowed(limiter, at, 5);
    return limiter.check(at);
}

TEST(ChatRateLimiter, AllowsABurstAndRefusesTheNextMessageInTheWindow) {
    ChatRateLimiter limiter;
    send_allowed(limiter, t0, 5);
    auto d = limiter.check(t0);
    EXPECT_EQ(d.verdict, Verdict::timed_out);
    EXPECT_EQ(d.retry_after, 10s);
    EXPECT_EQ(d.violations, 1u);
}

TEST(ChatRateLimiter, WindowIsSlidingAndHalfOpen) {
    // One message a second: the sixth, at t0+5s exactly, finds the first
    // (t0) out of the window (now - 5s, now], so it is allowed.
    ChatRateLimiter on_the_edge;
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(on_the_edge.check(t0 + i * 1s).verdict, Verdict::allow);
    }
    EXPECT_EQ(on_the_edge.check(t0 + 5s).verdict, Verdict::allow);
    // The window now holds t0+1s..t0+5s: t0+1s leaves it at t0+6s, not before.
    EXPECT_EQ(on_the_edge.check(t0 + 6s - 1ns).verdict, Verdict::timed_out);

    ChatRateLimiter just_inside;
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(just_inside.check(t0 + i * 1s).verdict, Verdict::allow);
    }
    EXPECT_EQ(just_inside.check(t0 + 5s - 1ns).verdict, Verdict::timed_out);
}

TEST(ChatRateLimiter, SteadyPaceAtTheLimitIsNeverRefused) {
    ChatRateLimiter limiter;
    for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(limiter.check(t0 + i * 1s).verdict, Verdict::allow) << i;
    }
}

TEST(ChatRateLimiter, TimeOutsDoubleUpToTheCap) {
    ChatRateSettings settings;
    settings.violations_to_disconnect = 0;  // never, to see the whole sequence
    ChatRateLimiter limiter(settings);
    const std::vector<std::chrono::seconds> expected = {10s, 20s, 40s, 80s, 160s, 300s, 300s, 300s};
    Clock::time_point now = t0;
    for (size_t i = 0; i < expected.size(); ++i) {
        auto d = violate(limiter, now);
        ASSERT_EQ(d.verdict, Verdict::timed_out) << i;
        EXPECT_EQ(d.retry_after, expected[i]) << "violation " << i + 1;
        EXPECT_EQ(d.violations, i + 1);
        now += d.retry_after;  // the next violation the moment the time-out ends
    }
}

TEST(ChatRateLimiter, MutedDuringATimeOutWithTheTimeLeft) {
    ChatRateLimiter limiter;
    ASSERT_EQ(violate(limiter, t0).retry_after, 10s);
    auto d = limiter.check(t0 + 3s);
    EXPECT_EQ(d.verdict, Verdict::muted);
    EXPECT_EQ(d.retry_after, 7s);
    EXPECT_EQ(d.violations, 1u);  // not a further violation
    d = limiter.check(t0 + 10s - 1ns);
    EXPECT_EQ(d.verdict, Verdict::muted);
    EXPECT_EQ(d.retry_after, 1ns);
    EXPECT_EQ(limiter.check(t0 + 10s).verdict, Verdict::allow);
}

TEST(ChatRateLimiter, MoreThanABurstWhileMutedIsAFurtherViolation) {
    ChatRateLimiter limiter;
    violate(limiter, t0);
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(limiter.check(t0 + 1s).verdict, Verdict::muted);
    }
    auto d = limiter.check(t0 + 2s);
    EXPECT_EQ(d.verdict, Verdict::timed_out);
    EXPECT_EQ(d.violations, 2u);
    EXPECT_EQ(d.retry_after, 20s);  // a new time-out, from now
    EXPECT_EQ(limiter.check(t0 + 21s).retry_after, 1s);
}

TEST(ChatRateLimiter, DisconnectsAtTheNthViolationAndStaysTimedOut) {
    ChatRateLimiter limiter;  // 4 violations to disconnect
    Clock::time_point now = t0;
    for (unsigned i = 1; i <= 3; ++i) {
        auto d = violate(limiter, now);
        ASSERT_EQ(d.verdict, Verdict::timed_out) << i;
        now += d.retry_after;
    }
    auto d = violate(limiter, now);
    EXPECT_EQ(d.verdict, Verdict::disconnect);
    EXPECT_EQ(d.violations, 4u);
    EXPECT_EQ(d.retry_after, 80s);
    // What the per-IP limiter tells the same sender reconnecting at once.
    EXPECT_EQ(limiter.check(now + 1s).verdict, Verdict::muted);
    EXPECT_EQ(limiter.check(now + 1s).retry_after, 79s);
    // And a further violation after that time-out is a disconnect again.
    EXPECT_EQ(violate(limiter, now + 80s).verdict, Verdict::disconnect);
}

TEST(ChatRateLimiter, DisconnectCountIsConfigurable) {
    ChatRateSettings settings;
    settings.violations_to_disconnect = 1;
    ChatRateLimiter limiter(settings);
    EXPECT_EQ(violate(limiter, t0).verdict, Verdict::disconnect);
}

TEST(ChatRateLimiter, ForgivesAfterAQuietPeriodFollowingTheTimeOut) {
    // The first time-out ends at t0+10s; forgiveness comes max_timeout later.
    ChatRateLimiter not_yet;
    violate(not_yet, t0);
    auto d = violate(not_yet, t0 + 10s + 300s - 1ns);
    EXPECT_EQ(d.violations, 2u);
    EXPECT_EQ(d.retry_after, 20s);

    ChatRateLimiter forgiven;
    violate(forgiven, t0);
    d = violate(forgiven, t0 + 10s + 300s);
    EXPECT_EQ(d.violations, 1u);
    EXPECT_EQ(d.retry_after, 10s);
}

TEST(ChatRateLimiter, AllowedMessagesReportTheViolationCountUntilForgiven) {
    ChatRateLimiter limiter;
    violate(limiter, t0);
    EXPECT_EQ(limiter.check(t0 + 20s).violations, 1u);
    EXPECT_EQ(limiter.check(t0 + 310s).violations, 0u);
}

TEST(ChatRateLimiter, IdleOnlyWhenNothingIsLeftToRemember) {
    ChatRateLimiter limiter;
    EXPECT_TRUE(limiter.idle(t0));
    limiter.check(t0);
    EXPECT_FALSE(limiter.idle(t0 + 5s - 1ns));  // the message is still in the window
    EXPECT_TRUE(limiter.idle(t0 + 5s));

    violate(limiter, t0 + 100s);                  // time-out until t0+110s
    EXPECT_FALSE(limiter.idle(t0 + 109s));        // timed out
    EXPECT_FALSE(limiter.idle(t0 + 110s));        // a violation not yet forgiven
    EXPECT_FALSE(limiter.idle(t0 + 410s - 1ns));  // still not
    EXPECT_TRUE(limiter.idle(t0 + 410s));         // forgiven, window empty
    EXPECT_EQ(limiter.check(t0 + 410s).violations, 0u);
}

TEST(ChatRateLimiter, RejectsSettingsItCannotHonour) {
    ChatRateSettings zero_burst;
    zero_burst.burst = 0;
    EXPECT_THROW(ChatRateLimiter{zero_burst}, std::invalid_argument);
    ChatRateSettings huge_burst;
    huge_burst.burst = ChatRateLimiter::max_burst + 1;
    EXPECT_THROW(ChatRateLimiter{huge_burst}, std::invalid_argument);
    ChatRateSettings no_window;
    no_window.window = 0s;
    EXPECT_THROW(ChatRateLimiter{no_window}, std::invalid_argument);
    ChatRateSettings upside_down;
    upside_down.max_timeout = 5s;
    EXPECT_THROW(ChatRateLimiter{upside_down}, std::invalid_argument);
}

TEST(ChatRateLimiter, LargestBurstFillsTheWholeRing) {
    ChatRateSettings settings;
    settings.burst = ChatRateLimiter::max_burst;
    ChatRateLimiter limiter(settings);
    send_allowed(limiter, t0, ChatRateLimiter::max_burst);
    EXPECT_EQ(limiter.check(t0).verdict, Verdict::timed_out);
}

TEST(ChatRateLimiter, CheckMakesNoAllocation) {
    ChatRateLimiter limiter;
    const long before = allocations.load();
    for (int i = 0; i < 10000; ++i) {
        limiter.check(t0 + i * 100ms);
    }
    EXPECT_EQ(allocations.load(), before);
}

}  // namespace
}  // namespace turnpike::signal
