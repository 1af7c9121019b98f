#include "signal/ice_candidate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace turnpike::signal {
namespace {

using ::testing::HasSubstr;

// As Chrome sends them, trickled (RTCIceCandidate.candidate) or inline.
constexpr std::string_view kChromeHost =
    "candidate:1467250027 1 udp 2122260223 192.168.1.23 54321 typ host generation 0 network-id 1 "
    "network-cost 10";
constexpr std::string_view kChromeMdnsHost =
    "candidate:3253564941 1 udp 2113937151 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 60442 typ "
    "host generation 0 ufrag EsAw network-cost 999";
constexpr std::string_view kChromeIpv6Host =
    "candidate:2475118293 1 udp 2122129151 2001:db8:1234:5678::23 54322 typ host generation 0 "
    "ufrag EsAw network-id 2 network-cost 10";
constexpr std::string_view kChromeTcpActive =
    "candidate:3584119393 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 "
    "ufrag EsAw network-id 1 network-cost 10";
constexpr std::string_view kChromeSrflx =
    "candidate:842163049 1 udp 1677729535 203.0.113.77 54321 typ srflx raddr 192.168.1.23 rport "
    "54321 generation 0 ufrag EsAw network-id 1 network-cost 10";
constexpr std::string_view kChromeRelay =
    "candidate:3071950315 1 udp 41885439 198.51.100.10 61234 typ relay raddr 203.0.113.77 rport "
    "54321 generation 0 ufrag EsAw network-id 1 network-cost 10";
constexpr std::string_view kChromeRtcpHost =
    "candidate:1467250027 2 udp 2122260222 192.168.1.23 54322 typ host generation 0";

// As Firefox sends them: upper-case transport, no extensions.
constexpr std::string_view kFirefoxMdnsHost =
    "candidate:0 1 UDP 2122252543 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 44323 typ host";
constexpr std::string_view kFirefoxTcpActive =
    "candidate:2 1 TCP 2105524479 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 9 typ host tcptype "
    "active";
constexpr std::string_view kFirefoxTcpPassive =
    "candidate:6 1 TCP 2105458943 192.168.1.5 50001 typ host tcptype passive";
constexpr std::string_view kFirefoxSrflx =
    "candidate:1 1 UDP 1686052863 203.0.113.5 44323 typ srflx raddr 0.0.0.0 rport 0";
constexpr std::string_view kFirefoxRelay =
    "candidate:3 1 UDP 92217343 198.51.100.10 49152 typ relay raddr 203.0.113.5 rport 44323";
constexpr std::string_view kFirefoxPrflx =
    "candidate:5 1 UDP 1853824767 203.0.113.5 51000 typ prflx raddr 192.168.1.5 rport 44323";

IceCandidate parsed(std::string_view text) {
    std::string problem;
    auto candidate = parse_candidate(text, &problem);
    EXPECT_TRUE(candidate) << text << ": " << problem;
    return candidate.value_or(IceCandidate{});
}

std::string problem_of(std::string_view text) {
    std::string problem;
    EXPECT_FALSE(parse_candidate(text, &problem)) << text;
    EXPECT_FALSE(problem.empty()) << text;
    return problem;
}

// A valid candidate with one field replaced.
std::string host_with(std::string_view field, std::string_view value) {
    std::string fields[] = {"1", "1", "udp", "2122260223", "192.168.1.23", "54321", "typ", "host"};
    constexpr std::string_view kNames[] = {"foundation", "component", "transport", "priority",
                                           "address",    "port",      "typ",       "type"};
    std::string out = "candidate:";
    for (std::size_t i = 0; i < std::size(fields); ++i) {
        out += (i == 0 ? "" : " ");
        out += kNames[i] == field ? std::string(value) : fields[i];
    }
    return out;
}

TEST(ParseCandidate, ChromeHost) {
    const auto c = parsed(kChromeHost);
    EXPECT_EQ(c.foundation, "1467250027");
    EXPECT_EQ(c.component, 1u);
    EXPECT_EQ(c.transport, "udp");
    EXPECT_EQ(c.priority, 2122260223u);
    EXPECT_EQ(c.address, "192.168.1.23");
    EXPECT_EQ(c.port, 54321);
    EXPECT_EQ(c.type, CandidateType::host);
    EXPECT_FALSE(c.related_address);
    EXPECT_FALSE(c.related_port);
    EXPECT_EQ(c.tcp_type, "");
    using Pair = std::pair<std::string, std::string>;
    EXPECT_THAT(c.extensions,
                ::testing::ElementsAre(Pair{"generation", "0"}, Pair{"network-id", "1"},
                                       Pair{"network-cost", "10"}));
}

TEST(ParseCandidate, MdnsHostNames) {
    EXPECT_EQ(parsed(kChromeMdnsHost).address, "1f4712db-ea17-4bcf-a596-105139dfd8bf.local");
    EXPECT_EQ(parsed(kFirefoxMdnsHost).address, "9b36eaac-bb2e-49bb-bb78-21c41c499900.local");
    EXPECT_EQ(parsed(host_with("address", "Printer-2.LOCAL")).address, "Printer-2.LOCAL");
}

TEST(ParseCandidate, Ipv6) {
    EXPECT_EQ(parsed(kChromeIpv6Host).address, "2001:db8:1234:5678::23");
    EXPECT_EQ(parsed(host_with("address", "::1")).address, "::1");
}

TEST(ParseCandidate, ServerReflexiveWithRelatedAddress) {
    const auto c = parsed(kChromeSrflx);
    EXPECT_EQ(c.type, CandidateType::srflx);
    EXPECT_EQ(c.related_address, "192.168.1.23");
    EXPECT_EQ(c.related_port, 54321);
    const auto hidden = parsed(kFirefoxSrflx);
    EXPECT_EQ(hidden.related_address, "0.0.0.0");
    EXPECT_EQ(hidden.related_port, 0);
}

TEST(ParseCandidate, RelayAndPeerReflexive) {
    EXPECT_EQ(parsed(kChromeRelay).type, CandidateType::relay);
    EXPECT_EQ(parsed(kChromeRelay).related_address, "203.0.113.77");
    EXPECT_EQ(parsed(kFirefoxRelay).type, CandidateType::relay);
    EXPECT_EQ(parsed(kFirefoxPrflx).type, CandidateType::prflx);
}

TEST(ParseCandidate, TcpWithTcpType) {
    EXPECT_EQ(parsed(kChromeTcpActive).transport, "tcp");
    EXPECT_EQ(parsed(kChromeTcpActive).tcp_type, "active");
    EXPECT_EQ(parsed(kChromeTcpActive).port, 9);
    EXPECT_EQ(parsed(kFirefoxTcpActive).transport, "tcp");
    EXPECT_EQ(parsed(kFirefoxTcpPassive).tcp_type, "passive");
    EXPECT_EQ(parsed(std::string(kFirefoxTcpPassive) + " generation 0").tcp_type, "passive");
    EXPECT_EQ(parsed("candidate:7 1 tcp 1 192.0.2.1 5000 typ host tcptype so").tcp_type, "so");
}

TEST(ParseCandidate, FirefoxUpperCaseTransportBecomesLowerCase) {
    EXPECT_EQ(parsed(kFirefoxMdnsHost).transport, "udp");
}

TEST(ParseCandidate, RtcpComponent) {
    EXPECT_EQ(parsed(kChromeRtcpHost).component, 2u);
    EXPECT_EQ(parsed(host_with("component", "256")).component, 256u);
}

TEST(ParseCandidate, WithAttributePrefix) {
    EXPECT_EQ(parsed("a=" + std::string(kChromeRelay)).type, CandidateType::relay);
}

TEST(ParseCandidate, LimitsOfNumbers) {
    EXPECT_EQ(parsed(host_with("priority", "4294967295")).priority, 4294967295u);
    EXPECT_EQ(parsed(host_with("priority", "1")).priority, 1u);
    EXPECT_EQ(parsed(host_with("port", "0")).port, 0);
    EXPECT_EQ(parsed(host_with("port", "65535")).port, 65535);
    EXPECT_EQ(parsed(host_with("foundation", std::string(32, 'a'))).foundation.size(), 32u);
    EXPECT_EQ(parsed(host_with("foundation", "a+/Z9")).foundation, "a+/Z9");
}

TEST(ParseCandidate, ProblemIsOptional) {
    EXPECT_FALSE(parse_candidate("nonsense"));
}

// --- each rejection, with its reason ---

TEST(ParseCandidateRejects, EmptyString) {
    // End-of-candidates is the caller's business, not a candidate.
    EXPECT_THAT(problem_of(""), HasSubstr("does not start with 'candidate:'"));
}

TEST(ParseCandidateRejects, MissingPrefix) {
    EXPECT_THAT(problem_of("1 1 udp 1 192.0.2.1 1 typ host"), HasSubstr("candidate:"));
    EXPECT_THAT(problem_of("a=candidat:1 1 udp 1 192.0.2.1 1 typ host"), HasSubstr("candidate:"));
    EXPECT_THAT(problem_of("Candidate:1 1 udp 1 192.0.2.1 1 typ host"), HasSubstr("candidate:"));
}

TEST(ParseCandidateRejects, TooLong) {
    std::string text(kChromeHost);
    text += " x ";
    text += std::string(kMaxCandidateBytes - text.size() + 1, 'y');
    ASSERT_EQ(text.size(), kMaxCandidateBytes + 1);
    EXPECT_THAT(problem_of(text), HasSubstr("longer than 1024 bytes"));
    text.pop_back();
    EXPECT_TRUE(parse_candidate(text));
}

TEST(ParseCandidateRejects, ControlCharactersAndNonAscii) {
    for (std::string text :
         {std::string(kChromeHost) + "\r\na=injected:1", std::string(kChromeHost) + "\n",
          host_with("typ", "typ\thost"), host_with("address", "caf\xc3\xa9.local")}) {
        EXPECT_THAT(problem_of(text), HasSubstr("control character or non-ASCII")) << text;
    }
}

TEST(ParseCandidateRejects, EmptyFields) {
    EXPECT_THAT(problem_of("candidate:1  1 udp 1 192.0.2.1 1 typ host"), HasSubstr("empty field"));
    EXPECT_THAT(problem_of(std::string(kChromeHost) + " "), HasSubstr("empty field"));
    EXPECT_THAT(problem_of("candidate: 1 1 udp 1 192.0.2.1 1 typ host"), HasSubstr("empty field"));
}

TEST(ParseCandidateRejects, TooFewFields) {
    EXPECT_THAT(problem_of("candidate:1 1 udp 1 192.0.2.1 1 typ"), HasSubstr("too few fields"));
    EXPECT_THAT(problem_of("candidate:1"), HasSubstr("too few fields"));
}

TEST(ParseCandidateRejects, BadFoundation) {
    EXPECT_THAT(problem_of(host_with("foundation", std::string(33, 'a'))),
                HasSubstr("bad foundation"));
    EXPECT_THAT(problem_of(host_with("foundation", "ab-cd")), HasSubstr("bad foundation 'ab-cd'"));
}

TEST(ParseCandidateRejects, BadComponent) {
    for (auto value : {"0", "257", "1000", "x", "-1", "+1"}) {
        EXPECT_THAT(problem_of(host_with("component", value)), HasSubstr("bad component")) << value;
    }
}

TEST(ParseCandidateRejects, UnsupportedTransport) {
    EXPECT_THAT(problem_of(host_with("transport", "sctp")),
                HasSubstr("unsupported transport 'sctp' (udp or tcp)"));
    EXPECT_THAT(problem_of(host_with("transport", "ssltcp")), HasSubstr("unsupported transport"));
}

TEST(ParseCandidateRejects, BadPriority) {
    for (auto value : {"0", "4294967296", "12345678901", "1e9", "-5"}) {
        EXPECT_THAT(problem_of(host_with("priority", value)), HasSubstr("bad priority")) << value;
    }
}

TEST(ParseCandidateRejects, BadAddress) {
    for (auto value : {"192.168.1.300", "example.com", "[::1]", "fe80::1%eth0", "-x.local",
                       ".local", "a..local", "local", "192.168.1.23:5000"}) {
        EXPECT_THAT(problem_of(host_with("address", value)), HasSubstr("bad address")) << value;
    }
    EXPECT_THAT(problem_of(host_with("address", std::string(64, 'a') + ".local")),
                HasSubstr("bad address"));
}

TEST(ParseCandidateRejects, BadPort) {
    for (auto value : {"65536", "100000", "-1", "port", "80a"}) {
        EXPECT_THAT(problem_of(host_with("port", value)), HasSubstr("bad port")) << value;
    }
}

TEST(ParseCandidateRejects, MissingTyp) {
    EXPECT_THAT(problem_of(host_with("typ", "type")),
                HasSubstr("expected 'typ' after the port, found 'type'"));
}

TEST(ParseCandidateRejects, UnknownCandidateType) {
    EXPECT_EQ(problem_of(host_with("type", "foo")), "unknown candidate type 'foo'");
    EXPECT_THAT(problem_of(host_with("type", "HOST")), HasSubstr("unknown candidate type"));
}

TEST(ParseCandidateRejects, BadRelatedAddressOrPort) {
    const std::string relay = "candidate:1 1 udp 1 198.51.100.10 3478 typ relay";
    EXPECT_THAT(problem_of(relay + " raddr example.com rport 1"),
                HasSubstr("bad related address 'example.com'"));
    EXPECT_THAT(problem_of(relay + " raddr 192.0.2.1 rport 70000"),
                HasSubstr("bad related port '70000'"));
    EXPECT_THAT(problem_of(relay + " raddr 192.0.2.1 raddr 192.0.2.2"),
                HasSubstr("raddr appears twice"));
    EXPECT_THAT(problem_of(relay + " rport 1 rport 2"), HasSubstr("rport appears twice"));
}

TEST(ParseCandidateRejects, BadTcpType) {
    const std::string tcp = "candidate:1 1 tcp 1 192.0.2.1 9 typ host";
    EXPECT_THAT(problem_of(tcp + " tcptype sideways"), HasSubstr("bad tcptype 'sideways'"));
    EXPECT_THAT(problem_of(tcp + " tcptype active tcptype passive"),
                HasSubstr("tcptype appears twice"));
    EXPECT_THAT(problem_of(host_with("type", "host tcptype active")),
                HasSubstr("tcptype on a udp candidate"));
}

TEST(ParseCandidateRejects, ExtensionWithoutValue) {
    EXPECT_THAT(problem_of(host_with("type", "host generation")),
                HasSubstr("'generation' has no value"));
    EXPECT_THAT(problem_of(host_with("type", "host raddr")), HasSubstr("'raddr' has no value"));
}

TEST(ParseCandidateRejects, BadExtensionName) {
    EXPECT_THAT(problem_of(host_with("type", "host gen:eration 0")),
                HasSubstr("bad extension name 'gen:eration'"));
}

TEST(ParseCandidateRejects, SecondType) {
    // Another parser might take the last "typ", and privacy mode goes by the type.
    EXPECT_THAT(problem_of(host_with("type", "relay typ host")), HasSubstr("typ appears twice"));
}

TEST(ParseCandidateRejects, ProblemQuotesInputSafely) {
    const auto problem = problem_of(host_with("type", std::string(100, 'z')));
    EXPECT_LT(problem.size(), 80u);
    EXPECT_THAT(problem, HasSubstr("'..."));
}

// --- formatting and scrubbing ---

TEST(FormatCandidate, RoundTripsChromeCandidates) {
    for (auto text : {kChromeHost, kChromeMdnsHost, kChromeIpv6Host, kChromeTcpActive, kChromeSrflx,
                      kChromeRelay, kChromeRtcpHost}) {
        EXPECT_EQ(format_candidate(parsed(text)), text);
    }
}

TEST(FormatCandidate, WritesTransportInLowerCase) {
    EXPECT_EQ(format_candidate(parsed(kFirefoxRelay)),
              "candidate:3 1 udp 92217343 198.51.100.10 49152 typ relay raddr 203.0.113.5 rport "
              "44323");
    EXPECT_EQ(format_candidate(parsed(kFirefoxTcpPassive)),
              "candidate:6 1 tcp 2105458943 192.168.1.5 50001 typ host tcptype passive");
}

TEST(FormatCandidate, ParsesBackEqual) {
    for (auto text : {kFirefoxMdnsHost, kFirefoxTcpActive, kFirefoxSrflx, kFirefoxPrflx}) {
        const auto once = parsed(text);
        const auto twice = parsed(format_candidate(once));
        EXPECT_EQ(format_candidate(twice), format_candidate(once));
    }
}

TEST(ScrubCandidate, OutsidePrivacyModeEverythingPasses) {
    for (auto text : {kChromeHost, kChromeSrflx, kChromeRelay, kFirefoxPrflx}) {
        EXPECT_EQ(scrub_candidate(parsed(text), false), format_candidate(parsed(text)));
    }
}

TEST(ScrubCandidate, PrivacyModeDropsAllButRelay) {
    for (auto text : {kChromeHost, kChromeMdnsHost, kChromeIpv6Host, kChromeTcpActive, kChromeSrflx,
                      kFirefoxSrflx, kFirefoxPrflx, kFirefoxTcpPassive}) {
        EXPECT_FALSE(scrub_candidate(parsed(text), true)) << text;
    }
}

TEST(ScrubCandidate, PrivacyModeHidesRelatedAddressOfRelay) {
    EXPECT_EQ(scrub_candidate(parsed(kChromeRelay), true),
              "candidate:3071950315 1 udp 41885439 198.51.100.10 61234 typ relay raddr 0.0.0.0 "
              "rport 0 generation 0 ufrag EsAw network-id 1 network-cost 10");
    EXPECT_EQ(scrub_candidate(parsed(kFirefoxRelay), true),
              "candidate:3 1 udp 92217343 198.51.100.10 49152 typ relay raddr 0.0.0.0 rport 0");
    // Either half alone is still hidden, and both are written.
    EXPECT_EQ(
        scrub_candidate(parsed("candidate:1 1 udp 5 198.51.100.10 3478 typ relay rport 999"), true),
        "candidate:1 1 udp 5 198.51.100.10 3478 typ relay raddr 0.0.0.0 rport 0");
}

TEST(ScrubCandidate, RelayWithoutRelatedAddressIsUnchanged) {
    const std::string_view text = "candidate:1 1 udp 5 198.51.100.10 3478 typ relay generation 0";
    EXPECT_EQ(scrub_candidate(parsed(text), true), text);
}

TEST(CandidateType, Names) {
    EXPECT_EQ(to_string(CandidateType::host), "host");
    EXPECT_EQ(to_string(CandidateType::srflx), "srflx");
    EXPECT_EQ(to_string(CandidateType::prflx), "prflx");
    EXPECT_EQ(to_string(CandidateType::relay), "relay");
}

}  // namespace
}  // namespace turnpike::signal
