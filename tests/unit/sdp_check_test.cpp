#include "signal/sdp_check.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

namespace turnpike::signal {
namespace {

const std::string host =
    "a=candidate:1467250027 1 udp 2122260223 192.0.2.10 46243 typ host generation 0";
const std::string srflx =
    "a=candidate:435653019 1 udp 1686052607 198.51.100.7 46243 typ srflx raddr 192.0.2.10 rport "
    "46243 generation 0";
const std::string relay =
    "a=candidate:2157334355 1 udp 41885439 203.0.113.5 50124 typ relay raddr 198.51.100.7 rport "
    "46243 generation 0";
const std::string fingerprint =
    "a=fingerprint:sha-256 "
    "0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:"
    "8E";

std::string media(const std::string& m, const std::string& mid, const std::string& connection,
                  const std::string& candidates) {
    return m + "\r\n" + connection + "\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" + candidates +
           "a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n" + fingerprint +
           "\r\na=setup:actpass\r\na=mid:" + mid + "\r\na=sendrecv\r\na=rtcp-mux\r\n";
}

// Chrome-style: audio, video and data, bundled, candidates in the audio section.
std::string offer(bool with_candidates = true) {
    std::string candidates = with_candidates ? host + "\r\n" + srflx + "\r\n" + relay + "\r\n" : "";
    return "v=0\r\no=- 4611731400430051336 2 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
           "a=group:BUNDLE 0 1 2\r\na=msid-semantic: WMS stream\r\n" +
           media("m=audio 46243 UDP/TLS/RTP/SAVPF 111 0", "0", "c=IN IP4 198.51.100.7",
                 candidates) +
           "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n" +
           media("m=video 9 UDP/TLS/RTP/SAVPF 96", "1", "c=IN IP4 0.0.0.0", "") +
           "a=rtpmap:96 VP8/90000\r\n" +
           media("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "2", "c=IN IP4 0.0.0.0", "") +
           "a=sctp-port:5000\r\n";
}

// Firefox-style: session-level fingerprint, LF-only endings would be
// rejected by nothing; this one uses CRLF like the real thing.
std::string firefox_offer() {
    return "v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 6234235 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
           fingerprint + "\r\na=group:BUNDLE 0\r\na=ice-options:trickle\r\n" +
           "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\nc=IN IP4 0.0.0.0\r\na=sendrecv\r\n"
           "a=ice-pwd:6a3e5b1c0f1e4b5b8d9e0a1b2c3d4e5f\r\na=ice-ufrag:4f9b2a1c\r\na=mid:0\r\n"
           "a=rtcp-mux\r\na=rtpmap:109 opus/48000/2\r\na=setup:actpass\r\n";
}

TEST(CheckSdp, RealisticOffersPassUnchanged) {
    for (const auto& sdp : {offer(), offer(false), firefox_offer()}) {
        auto check = check_sdp(sdp, false);
        ASSERT_TRUE(check.ok) << check.problem;
        EXPECT_EQ(check.sdp, sdp);
        EXPECT_EQ(check.candidates_removed, 0u);
    }
}

TEST(CheckSdp, PrivacyKeepsOnlyRelayAndScrubsAddressesLeavingOtherLinesIntact) {
    auto check = check_sdp(offer(), true);
    ASSERT_TRUE(check.ok) << check.problem;
    EXPECT_EQ(check.candidates_removed, 2u);
    EXPECT_EQ(check.sdp.find("192.0.2.10"), std::string::npos) << check.sdp;
    EXPECT_EQ(check.sdp.find("198.51.100.7"), std::string::npos) << check.sdp;
    EXPECT_NE(check.sdp.find("typ relay raddr 0.0.0.0 rport 0 generation 0\r\n"),
              std::string::npos);
    EXPECT_NE(check.sdp.find("o=- 4611731400430051336 2 IN IP4 0.0.0.0\r\n"), std::string::npos);
    EXPECT_NE(check.sdp.find(fingerprint + "\r\n"), std::string::npos);
    EXPECT_NE(check.sdp.find("a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"), std::string::npos);
    // Only the candidate, c= and o= lines changed: the rest is byte for byte.
    auto without = [](std::string sdp) {
        std::string kept;
        size_t start = 0;
        while (start < sdp.size()) {
            auto end = sdp.find("\r\n", start);
            auto line = sdp.substr(start, end - start);
            if (!line.starts_with("a=candidate") && !line.starts_with("c=") &&
                !line.starts_with("o=")) {
                kept += line + "\n";
            }
            start = end + 2;
        }
        return kept;
    };
    EXPECT_EQ(without(check.sdp), without(offer()));
    auto again = check_sdp(check.sdp, false);
    EXPECT_TRUE(again.ok) << again.problem;
}

TEST(CheckSdp, PrivacyKeepsAConnectionAddressThatIsTheRelayAddress) {
    std::string sdp = offer();
    sdp.replace(sdp.find("c=IN IP4 198.51.100.7"), 21, "c=IN IP4 203.0.113.5");
    auto check = check_sdp(sdp, true);
    ASSERT_TRUE(check.ok);
    EXPECT_NE(check.sdp.find("c=IN IP4 203.0.113.5\r\n"), std::string::npos);
}

TEST(CheckSdp, RefusesEachStructuralProblem) {
    auto replace = [](std::string text, const std::string& from, const std::string& to) {
        text.replace(text.find(from), from.size(), to);
        return text;
    };
    std::string many_media = offer();
    for (int i = 0; i < 33; ++i) {
        many_media += "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
    }
    std::string many_lines = offer();
    for (int i = 0; i < 4100; ++i) {
        many_lines += "a=x\r\n";
    }
    const std::pair<std::string, std::string> cases[] = {
        {"", "v=0"},
        {"hello world", "v=0"},
        {replace(offer(), "v=0", "v=1"), "v=0"},
        {replace(offer(), "s=-\r\n", ""), "o=, s= and t="},
        {replace(offer(), "a=setup:actpass", "not an sdp line"), "<letter>=<value>"},
        {replace(offer(), "m=video 9 ", "m=video nine "), "m= line"},
        {replace(offer(), "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9"), "m= line"},
        {replace(offer(), "typ host", "typ teleport"), "unknown candidate type"},
        {replace(offer(), "46243 typ host", "99999 typ host"), "bad port"},
        {replace(offer(),
                 "a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n" + fingerprint,
                 fingerprint),
         "ICE ufrag"},
        {replace(offer(), fingerprint + "\r\n", ""), "fingerprint"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "no media"},
        {many_media, "media sections"},
        {many_lines, "lines"},
        {std::string(70000, 'a'), "bytes"},
        {replace(offer(), "s=-", std::string("s=\0", 3)), "NUL"},
        {replace(offer(), "s=-", "s=\xff"), "UTF-8"},
    };
    for (const auto& [sdp, problem] : cases) {
        auto check = check_sdp(sdp, false);
        EXPECT_FALSE(check.ok) << problem;
        EXPECT_NE(check.problem.find(problem), std::string::npos)
            << "wanted '" << problem << "', got '" << check.problem << "'";
    }
}

TEST(CheckSdp, SurvivesRandomMutations) {
    std::mt19937 random(20261122);
    const std::string base = offer();
    size_t accepted = 0;
    for (int i = 0; i < 10000; ++i) {
        std::string sdp = base;
        int edits = 1 + static_cast<int>(random() % 8);
        for (int e = 0; e < edits; ++e) {
            size_t at = random() % sdp.size();
            switch (random() % 4) {
                case 0:
                    sdp[at] = static_cast<char>(random() % 256);
                    break;
                case 1:
                    sdp.erase(at, random() % 40);
                    break;
                case 2:
                    sdp.insert(at, std::string(random() % 8, static_cast<char>(random() % 128)));
                    break;
                default:
                    sdp.insert(at, sdp.substr(random() % sdp.size(), random() % 200));
                    break;
            }
            if (sdp.empty()) {
                sdp = "v";
            }
        }
        auto check = check_sdp(sdp, (i % 2) == 0);
        accepted += check.ok;
        EXPECT_TRUE(check.ok || !check.problem.empty());
    }
    RecordProperty("accepted_mutations", static_cast<int>(accepted));
}

TEST(CheckSdp, ChecksATypicalOfferQuickly) {
    std::string sdp = offer();
    auto started = std::chrono::steady_clock::now();
    constexpr int rounds = 500;
    for (int i = 0; i < rounds; ++i) {
        ASSERT_TRUE(check_sdp(sdp, i % 2 == 0).ok);
    }
    auto each = (std::chrono::steady_clock::now() - started) / rounds;
    EXPECT_LT(each, std::chrono::milliseconds(2));  // generous for CI; tens of us here
    RecordProperty(
        "microseconds_per_check",
        static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(each).count()));
}

TEST(DescriptionType, ParsesTheFourTypes) {
    EXPECT_EQ(parse_description_type("offer"), DescriptionType::offer);
    EXPECT_EQ(parse_description_type("answer"), DescriptionType::answer);
    EXPECT_EQ(parse_description_type("pranswer"), DescriptionType::pranswer);
    EXPECT_EQ(parse_description_type("rollback"), DescriptionType::rollback);
    EXPECT_EQ(parse_description_type("Offer"), std::nullopt);
    EXPECT_EQ(parse_description_type(""), std::nullopt);
}

}  // namespace
}  // namespace turnpike::signal
