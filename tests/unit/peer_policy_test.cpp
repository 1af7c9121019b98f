#include "common/peer_policy.hpp"

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

// Counts every allocation in this test program, to show that judging a peer
// allocates nothing: it runs per packet on the relay's workers.
#include "allocation_counter.hpp"

// Addresses here are only parsed and judged, never contacted.

namespace turnpike {
namespace {

IpAddress ip(std::string_view text) {
    auto address = IpAddress::parse(text);
    EXPECT_TRUE(address) << text;
    return address.value_or(IpAddress{});
}

PeerPolicy default_policy() {
    return PeerPolicy(CidrSet{}, CidrSet{}, false);
}

struct Boundary {
    std::string_view range;
    std::string_view first;
    std::string_view last;
    // Just outside the range, on a side where nothing else in the list
    // begins; empty where both neighbours are denied too (then `beside` is a
    // neighbour denied for a different reason).
    std::string_view outside;
    std::string_view beside;
};

// The default list written out independently of peer_policy.cpp.
const std::vector<Boundary>& boundaries() {
    static const std::vector<Boundary> table = {
        {"0.0.0.0/8", "0.0.0.1", "0.255.255.255", "1.0.0.0", ""},
        {"10.0.0.0/8", "10.0.0.0", "10.255.255.255", "11.0.0.0", ""},
        {"100.64.0.0/10", "100.64.0.0", "100.127.255.255", "100.128.0.0", ""},
        {"127.0.0.0/8", "127.0.0.0", "127.255.255.255", "128.0.0.0", ""},
        {"169.254.0.0/16", "169.254.0.0", "169.254.255.255", "169.255.0.0", ""},
        {"172.16.0.0/12", "172.16.0.0", "172.31.255.255", "172.32.0.0", ""},
        {"192.0.0.0/24", "192.0.0.0", "192.0.0.255", "192.0.1.0", ""},
        {"192.0.2.0/24", "192.0.2.0", "192.0.2.255", "192.0.3.0", ""},
        {"192.88.99.0/24", "192.88.99.0", "192.88.99.255", "192.88.100.0", ""},
        {"192.168.0.0/16", "192.168.0.0", "192.168.255.255", "192.169.0.0", ""},
        {"198.18.0.0/15", "198.18.0.0", "198.19.255.255", "198.20.0.0", ""},
        {"198.51.100.0/24", "198.51.100.0", "198.51.100.255", "198.51.101.0", ""},
        {"203.0.113.0/24", "203.0.113.0", "203.0.113.255", "203.0.114.0", ""},
        {"224.0.0.0/4", "224.0.0.0", "239.255.255.255", "223.255.255.255", "240.0.0.0"},
        {"240.0.0.0/4", "240.0.0.0", "255.255.255.254", "", "255.255.255.255"},
        {"255.255.255.255/32", "255.255.255.255", "255.255.255.255", "", "255.255.255.254"},
        // ::/128 is the unspecified address: its own, unconditional rule.
        {"::1/128", "::1", "::1", "", "::2"},
        {"64:ff9b:1::/48", "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "", "64:ff9b:2::"},
        {"100::/64", "100::", "100::ffff:ffff:ffff:ffff", "", "ff::"},
        {"100:0:0:1::/64", "100:0:0:1::", "100::1:ffff:ffff:ffff:ffff", "", "100::2:0:0:0:0"},
        {"2001::/32", "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff",
         "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:1::"},
        {"2001::/23", "2001:1::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:200::", ""},
        {"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
         "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", ""},
        {"3fff::/20", "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::", "4000::"},
        {"5f00::/16", "5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", "5f01::"},
        {"fc00::/7", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", "fe00::"},
        {"fe80::/10", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", "fec0::"},
        {"ff00::/8", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "", "feff::"},
    };
    return table;
}

TEST(PeerPolicy, DeniesEachDefaultRangeFromFirstToLastAddress) {
    const auto policy = default_policy();
    for (const auto& b : boundaries()) {
        const auto reason = policy.why_denied(ip(b.first));
        EXPECT_FALSE(reason.empty()) << b.range << " first " << b.first;
        EXPECT_EQ(policy.why_denied(ip(b.last)), reason) << b.range << " last " << b.last;
        if (!b.outside.empty()) {
            EXPECT_TRUE(policy.permits(ip(b.outside))) << b.range << " outside " << b.outside;
        }
        if (!b.beside.empty()) {
            EXPECT_NE(policy.why_denied(ip(b.beside)), reason) << b.range << " beside " << b.beside;
        }
    }
}

TEST(PeerPolicy, EveryDefaultRangeIsTested) {
    // A range added to peer_policy.cpp without a row above fails here.
    std::vector<std::string_view> tested;
    for (const auto& b : boundaries()) {
        tested.push_back(b.range);
    }
    for (const auto& entry : default_denied_ranges()) {
        const bool catch_all = entry.cidr == "::/3" || entry.cidr == "4000::/2" ||
                               entry.cidr == "8000::/1" || entry.cidr == "::/128";
        EXPECT_TRUE(catch_all ||
                    std::find(tested.begin(), tested.end(), entry.cidr) != tested.end())
            << entry.cidr;
        EXPECT_FALSE(entry.reason.empty());
    }
}

TEST(PeerPolicy, DeniesIpv6OutsideGlobalUnicast) {
    const auto policy = default_policy();
    for (auto text : {"::2", "::10.0.0.1", "::8.8.8.8", "::ffff:0:8.8.8.8", "1000::1",
                      "1fff::", "4000::", "7fff::", "8000::", "e000::", "fec0::1", "feff::"}) {
        EXPECT_FALSE(policy.permits(ip(text))) << text;
    }
    EXPECT_TRUE(policy.permits(ip("2000::")));
    EXPECT_TRUE(policy.permits(ip("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(PeerPolicy, DeniesUnspecifiedAddressesWhateverTheLists) {
    const auto everything = CidrSet::parse_list("0.0.0.0/0, ::/0");
    const PeerPolicy policy(everything, CidrSet{}, true);
    for (auto text : {"0.0.0.0", "::", "::ffff:0.0.0.0"}) {
        EXPECT_FALSE(policy.permits(ip(text))) << text;
    }
    EXPECT_TRUE(policy.permits(ip("0.0.0.1")));  // allowed explicitly, and not the local host
    EXPECT_FALSE(policy.permits(IpAddress{}));
}

TEST(PeerPolicy, PermitsPublicAddresses) {
    const auto policy = default_policy();
    for (auto text :
         {"8.8.8.8", "1.1.1.1", "203.0.114.1", "2606:4700::1", "2a00:1450::1", "::ffff:8.8.8.8",
          "64:ff9b::8.8.8.8", "2002:808:808::1", "192.31.196.1", "2620:4f:8000::1"}) {
        EXPECT_TRUE(policy.permits(ip(text))) << text;
        EXPECT_EQ(policy.why_denied(ip(text)), "") << text;
    }
}

// Every denied IPv4 range, at its first and last address, in each form that
// carries an IPv4 address.
TEST(PeerPolicy, DeniesMappedNat64And6to4FormsOfDeniedIpv4) {
    const auto policy = default_policy();
    for (const auto& b : boundaries()) {
        const auto v4 = ip(b.first);
        if (!v4.is_v4()) {
            continue;
        }
        for (const auto& end : {ip(b.first), ip(b.last)}) {
            const auto dotted = end.to_string();
            const auto value = end.v4_value();
            const auto six_to_four = fmt::format("2002:{:x}:{:x}::1", value >> 16, value & 0xFFFF);
            for (const auto& form : {"::ffff:" + dotted, "64:ff9b::" + dotted, six_to_four}) {
                EXPECT_FALSE(policy.permits(ip(form))) << b.range << " as " << form;
            }
        }
    }
    EXPECT_EQ(policy.why_denied(ip("::ffff:10.0.0.1")), policy.why_denied(ip("10.0.0.1")));
    EXPECT_EQ(policy.why_denied(ip("64:ff9b::10.0.0.1")), "NAT64 form of a denied IPv4 address");
    EXPECT_EQ(policy.why_denied(ip("2002:a00:1::")), "6to4 form of a denied IPv4 address");
}

TEST(PeerPolicy, SixToFourEmbedsBits16To48) {
    const auto policy = default_policy();
    // 2002:0808:0808:: embeds 8.8.8.8; the 10 in the interface id is not it.
    EXPECT_TRUE(policy.permits(ip("2002:808:808:a00::a00:1")));
    EXPECT_FALSE(policy.permits(ip("2002:c0a8:101:808::808:808")));  // 192.168.1.1
}

TEST(PeerPolicy, AllowListOverridesTheDefaultsExactlyWhereItCovers) {
    const PeerPolicy policy(CidrSet::parse_list("10.1.0.0/16, fd00:1::/64, 127.0.0.2"), CidrSet{},
                            false);
    EXPECT_TRUE(policy.permits(ip("10.1.0.0")));
    EXPECT_TRUE(policy.permits(ip("10.1.255.255")));
    EXPECT_FALSE(policy.permits(ip("10.0.255.255")));
    EXPECT_FALSE(policy.permits(ip("10.2.0.0")));
    EXPECT_TRUE(policy.permits(ip("fd00:1::5")));
    EXPECT_FALSE(policy.permits(ip("fd00:2::5")));
    EXPECT_TRUE(policy.permits(ip("127.0.0.2")));
    EXPECT_FALSE(policy.permits(ip("127.0.0.1")));
    // The mapped form is the same host; NAT64 and 6to4 reach another network.
    EXPECT_TRUE(policy.permits(ip("::ffff:10.1.2.3")));
    EXPECT_FALSE(policy.permits(ip("64:ff9b::10.1.2.3")));
    EXPECT_FALSE(policy.permits(ip("2002:a01:203::1")));
}

TEST(PeerPolicy, AllowListCanNameATranslatedFormLiterally) {
    const PeerPolicy policy(CidrSet::parse_list("64:ff9b::10.1.0.0/112"), CidrSet{}, false);
    EXPECT_TRUE(policy.permits(ip("64:ff9b::10.1.2.3")));
    EXPECT_FALSE(policy.permits(ip("64:ff9b::10.2.0.1")));
    EXPECT_FALSE(policy.permits(ip("10.1.2.3")));
}

TEST(PeerPolicy, DenyListAlwaysDenies) {
    const auto both = CidrSet::parse_list("10.1.0.0/16, 198.51.100.0/24, 2606:4700::/32");
    const PeerPolicy policy(both, CidrSet::parse_list("10.1.2.0/24, 8.8.8.8, 2606:4700::/32"),
                            true);
    EXPECT_EQ(policy.why_denied(ip("10.1.2.3")), "denied-peer-ip");  // also allowed
    EXPECT_TRUE(policy.permits(ip("10.1.3.3")));
    EXPECT_EQ(policy.why_denied(ip("8.8.8.8")), "denied-peer-ip");  // public, denied anyway
    EXPECT_TRUE(policy.permits(ip("8.8.4.4")));
    EXPECT_FALSE(policy.permits(ip("2606:4700::1")));
    // In every form that carries the denied IPv4 address.
    for (auto text : {"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"}) {
        EXPECT_EQ(policy.why_denied(ip(text)), "denied-peer-ip") << text;
    }
}

TEST(PeerPolicy, ListsMayWriteIpv4EitherWay) {
    const PeerPolicy policy(CidrSet::parse_list("::ffff:10.1.0.0/112"),
                            CidrSet::parse_list("::ffff:8.8.8.0/120"), false);
    EXPECT_FALSE(policy.permits(ip("::ffff:8.8.8.8")));
    EXPECT_FALSE(policy.permits(ip("8.8.8.8")));
    EXPECT_TRUE(policy.permits(ip("8.8.4.4")));
    EXPECT_TRUE(policy.permits(ip("10.1.2.3")));
    EXPECT_TRUE(policy.permits(ip("::ffff:10.1.2.3")));
    EXPECT_FALSE(policy.permits(ip("10.2.0.1")));
}

TEST(PeerPolicy, LoopbackSwitchLetsOnlyLoopbackThrough) {
    const auto closed = default_policy();
    const PeerPolicy open(CidrSet{}, CidrSet{}, true);
    for (auto text : {"127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1"}) {
        EXPECT_FALSE(closed.permits(ip(text))) << text;
        EXPECT_TRUE(open.permits(ip(text))) << text;
    }
    for (auto text : {"10.0.0.1", "192.168.1.1", "169.254.1.1", "::2", "fe80::1",
                      "64:ff9b::127.0.0.1", "2002:7f00:1::1"}) {
        EXPECT_FALSE(open.permits(ip(text))) << text;
    }
    const PeerPolicy open_but_denied(CidrSet{}, CidrSet::parse_list("127.0.0.0/8"), true);
    EXPECT_FALSE(open_but_denied.permits(ip("127.0.0.1")));
    EXPECT_TRUE(open_but_denied.permits(ip("::1")));
}

TEST(PeerPolicy, JudgingAllocatesNothing) {
    const PeerPolicy policy(CidrSet::parse_list("10.1.0.0/16, 2001:db8::/48"),
                            CidrSet::parse_list("8.8.8.8, ::ffff:9.9.9.0/120"), true);
    std::vector<IpAddress> peers;
    for (auto text : {"8.8.4.4", "8.8.8.8", "10.1.2.3", "10.2.3.4", "127.0.0.1", "::1",
                      "::ffff:9.9.9.9", "64:ff9b::10.0.0.1", "2002:a00:1::1", "2606:4700::1",
                      "fe80::1", "2001:db8::1", "::", "0.0.0.0"}) {
        peers.push_back(ip(text));
    }
    const auto socket_address = SocketAddress::parse("[2606:4700::1]:3478");
    ASSERT_TRUE(socket_address);

    const long before = allocations.load();
    std::size_t denied = 0;
    for (const auto& peer : peers) {
        denied += policy.permits(peer) ? 0 : 1;
        denied += policy.why_denied(peer).empty() ? 0 : 1;
    }
    denied += policy.permits(IpAddress(*socket_address)) ? 0 : 1;
    EXPECT_EQ(allocations.load(), before);
    EXPECT_GT(denied, 0u);
}

TEST(PeerPolicy, ReasonsNameTheRange) {
    const auto policy = default_policy();
    EXPECT_EQ(policy.why_denied(ip("192.168.1.1")), "private (RFC 1918)");
    EXPECT_EQ(policy.why_denied(ip("100.64.0.1")), "shared address space, CGNAT (RFC 6598)");
    EXPECT_EQ(policy.why_denied(ip("255.255.255.255")), "limited broadcast (RFC 919)");
    EXPECT_EQ(policy.why_denied(ip("2001::1")), "Teredo (RFC 4380)");
    EXPECT_EQ(policy.why_denied(ip("2001:2::1")), "IETF protocol assignments (RFC 2928)");
    EXPECT_EQ(policy.why_denied(ip("::1")), "loopback (RFC 4291)");
    EXPECT_EQ(policy.why_denied(ip("::")), "unspecified address (reaches the local host)");
}

}  // namespace
}  // namespace turnpike
