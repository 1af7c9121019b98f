// The relay's count of TCP connections per client source ([quotas]
// max-tcp-per-ip): the cap, the slot that gives its count back, and what
// counts as one source.

#include "relay/source_ledger.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace turnpike::relay {
namespace {

IpAddress ip(std::string_view text) {
    return *IpAddress::parse(text);
}

TEST(SourceLedger, RefusesPastTheLimitAndTakesAgainOnceOneCloses) {
    SourceLedger ledger;
    std::vector<SourceLedger::Slot> open;
    for (int i = 0; i < 3; ++i) {
        auto slot = ledger.acquire(ip("192.0.2.1"), 3);
        ASSERT_TRUE(slot.has_value()) << i;
        open.push_back(std::move(*slot));
    }
    EXPECT_EQ(ledger.open_from(ip("192.0.2.1")), 3u);
    EXPECT_FALSE(ledger.acquire(ip("192.0.2.1"), 3).has_value());
    EXPECT_EQ(ledger.open_from(ip("192.0.2.1")), 3u) << "a refusal counts nothing";
    open.pop_back();
    EXPECT_EQ(ledger.open_from(ip("192.0.2.1")), 2u);
    EXPECT_TRUE(ledger.acquire(ip("192.0.2.1"), 3).has_value());
}

TEST(SourceLedger, SourcesAreCountedApart) {
    SourceLedger ledger;
    auto a = ledger.acquire(ip("192.0.2.1"), 1);
    ASSERT_TRUE(a.has_value());
    EXPECT_FALSE(ledger.acquire(ip("192.0.2.1"), 1).has_value());
    EXPECT_TRUE(ledger.acquire(ip("192.0.2.2"), 1).has_value());
    EXPECT_TRUE(ledger.acquire(ip("2001:db8::1"), 1).has_value());
}

TEST(SourceLedger, ZeroMeansNoLimit) {
    SourceLedger ledger;
    std::vector<SourceLedger::Slot> open;
    for (int i = 0; i < 1000; ++i) {
        auto slot = ledger.acquire(ip("192.0.2.1"), 0);
        ASSERT_TRUE(slot.has_value());
        open.push_back(std::move(*slot));
    }
    EXPECT_EQ(ledger.open_from(ip("192.0.2.1")), 1000u);
    open.clear();
    EXPECT_EQ(ledger.open_from(ip("192.0.2.1")), 0u);
}

TEST(SourceLedger, AnIpv6SourceIsItsSlash64) {
    SourceLedger ledger;
    auto first = ledger.acquire(ip("2001:db8:1:2::1"), 2);
    auto second = ledger.acquire(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), 2);
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(second.has_value());
    EXPECT_FALSE(ledger.acquire(ip("2001:db8:1:2:abcd::9"), 2).has_value())
        << "another address in the same /64 is the same source";
    EXPECT_TRUE(ledger.acquire(ip("2001:db8:1:3::1"), 2).has_value()) << "the next /64";
    EXPECT_EQ(ledger.open_from(ip("2001:db8:1:2::77")), 2u);
}

TEST(SourceLedger, AMappedIpv4AddressIsThatIpv4Source) {
    SourceLedger ledger;
    auto plain = ledger.acquire(ip("192.0.2.1"), 1);
    ASSERT_TRUE(plain.has_value());
    EXPECT_FALSE(ledger.acquire(ip("::ffff:192.0.2.1"), 1).has_value());
    EXPECT_TRUE(ledger.acquire(ip("::ffff:192.0.2.2"), 1).has_value());
}

TEST(SourceLedger, AnIpv4AddressIsNotTheIpv6PrefixWithTheSameBytes) {
    SourceLedger ledger;
    auto v4 = ledger.acquire(ip("32.1.13.184"), 1);  // the bytes of 2001:db8::
    ASSERT_TRUE(v4.has_value());
    EXPECT_TRUE(ledger.acquire(ip("2001:db8::1"), 1).has_value());
}

TEST(SourceLedger, AMovedSlotGivesItsCountBackOnce) {
    SourceLedger ledger;
    {
        auto slot = ledger.acquire(ip("192.0.2.1"), 2);
        ASSERT_TRUE(slot.has_value());
        SourceLedger::Slot moved(std::move(*slot));
        slot.reset();  // the moved-from slot gives nothing back
        EXPECT_EQ(ledger.open_from(ip("192.0.2.1")), 1u);
    }
    EXPECT_EQ(ledger.open_from(ip("192.0.2.1")), 0u);
}

}  // namespace
}  // namespace turnpike::relay
