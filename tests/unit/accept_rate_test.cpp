// New TCP connections per second per client source ([quotas]
// tcp-accepts-per-ip): the burst a quiet source gets, the steady rate after
// it, what counts as one source, and that the table forgets quiet sources.

#include "relay/accept_rate.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace turnpike::relay {
namespace {

using namespace std::chrono_literals;
using Clock = AcceptRate::Clock;

IpAddress ip(std::string_view text) {
    return *IpAddress::parse(text);
}

int admitted(AcceptRate& rate, std::string_view source, unsigned per_second, int tries,
             Clock::time_point now) {
    int n = 0;
    for (int i = 0; i < tries; ++i) {
        n += rate.admit(ip(source), per_second, now) ? 1 : 0;
    }
    return n;
}

TEST(AcceptRate, AQuietSourceOpensItsRateAtOnceThenNoMore) {
    AcceptRate rate;
    Clock::time_point t0 = Clock::now();
    EXPECT_EQ(admitted(rate, "192.0.2.1", 5, 20, t0), 5);
    EXPECT_EQ(admitted(rate, "192.0.2.1", 5, 20, t0 + 100ms), 0) << "a fifth of a second earned";
    EXPECT_EQ(admitted(rate, "192.0.2.1", 5, 20, t0 + 200ms), 1);
}

TEST(AcceptRate, ASteadySourceGetsItsRatePerSecond) {
    AcceptRate rate;
    Clock::time_point t0 = Clock::now();
    EXPECT_EQ(admitted(rate, "192.0.2.1", 10, 10, t0), 10);
    int later = 0;
    for (int ms = 10; ms <= 3000; ms += 10) {  // 100 tries a second for 3 s
        later += admitted(rate, "192.0.2.1", 10, 1, t0 + std::chrono::milliseconds(ms));
    }
    EXPECT_EQ(later, 30);
}

TEST(AcceptRate, SourcesAreCountedApartAndIpv6ByItsSlash64) {
    AcceptRate rate;
    Clock::time_point t0 = Clock::now();
    EXPECT_EQ(admitted(rate, "192.0.2.1", 3, 5, t0), 3);
    EXPECT_EQ(admitted(rate, "192.0.2.2", 3, 5, t0), 3) << "another address has its own budget";
    EXPECT_EQ(admitted(rate, "2001:db8:1:2::1", 3, 2, t0), 2);
    EXPECT_EQ(admitted(rate, "2001:db8:1:2:ffff::9", 3, 5, t0), 1) << "the same /64";
    EXPECT_EQ(admitted(rate, "2001:db8:1:3::1", 3, 5, t0), 3) << "the next /64";
}

TEST(AcceptRate, ZeroMeansNoLimitAndTracksNothing) {
    AcceptRate rate;
    EXPECT_EQ(admitted(rate, "192.0.2.1", 0, 1000, Clock::now()), 1000);
    EXPECT_EQ(rate.tracked(), 0u);
}

TEST(AcceptRate, SourcesWithTheirWholeBudgetBackAreForgotten) {
    AcceptRate rate;
    Clock::time_point t0 = Clock::now();
    for (int i = 0; i < 1000; ++i) {
        rate.admit(ip(fmt::format("10.0.{}.{}", i / 256, i % 256)), 4, t0);
    }
    EXPECT_EQ(rate.tracked(), 1000u);
    // One connection each: a quarter of a second later their budgets are
    // whole, and the next second's first admit sweeps them.
    EXPECT_TRUE(rate.admit(ip("192.0.2.1"), 4, t0 + 1s));
    EXPECT_EQ(rate.tracked(), 1u);
}

}  // namespace
}  // namespace turnpike::relay
