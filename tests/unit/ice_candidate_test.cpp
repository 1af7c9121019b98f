#include "signal/ice_candidate.hpp"

#include <gtest/gtest.h>

namespace turnpike::signal {
namespace {

TEST(ParseCandidate, ChromeHostWithMdnsName) {
    auto c = parse_candidate(
        "candidate:3079467458 1 udp 2122262783 6b4e2a0e-1b8f-4c7c-9a52-2f6c0d9b7a11.local 54400 "
        "typ host generation 0 ufrag EsAw network-id 2");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->foundation, "3079467458");
    EXPECT_EQ(c->component, 1u);
    EXPECT_EQ(c->transport, "udp");
    EXPECT_EQ(c->priority, 2122262783u);
    EXPECT_EQ(c->address, "6b4e2a0e-1b8f-4c7c-9a52-2f6c0d9b7a11.local");
    EXPECT_EQ(c->port, 54400);
    EXPECT_EQ(c->type, CandidateType::host);
}

TEST(ParseCandidate, SrflxAndRelayWithRelatedAddress) {
    auto srflx = parse_candidate(
        "a=candidate:435653019 1 udp 1686052607 198.51.100.7 46243 typ srflx raddr 192.0.2.10 "
        "rport 46243 generation 0");
    ASSERT_TRUE(srflx);
    EXPECT_EQ(srflx->type, CandidateType::srflx);
    EXPECT_EQ(srflx->related_address, "192.0.2.10");
    EXPECT_EQ(srflx->related_port, 46243);
    auto relay = parse_candidate(
        "candidate:1 1 UDP 41885439 203.0.113.5 50124 typ relay raddr "
        "198.51.100.7 rport 46243");
    ASSERT_TRUE(relay);
    EXPECT_EQ(relay->type, CandidateType::relay);
    EXPECT_EQ(relay->transport, "udp");
}

TEST(ParseCandidate, FirefoxTcpAndIpv6) {
    auto tcp = parse_candidate("candidate:2 1 TCP 2105524479 192.0.2.4 9 typ host tcptype active");
    ASSERT_TRUE(tcp);
    EXPECT_EQ(tcp->transport, "tcp");
    EXPECT_EQ(tcp->port, 9);
    auto v6 = parse_candidate("candidate:1 1 UDP 2122187007 2001:db8::1 53421 typ host");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->address, "2001:db8::1");
    EXPECT_TRUE(parse_candidate("candidate:5 2 udp 2122252542 192.0.2.4 61666 typ prflx"));
}

TEST(ParseCandidate, RefusesEachMalformedPartWithAReason) {
    struct Case {
        const char* text;
        const char* problem;
    };
    const Case cases[] = {
        {"hello", "starts with"},
        {"candidate:1 1 udp 1 192.0.2.1 5000", "expected"},
        {"candidate:1 1 udp 1 192.0.2.1 5000 type host", "expected"},
        {"candidate:bad-foundation! 1 udp 1 192.0.2.1 5000 typ host", "foundation"},
        {"candidate:1 0 udp 1 192.0.2.1 5000 typ host", "component"},
        {"candidate:1 257 udp 1 192.0.2.1 5000 typ host", "component"},
        {"candidate:1 1 udp 0 192.0.2.1 5000 typ host", "priority"},
        {"candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", "priority"},
        {"candidate:1 1 udp 1 192.0.2.1 70000 typ host", "bad port '70000'"},
        {"candidate:1 1 udp 1 evil.example.com 5000 typ host", "address"},
        {"candidate:1 1 udp 1 192.0.2.1 5000 typ teleport", "unknown candidate type 'teleport'"},
        {"candidate:1 1 udp 1 192.0.2.1 5000 typ srflx raddr nowhere rport 1", "raddr"},
        {"candidate:1 1 udp 1 192.0.2.1 5000 typ srflx raddr 192.0.2.2 rport x", "rport"},
        {"candidate:1 1 udp 1 192.0.2.1 5000 typ host generation", "without a value"},
    };
    for (const auto& c : cases) {
        std::string problem;
        EXPECT_FALSE(parse_candidate(c.text, &problem)) << c.text;
        EXPECT_NE(problem.find(c.problem), std::string::npos) << c.text << ": " << problem;
    }
    std::string long_one =
        "candidate:1 1 udp 1 192.0.2.1 5000 typ host x " + std::string(1100, 'y');
    EXPECT_FALSE(parse_candidate(long_one));
}

TEST(ScrubCandidate, WithoutPrivacyEverythingPassesUnchanged) {
    auto c = parse_candidate("candidate:1 1 udp 1 192.0.2.1 5000 typ host generation 0");
    ASSERT_TRUE(c);
    EXPECT_EQ(scrub_candidate(*c, false),
              "candidate:1 1 udp 1 192.0.2.1 5000 typ host generation 0");
}

TEST(ScrubCandidate, PrivacyKeepsRelayOnlyWithTheRelatedAddressZeroed) {
    for (const char* text :
         {"candidate:1 1 udp 1 192.0.2.1 5000 typ host",
          "candidate:1 1 udp 1 198.51.100.7 5000 typ srflx raddr 192.0.2.1 rport 5000",
          "candidate:1 1 udp 1 198.51.100.7 5000 typ prflx"}) {
        auto c = parse_candidate(text);
        ASSERT_TRUE(c);
        EXPECT_EQ(scrub_candidate(*c, true), std::nullopt) << text;
    }
    auto relay = parse_candidate(
        "candidate:2157334355 1 udp 41885439 203.0.113.5 50124 typ relay raddr 198.51.100.7 rport "
        "46243 generation 0 ufrag EsAw");
    ASSERT_TRUE(relay);
    EXPECT_EQ(scrub_candidate(*relay, true),
              "candidate:2157334355 1 udp 41885439 203.0.113.5 50124 typ relay raddr 0.0.0.0 "
              "rport 0 generation 0 ufrag EsAw");
}

}  // namespace
}  // namespace turnpike::signal
