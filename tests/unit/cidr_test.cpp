#include "common/cidr.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace turnpike {
namespace {

using ::testing::HasSubstr;

IpAddress ip(std::string_view text) {
    auto address = IpAddress::parse(text);
    EXPECT_TRUE(address) << text;
    return address.value_or(IpAddress{});
}

std::string parse_error(std::string_view text) {
    try {
        Cidr::parse(text);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "'" << text << "' parsed";
    return {};
}

// --- IpAddress ---

TEST(IpAddress, ParsesBothFamilies) {
    EXPECT_TRUE(ip("192.0.2.1").is_v4());
    EXPECT_EQ(ip("192.0.2.1").v4_value(), 0xC0000201u);
    EXPECT_EQ(ip("192.0.2.1").bit_length(), 32u);
    EXPECT_TRUE(ip("2001:db8::1").is_v6());
    EXPECT_EQ(ip("2001:db8::1").bit_length(), 128u);
    EXPECT_EQ(ip("2001:db8::1").bytes().size(), 16u);
}

TEST(IpAddress, RejectsWhatIsNotAnAddress) {
    for (auto text : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::g", "fe80::1%eth0", " 1.2.3.4",
                      "1.2.3.4:80", "[::1]", "example.com"}) {
        EXPECT_FALSE(IpAddress::parse(text)) << text;
    }
}

TEST(IpAddress, RoundTripsThroughText) {
    for (auto text : {"0.0.0.0", "203.0.113.9", "255.255.255.255", "::", "::1", "2001:db8::42",
                      "::ffff:10.0.0.1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
        EXPECT_EQ(ip(text).to_string(), text);
    }
}

TEST(IpAddress, ComesFromASocketAddressWithoutItsPort) {
    auto v4 = SocketAddress::parse("198.51.100.7:3478");
    auto v6 = SocketAddress::parse("[2001:db8::7]:3478");
    ASSERT_TRUE(v4 && v6);
    EXPECT_EQ(IpAddress(*v4), ip("198.51.100.7"));
    EXPECT_EQ(IpAddress(*v6), ip("2001:db8::7"));
    EXPECT_EQ(IpAddress(SocketAddress{}).family(), AF_UNSPEC);
}

TEST(IpAddress, FromV4AndV6Values) {
    EXPECT_EQ(IpAddress::from_v4(0x7F000001), ip("127.0.0.1"));
    const std::array<uint8_t, 16> loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(IpAddress::from_v6(loopback), ip("::1"));
}

TEST(IpAddress, UnwrapsOnlyIpv4Mapped) {
    EXPECT_EQ(ip("::ffff:10.1.2.3").mapped_ipv4(), ip("10.1.2.3"));
    EXPECT_FALSE(ip("::10.1.2.3").mapped_ipv4());  // IPv4-compatible, not mapped
    EXPECT_FALSE(ip("64:ff9b::10.1.2.3").mapped_ipv4());
    EXPECT_FALSE(ip("10.1.2.3").mapped_ipv4());
}

TEST(IpAddress, SubscriberIsTheIpv4AddressOrTheIpv6Slash64) {
    EXPECT_EQ(ip("10.1.2.3").subscriber(), ip("10.1.2.3"));
    EXPECT_EQ(ip("::ffff:10.1.2.3").subscriber(), ip("10.1.2.3"));
    EXPECT_EQ(ip("2001:db8:1:2:3:4:5:6").subscriber(), ip("2001:db8:1:2::"));
    EXPECT_EQ(ip("2001:db8:1:2::").subscriber(), ip("2001:db8:1:2::"));
    EXPECT_NE(ip("2001:db8:1:3::1").subscriber(), ip("2001:db8:1:2::"));
    EXPECT_EQ(ip("::1").subscriber(), ip("::"));
    EXPECT_EQ(ip("2001:db8:1:2:abcd::1").subscriber().to_string(), "2001:db8:1:2::");
}

TEST(IpAddress, FamiliesNeverCompareEqual) {
    // Same leading bytes, different family.
    EXPECT_NE(ip("10.0.0.1"), ip("a00:1::"));
    EXPECT_NE(ip("0.0.0.0"), ip("::"));
    EXPECT_NE(IpAddress{}, ip("0.0.0.0"));
}

// --- Cidr parsing ---

TEST(Cidr, ParsesPrefixesAndBareAddresses) {
    EXPECT_EQ(Cidr::parse("10.0.0.0/8").to_string(), "10.0.0.0/8");
    EXPECT_EQ(Cidr::parse("2001:db8::/32").to_string(), "2001:db8::/32");
    EXPECT_EQ(Cidr::parse("192.0.2.1").prefix_length(), 32u);
    EXPECT_EQ(Cidr::parse("::1").prefix_length(), 128u);
    EXPECT_EQ(Cidr::parse("0.0.0.0/0").prefix_length(), 0u);
    EXPECT_EQ(Cidr::parse("::/0").prefix_length(), 0u);
    EXPECT_EQ(Cidr::parse("100.64.0.0/10").last(), ip("100.127.255.255"));
    EXPECT_EQ(Cidr::parse("2001::/23").last(), ip("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(Cidr, RejectsPrefixesTooLongForTheFamily) {
    EXPECT_THAT(parse_error("10.0.0.0/33"), HasSubstr("prefix length 33 is too long for IPv4"));
    EXPECT_THAT(parse_error("2001:db8::/129"),
                HasSubstr("prefix length 129 is too long for IPv6 (at most 128)"));
    EXPECT_THAT(parse_error("10.0.0.0/999"), HasSubstr("at most 32"));
}

TEST(Cidr, RejectsPrefixesThatAreNotNumbers) {
    for (auto text : {"10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8x", "10.0.0.0/ 8",
                      "10.0.0.0/8/8", "10.0.0.0/0008"}) {
        EXPECT_THAT(parse_error(text), HasSubstr("is not a whole number")) << text;
    }
}

TEST(Cidr, RejectsWhatIsNotAnAddress) {
    for (auto text : {"", "/8", "banana/8", "10.0.0/8", "10.0.0.0 /8", "2001:db8::/3x2"}) {
        EXPECT_FALSE(Cidr::try_parse(text)) << text;
    }
    EXPECT_THAT(parse_error("banana/8"), HasSubstr("'banana/8' is not an IP address"));
}

TEST(Cidr, RejectsHostBitsAndSuggestsTheNetwork) {
    EXPECT_THAT(parse_error("10.1.2.3/8"), HasSubstr("did you mean 10.0.0.0/8?"));
    EXPECT_THAT(parse_error("2001:db8::1/32"), HasSubstr("did you mean 2001:db8::/32?"));
}

TEST(Cidr, ConstructorClearsHostBits) {
    EXPECT_EQ(Cidr(ip("10.1.2.3"), 8).to_string(), "10.0.0.0/8");
    EXPECT_EQ(Cidr(ip("fe80::1234"), 10).to_string(), "fe80::/10");
    EXPECT_THROW(Cidr(ip("10.0.0.0"), 33), std::invalid_argument);
    EXPECT_THROW(Cidr(IpAddress{}, 0), std::invalid_argument);
}

// --- Cidr::contains ---

TEST(Cidr, ContainsExactlyItsRangeInIpv4) {
    const auto range = Cidr::parse("172.16.0.0/12");
    EXPECT_FALSE(range.contains(ip("172.15.255.255")));
    EXPECT_TRUE(range.contains(ip("172.16.0.0")));
    EXPECT_TRUE(range.contains(ip("172.31.255.255")));
    EXPECT_FALSE(range.contains(ip("172.32.0.0")));
}

TEST(Cidr, ContainsExactlyItsRangeInIpv6) {
    const auto range = Cidr::parse("2001:db8::/32");
    EXPECT_FALSE(range.contains(ip("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_TRUE(range.contains(ip("2001:db8::")));
    EXPECT_TRUE(range.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(range.contains(ip("2001:db9::")));

    const auto odd = Cidr::parse("fe80::/10");
    EXPECT_FALSE(odd.contains(ip("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_TRUE(odd.contains(ip("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(odd.contains(ip("fec0::")));
}

TEST(Cidr, SingleAddressAndWholeSpace) {
    EXPECT_TRUE(Cidr::parse("192.0.2.1").contains(ip("192.0.2.1")));
    EXPECT_FALSE(Cidr::parse("192.0.2.1").contains(ip("192.0.2.2")));
    EXPECT_TRUE(Cidr::parse("0.0.0.0/0").contains(ip("255.255.255.255")));
    EXPECT_TRUE(Cidr::parse("::/0").contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(Cidr, NeverConfusesFamilies) {
    EXPECT_FALSE(Cidr::parse("0.0.0.0/0").contains(ip("::")));
    EXPECT_FALSE(Cidr::parse("::/0").contains(ip("1.2.3.4")));
    EXPECT_FALSE(Cidr::parse("10.0.0.0/8").contains(ip("a00::1")));  // first bytes 10.0.0.0
    EXPECT_FALSE(Cidr::parse("10.0.0.0/8").contains(ip("::ffff:10.0.0.1")));  // policy unwraps
    EXPECT_FALSE(Cidr::parse("::/96").contains(ip("0.0.0.1")));
    EXPECT_FALSE(Cidr::parse("0.0.0.0/0").contains(IpAddress{}));
}

// --- CidrSet ---

TEST(CidrSet, EmptyContainsNothing) {
    const CidrSet set;
    EXPECT_TRUE(set.empty());
    EXPECT_FALSE(set.contains(ip("0.0.0.0")));
    EXPECT_FALSE(set.contains(ip("::")));
    EXPECT_FALSE(set.contains(IpAddress{}));
}

TEST(CidrSet, MergesOverlappingAndAdjacentRanges) {
    const std::vector<Cidr> ranges = {
        Cidr::parse("10.0.0.0/9"), Cidr::parse("10.128.0.0/9"),  Cidr::parse("10.1.2.0/24"),
        Cidr::parse("11.0.0.0/8"), Cidr::parse("2001:db8::/33"), Cidr::parse("2001:db8:8000::/33")};
    const CidrSet set(ranges);
    EXPECT_EQ(set.interval_count(), 2u);  // 10.0.0.0-11.255.255.255 and 2001:db8::/32
    EXPECT_TRUE(set.contains(ip("11.255.255.255")));
    EXPECT_FALSE(set.contains(ip("12.0.0.0")));
    EXPECT_FALSE(set.contains(ip("9.255.255.255")));
    EXPECT_TRUE(set.contains(ip("2001:db8:7fff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_TRUE(set.contains(ip("2001:db8:8000::")));
    EXPECT_FALSE(set.contains(ip("2001:db9::")));
}

TEST(CidrSet, KeepsGapsOfOneAddress) {
    CidrSet set;
    set.add_range(ip("192.0.2.1"), ip("192.0.2.9"));
    set.add_range(ip("192.0.2.11"), ip("192.0.2.20"));
    EXPECT_EQ(set.interval_count(), 2u);
    EXPECT_FALSE(set.contains(ip("192.0.2.10")));
    EXPECT_FALSE(set.contains(ip("192.0.2.0")));
    EXPECT_FALSE(set.contains(ip("192.0.2.21")));
    set.add(Cidr::parse("192.0.2.10"));
    EXPECT_EQ(set.interval_count(), 1u);
    EXPECT_TRUE(set.contains(ip("192.0.2.10")));
}

TEST(CidrSet, HandlesTheEndsOfTheAddressSpace) {
    CidrSet set;
    set.add(Cidr::parse("255.255.255.255"));
    set.add(Cidr::parse("0.0.0.0"));
    set.add(Cidr::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    set.add(Cidr::parse("ffff:ffff:ffff:ffff::/64"));  // carries across the 64-bit halves
    set.add(Cidr::parse("::"));
    EXPECT_EQ(set.interval_count(), 4u);
    EXPECT_TRUE(set.contains(ip("255.255.255.255")));
    EXPECT_TRUE(set.contains(ip("0.0.0.0")));
    EXPECT_FALSE(set.contains(ip("255.255.255.254")));
    EXPECT_TRUE(set.contains(ip("ffff:ffff:ffff:ffff::")));
    EXPECT_FALSE(set.contains(ip("ffff:ffff:ffff:fffe:ffff:ffff:ffff:ffff")));
    EXPECT_TRUE(set.contains(ip("::")));
    EXPECT_FALSE(set.contains(ip("::1")));

    CidrSet everything;
    everything.add(Cidr::parse("0.0.0.0/0"));
    everything.add(Cidr::parse("::/0"));
    everything.add(Cidr::parse("10.0.0.0/8"));
    EXPECT_EQ(everything.interval_count(), 2u);
    EXPECT_TRUE(everything.contains(ip("255.255.255.255")));
    EXPECT_TRUE(everything.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(CidrSet, MergesAcrossTheIpv6HalvesBoundary) {
    CidrSet set;
    set.add_range(ip("2001:db8::"), ip("2001:db8:0:0:ffff:ffff:ffff:ffff"));
    set.add_range(ip("2001:db8:0:1::"), ip("2001:db8:0:1::5"));
    EXPECT_EQ(set.interval_count(), 1u);
}

TEST(CidrSet, NeverConfusesFamilies) {
    const std::vector<Cidr> ranges = {Cidr::parse("10.0.0.0/8"), Cidr::parse("::/96")};
    const CidrSet set(ranges);
    EXPECT_FALSE(set.contains(ip("a00::1")));
    EXPECT_FALSE(set.contains(ip("0.0.0.1")));
    EXPECT_FALSE(set.contains(ip("::ffff:10.0.0.1")));
    EXPECT_TRUE(set.contains(ip("::10.0.0.1")));
    EXPECT_TRUE(set.contains(ip("10.0.0.1")));
}

TEST(CidrSet, ParsesListsWithCoturnStyleRanges) {
    const auto set =
        CidrSet::parse_list(" 10.0.0.0/8, 192.0.2.5 ,, 198.51.100.1-198.51.100.9,2001:db8::/32 ");
    EXPECT_TRUE(set.contains(ip("10.200.0.1")));
    EXPECT_TRUE(set.contains(ip("192.0.2.5")));
    EXPECT_FALSE(set.contains(ip("192.0.2.6")));
    EXPECT_TRUE(set.contains(ip("198.51.100.9")));
    EXPECT_FALSE(set.contains(ip("198.51.100.10")));
    EXPECT_TRUE(set.contains(ip("2001:db8::1")));
    EXPECT_TRUE(CidrSet::parse_list("").empty());
}

TEST(CidrSet, ListErrorsNameTheBadItem) {
    auto error = [](std::string_view text) -> std::string {
        try {
            CidrSet::parse_list(text);
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "no error";
    };
    EXPECT_THAT(error("10.0.0.0/8, 10.0.0.0/40"), HasSubstr("'10.0.0.0/40'"));
    EXPECT_THAT(error("10.0.0.9-10.0.0.1"), HasSubstr("ends before it starts"));
    EXPECT_THAT(error("10.0.0.1-::1"), HasSubstr("both IPv4 or both IPv6"));
    EXPECT_THAT(error("10.0.0.1-banana"), HasSubstr("'10.0.0.1-banana' is not an address range"));
}

// Thousands of random ranges against a brute-force scan of the same ranges.
TEST(CidrSet, AgreesWithALinearScanOverManyRanges) {
    std::mt19937_64 random(20240611);
    auto random_v4 = [&] { return IpAddress::from_v4(static_cast<uint32_t>(random())); };
    auto random_v6 = [&] {
        std::array<uint8_t, 16> bytes{};
        // A narrow top so random ranges overlap and neighbour each other.
        bytes[0] = 0x20;
        bytes[1] = static_cast<uint8_t>(random() % 4);
        for (std::size_t i = 2; i < bytes.size(); ++i) {
            bytes[i] = static_cast<uint8_t>(random());
        }
        return IpAddress::from_v6(bytes);
    };

    std::vector<Cidr> ranges;
    for (int i = 0; i < 3000; ++i) {
        ranges.emplace_back(random_v4(), static_cast<unsigned>(8 + random() % 25));
        ranges.emplace_back(random_v6(), static_cast<unsigned>(12 + random() % 117));
    }
    const CidrSet set(ranges);
    auto scan = [&](const IpAddress& address) {
        return std::any_of(ranges.begin(), ranges.end(),
                           [&](const Cidr& range) { return range.contains(address); });
    };

    std::vector<IpAddress> probes;
    for (const auto& range : ranges) {
        probes.push_back(range.first());
        probes.push_back(range.last());
        if (range.first().is_v4()) {
            probes.push_back(IpAddress::from_v4(range.first().v4_value() - 1));
            probes.push_back(IpAddress::from_v4(range.last().v4_value() + 1));
        }
    }
    for (int i = 0; i < 20000; ++i) {
        probes.push_back(random_v4());
        probes.push_back(random_v6());
    }
    int hits = 0;
    for (const auto& probe : probes) {
        const bool expected = scan(probe);
        ASSERT_EQ(set.contains(probe), expected) << probe.to_string();
        hits += expected ? 1 : 0;
    }
    EXPECT_GT(hits, 1000);  // the probes exercised both answers
    EXPECT_LT(set.interval_count(), ranges.size());
}

}  // namespace
}  // namespace turnpike
