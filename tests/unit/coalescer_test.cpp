// The relay worker's coalescer: when it decides to wait after a wakeup, and
// that the wait it reports is a real one of the configured length.

#include "relay/coalescer.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace turnpike::relay {
namespace {

using namespace std::chrono_literals;
using Clock = Coalescer::Clock;

CoalesceSettings settings(std::chrono::microseconds wait, uint64_t min_rate) {
    return {.wait = wait, .min_rate = min_rate};
}

TEST(Coalescer, DefaultsAreAHundredMicrosecondsAboveTwentyThousandDatagramsASecond) {
    CoalesceSettings s;
    EXPECT_EQ(s.wait, 100us);
    EXPECT_EQ(s.min_rate, 20000u);
}

TEST(Coalescer, WaitsOnlyOnceAPeriodHasCarriedTheRate) {
    Coalescer c(settings(100us, 10000));  // 10 datagrams per millisecond
    Clock::time_point t{};
    EXPECT_FALSE(c.should_wait(t, 0));          // the first wakeup only starts measuring
    EXPECT_FALSE(c.should_wait(t + 500us, 9));  // the period is not over yet
    EXPECT_FALSE(c.should_wait(t + 1ms, 9));    // 9 in 1 ms: below the rate
    EXPECT_FALSE(c.engaged());
    EXPECT_TRUE(c.should_wait(t + 2ms, 19));  // 10 in the next 1 ms: at the rate
    EXPECT_TRUE(c.engaged());
    // The decision holds until the next period ends, whatever each wakeup carries.
    EXPECT_TRUE(c.should_wait(t + 2500us, 19));
    EXPECT_TRUE(c.should_wait(t + 3ms, 29));
    // A quiet spell (one datagram in 10 ms) ends the waits at once.
    EXPECT_FALSE(c.should_wait(t + 13ms, 30));
    EXPECT_FALSE(c.engaged());
}

TEST(Coalescer, TheRateIsMeasuredOverTheWholeElapsedTime) {
    Coalescer c(settings(100us, 10000));
    Clock::time_point t{};
    c.should_wait(t, 0);
    // 15 datagrams over 2 ms is 7,500/s even though 1 ms would hold 10.
    EXPECT_FALSE(c.should_wait(t + 2ms, 15));
    EXPECT_TRUE(c.should_wait(t + 4ms, 35));
}

TEST(Coalescer, ZeroWaitNeverWaits) {
    Coalescer c(settings(0us, 1));
    Clock::time_point t{};
    for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(c.should_wait(t + i * 1ms, uint64_t(i) * 1000000));
    }
    EXPECT_FALSE(c.engaged());
}

TEST(Coalescer, ReconfiguringToZeroStopsAnEngagedCoalescer) {
    Coalescer c(settings(100us, 1000));
    Clock::time_point t{};
    c.should_wait(t, 0);
    ASSERT_TRUE(c.should_wait(t + 1ms, 100));
    c.configure(settings(0us, 1000));
    EXPECT_FALSE(c.engaged());
    EXPECT_FALSE(c.should_wait(t + 1500us, 200));
    c.configure(settings(100us, 1000));
    EXPECT_TRUE(c.should_wait(t + 2ms, 300));  // 200 in the 1 ms since the last look
}

TEST(Coalescer, AfterWakeupSleepsTheWaitWhenEngagedAndReturnsAtOnceWhenNot) {
    Coalescer c(settings(2ms, 1000));
    auto start = Clock::now();
    EXPECT_FALSE(c.after_wakeup(start, 0));
    EXPECT_FALSE(c.after_wakeup(start + 1ms, 0));  // no traffic: no wait
    EXPECT_LT(Clock::now() - start, 2ms);          // (it did not sleep 2 ms)
    auto engaged_at = Clock::now();
    EXPECT_TRUE(c.after_wakeup(start + 2ms, 1000));
    EXPECT_GE(Clock::now() - engaged_at, 2ms);
}

}  // namespace
}  // namespace turnpike::relay
