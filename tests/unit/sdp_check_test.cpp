#include "signal/sdp_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "signal/ice_candidate.hpp"

namespace turnpike::signal {
namespace {

using ::testing::HasSubstr;
using Lines = std::vector<std::string>;

// A Chrome offer after ICE gathering: audio, video and a data channel
// bundled, candidates inline in the first section, the server-reflexive
// address as the default in c=. About 5.8 KB.
const Lines kChromeOffer = {
    "v=0",
    "o=- 4215775240449105457 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1 2",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 7f3c9e0a-5b1d-4e8f-9a2c-6d4b3e1f0a9b",
    "m=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 203.0.113.77",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=candidate:1467250027 1 udp 2122260223 192.168.1.23 54321 typ host generation 0 network-id 1 "
    "network-cost 10",
    "a=candidate:2475118293 1 udp 2122129151 2001:db8:1234:5678::23 54322 typ host generation 0 "
    "network-id 2 network-cost 10",
    "a=candidate:3584119393 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 "
    "network-id 1 network-cost 10",
    "a=candidate:842163049 1 udp 1686052607 203.0.113.77 54321 typ srflx raddr 192.168.1.23 rport "
    "54321 generation 0 network-id 1 network-cost 10",
    "a=candidate:3071950315 1 udp 41885439 198.51.100.10 61234 typ relay raddr 203.0.113.77 rport "
    "54321 generation 0 network-id 1 network-cost 10",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:"
    "08",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=msid:7f3c9e0a-5b1d-4e8f-9a2c-6d4b3e1f0a9b 2c8e1f4a-9b3d-4a7e-8f1c-5d6e2b9a0c3f",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
    "a=ssrc:1001211377 cname:Ir6kNv8yJ0fGk4vA",
    "a=ssrc:1001211377 msid:7f3c9e0a-5b1d-4e8f-9a2c-6d4b3e1f0a9b "
    "2c8e1f4a-9b3d-4a7e-8f1c-5d6e2b9a0c3f",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106 107 127 125 45 46 98 99 100 101 112 113 116 117 "
    "118",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:"
    "08",
    "a=setup:actpass",
    "a=mid:1",
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:13 urn:3gpp:video-orientation",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
    "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
    "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "a=sendrecv",
    "a=msid:7f3c9e0a-5b1d-4e8f-9a2c-6d4b3e1f0a9b d41e7b2c-0a9f-4c3e-b8d1-7e6f5a4b3c2d",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 goog-remb",
    "a=rtcp-fb:102 transport-cc",
    "a=rtcp-fb:102 ccm fir",
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "a=rtpmap:106 H264/90000",
    "a=rtcp-fb:106 goog-remb",
    "a=rtcp-fb:106 transport-cc",
    "a=rtcp-fb:106 ccm fir",
    "a=rtcp-fb:106 nack",
    "a=rtcp-fb:106 nack pli",
    "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    "a=rtpmap:107 rtx/90000",
    "a=fmtp:107 apt=106",
    "a=rtpmap:127 H264/90000",
    "a=rtcp-fb:127 goog-remb",
    "a=rtcp-fb:127 transport-cc",
    "a=rtcp-fb:127 ccm fir",
    "a=rtcp-fb:127 nack",
    "a=rtcp-fb:127 nack pli",
    "a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
    "a=rtpmap:125 rtx/90000",
    "a=fmtp:125 apt=127",
    "a=rtpmap:45 AV1/90000",
    "a=rtcp-fb:45 goog-remb",
    "a=rtcp-fb:45 transport-cc",
    "a=rtcp-fb:45 ccm fir",
    "a=rtcp-fb:45 nack",
    "a=rtcp-fb:45 nack pli",
    "a=fmtp:45 level-idx=5;profile=0;tier=0",
    "a=rtpmap:46 rtx/90000",
    "a=fmtp:46 apt=45",
    "a=rtpmap:98 VP9/90000",
    "a=rtcp-fb:98 goog-remb",
    "a=rtcp-fb:98 transport-cc",
    "a=rtcp-fb:98 ccm fir",
    "a=rtcp-fb:98 nack",
    "a=rtcp-fb:98 nack pli",
    "a=fmtp:98 profile-id=0",
    "a=rtpmap:99 rtx/90000",
    "a=fmtp:99 apt=98",
    "a=rtpmap:100 VP9/90000",
    "a=rtcp-fb:100 goog-remb",
    "a=rtcp-fb:100 transport-cc",
    "a=rtcp-fb:100 ccm fir",
    "a=rtcp-fb:100 nack",
    "a=rtcp-fb:100 nack pli",
    "a=fmtp:100 profile-id=2",
    "a=rtpmap:101 rtx/90000",
    "a=fmtp:101 apt=100",
    "a=rtpmap:112 H264/90000",
    "a=rtcp-fb:112 goog-remb",
    "a=rtcp-fb:112 transport-cc",
    "a=rtcp-fb:112 ccm fir",
    "a=rtcp-fb:112 nack",
    "a=rtcp-fb:112 nack pli",
    "a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f",
    "a=rtpmap:113 rtx/90000",
    "a=fmtp:113 apt=112",
    "a=rtpmap:116 red/90000",
    "a=rtpmap:117 rtx/90000",
    "a=fmtp:117 apt=116",
    "a=rtpmap:118 ulpfec/90000",
    "a=ssrc-group:FID 2897413581 1383479837",
    "a=ssrc:2897413581 cname:Ir6kNv8yJ0fGk4vA",
    "a=ssrc:2897413581 msid:7f3c9e0a-5b1d-4e8f-9a2c-6d4b3e1f0a9b "
    "d41e7b2c-0a9f-4c3e-b8d1-7e6f5a4b3c2d",
    "a=ssrc:1383479837 cname:Ir6kNv8yJ0fGk4vA",
    "a=ssrc:1383479837 msid:7f3c9e0a-5b1d-4e8f-9a2c-6d4b3e1f0a9b "
    "d41e7b2c-0a9f-4c3e-b8d1-7e6f5a4b3c2d",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:"
    "08",
    "a=setup:actpass",
    "a=mid:2",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
};

// A Firefox offer: fingerprint at session level, ICE credentials per
// section, an mDNS host, IPv6, TCP, srflx with a hidden raddr and a relay.
const Lines kFirefoxOffer = {
    "v=0",
    "o=mozilla...THIS_IS_SDPARTA-120.0 6054093392514813408 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=sendrecv",
    "a=fingerprint:sha-256 "
    "4C:6E:1A:9D:3B:7F:22:E0:5C:8A:41:B6:0D:F3:97:2E:6B:C5:18:A4:7D:03:E9:5F:B2:36:C8:4E:11:9A:D7:"
    "60",
    "a=group:BUNDLE 0 1 2",
    "a=ice-options:trickle",
    "a=msid-semantic:WMS *",
    "m=audio 44323 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
    "c=IN IP4 203.0.113.5",
    "a=candidate:0 1 UDP 2122252543 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 44323 typ host",
    "a=candidate:4 1 UDP 2122187007 2001:db8:5::5 51723 typ host",
    "a=candidate:2 1 TCP 2105524479 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 9 typ host tcptype "
    "active",
    "a=candidate:1 1 UDP 1686052863 203.0.113.5 44323 typ srflx raddr 0.0.0.0 rport 0",
    "a=candidate:3 1 UDP 92217343 198.51.100.10 49152 typ relay raddr 203.0.113.5 rport 44323",
    "a=sendrecv",
    "a=end-of-candidates",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level",
    "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
    "a=fmtp:101 0-15",
    "a=ice-pwd:e35ba2a8ea1a2e5e2ea5a0e8a6d0ba02",
    "a=ice-ufrag:0f8d2b8f",
    "a=mid:0",
    "a=msid:{1b1c6f0e-2d3a-4b5c-8d9e-0f1a2b3c4d5e} {2a4c6e8f-1b3d-4f5a-9c7e-0d2f4a6c8e1b}",
    "a=rtcp-mux",
    "a=rtpmap:109 opus/48000/2",
    "a=rtpmap:9 G722/8000/1",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000/1",
    "a=setup:actpass",
    "a=ssrc:2651596004 cname:{8f0e4c3a-6b2d-4e1f-a9c8-7d5e3b1a0f2c}",
    "m=video 44323 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98",
    "c=IN IP4 203.0.113.5",
    "a=sendrecv",
    "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:5 urn:ietf:params:rtp-hdrext:toffset",
    "a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1",
    "a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1",
    "a=fmtp:120 max-fs=12288;max-fr=60",
    "a=fmtp:124 apt=120",
    "a=fmtp:121 max-fs=12288;max-fr=60",
    "a=fmtp:125 apt=121",
    "a=fmtp:127 apt=126",
    "a=fmtp:98 apt=97",
    "a=ice-pwd:e35ba2a8ea1a2e5e2ea5a0e8a6d0ba02",
    "a=ice-ufrag:0f8d2b8f",
    "a=mid:1",
    "a=msid:{1b1c6f0e-2d3a-4b5c-8d9e-0f1a2b3c4d5e} {5e7a9c1b-3d5f-4b7a-8e0c-2f4b6d8a0c3e}",
    "a=rtcp-fb:120 nack",
    "a=rtcp-fb:120 nack pli",
    "a=rtcp-fb:120 ccm fir",
    "a=rtcp-fb:120 goog-remb",
    "a=rtcp-fb:120 transport-cc",
    "a=rtcp-fb:121 nack",
    "a=rtcp-fb:121 nack pli",
    "a=rtcp-fb:121 ccm fir",
    "a=rtcp-fb:121 goog-remb",
    "a=rtcp-fb:121 transport-cc",
    "a=rtcp-fb:126 nack",
    "a=rtcp-fb:126 nack pli",
    "a=rtcp-fb:126 ccm fir",
    "a=rtcp-fb:126 goog-remb",
    "a=rtcp-fb:126 transport-cc",
    "a=rtcp-fb:97 nack",
    "a=rtcp-fb:97 nack pli",
    "a=rtcp-fb:97 ccm fir",
    "a=rtcp-fb:97 goog-remb",
    "a=rtcp-fb:97 transport-cc",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:120 VP8/90000",
    "a=rtpmap:124 rtx/90000",
    "a=rtpmap:121 VP9/90000",
    "a=rtpmap:125 rtx/90000",
    "a=rtpmap:126 H264/90000",
    "a=rtpmap:127 rtx/90000",
    "a=rtpmap:97 H264/90000",
    "a=rtpmap:98 rtx/90000",
    "a=setup:actpass",
    "a=ssrc:3302581237 cname:{8f0e4c3a-6b2d-4e1f-a9c8-7d5e3b1a0f2c}",
    "a=ssrc:1283719532 cname:{8f0e4c3a-6b2d-4e1f-a9c8-7d5e3b1a0f2c}",
    "a=ssrc-group:FID 3302581237 1283719532",
    "m=application 44323 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 203.0.113.5",
    "a=sendrecv",
    "a=ice-pwd:e35ba2a8ea1a2e5e2ea5a0e8a6d0ba02",
    "a=ice-ufrag:0f8d2b8f",
    "a=mid:2",
    "a=setup:actpass",
    "a=sctp-port:5000",
    "a=max-message-size:1073741823",
};

// The smallest description that passes: one data channel section.
const Lines kMinimal = {
    "v=0",
    "o=- 1 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:0123456789abcdefghijkl",
    "a=fingerprint:sha-256 "
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
    "89",
    "a=setup:actpass",
    "a=mid:0",
    "a=sctp-port:5000",
};

std::string join(const Lines& lines, std::string_view ending = "\r\n") {
    std::string out;
    for (const auto& line : lines) {
        out += line;
        out += ending;
    }
    return out;
}

// Every line equal to `from` becomes `to`; at least one must.
Lines replaced(Lines lines, std::string_view from, std::string_view to) {
    const auto count = std::count(lines.begin(), lines.end(), from);
    EXPECT_GT(count, 0) << from;
    std::replace(lines.begin(), lines.end(), std::string(from), std::string(to));
    return lines;
}

Lines without(Lines lines, std::string_view line) {
    const auto end = std::remove(lines.begin(), lines.end(), line);
    EXPECT_NE(end, lines.end()) << line;
    lines.erase(end, lines.end());
    return lines;
}

Lines with(Lines lines, std::size_t index, std::string line) {
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(index), std::move(line));
    return lines;
}

std::string problem_of(std::string_view sdp, bool relay_only = false) {
    const auto result = check_sdp(sdp, relay_only);
    EXPECT_FALSE(result.ok) << sdp;
    EXPECT_FALSE(result.problem.empty());
    EXPECT_TRUE(result.sdp.empty());
    return result.problem;
}

void expect_passes_unchanged(std::string_view sdp, bool relay_only = false) {
    const auto result = check_sdp(sdp, relay_only);
    EXPECT_TRUE(result.ok) << result.problem;
    EXPECT_EQ(result.problem, "");
    EXPECT_EQ(result.sdp, sdp);
    EXPECT_EQ(result.candidates_removed, 0u);
}

// --- real browser offers ---

TEST(CheckSdp, ChromeOfferPassesUnchanged) {
    expect_passes_unchanged(join(kChromeOffer));
}

TEST(CheckSdp, FirefoxOfferPassesUnchanged) {
    expect_passes_unchanged(join(kFirefoxOffer));
}

TEST(CheckSdp, MinimalDescriptionPasses) {
    expect_passes_unchanged(join(kMinimal));
}

TEST(CheckSdp, OfferWithoutMediaSectionsPasses) {
    // What Chrome offers before any track or data channel exists.
    expect_passes_unchanged(join({"v=0", "o=- 8273641182 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
                                  "a=extmap-allow-mixed", "a=msid-semantic: WMS"}));
}

// --- privacy mode ---

constexpr std::string_view kChromeRelay =
    "a=candidate:3071950315 1 udp 41885439 198.51.100.10 61234 typ relay raddr 203.0.113.77 rport "
    "54321 generation 0 network-id 1 network-cost 10";
constexpr std::string_view kChromeRelayHidden =
    "a=candidate:3071950315 1 udp 41885439 198.51.100.10 61234 typ relay raddr 0.0.0.0 rport 0 "
    "generation 0 network-id 1 network-cost 10";

Lines chrome_offer_scrubbed() {
    auto lines = kChromeOffer;
    for (const auto& line : kChromeOffer) {
        if (line.starts_with("a=candidate:") && line.find(" typ relay ") == std::string::npos) {
            lines = without(lines, line);
        }
    }
    lines = replaced(lines, kChromeRelay, kChromeRelayHidden);
    lines = replaced(lines, "c=IN IP4 203.0.113.77", "c=IN IP4 0.0.0.0");
    return replaced(lines, "o=- 4215775240449105457 2 IN IP4 127.0.0.1",
                    "o=- 4215775240449105457 2 IN IP4 0.0.0.0");
}

void expect_no_client_address(std::string_view sdp) {
    for (auto address : {"192.168.1.23", "203.0.113.77", "2001:db8:1234", "203.0.113.5", ".local",
                         "2001:db8:5::5", "127.0.0.1"}) {
        EXPECT_EQ(sdp.find(address), std::string_view::npos) << address;
    }
}

TEST(CheckSdpPrivacy, ChromeOfferKeepsOnlyTheRelayCandidate) {
    const auto result = check_sdp(join(kChromeOffer), true);
    ASSERT_TRUE(result.ok) << result.problem;
    // Equal text: every line but the candidates, c= and o= is byte-identical,
    // the ICE credentials and DTLS fingerprints among them.
    EXPECT_EQ(result.sdp, join(chrome_offer_scrubbed()));
    EXPECT_EQ(result.candidates_removed, 4u);
    expect_no_client_address(result.sdp);
    EXPECT_THAT(result.sdp, HasSubstr("198.51.100.10 61234 typ relay"));
}

TEST(CheckSdpPrivacy, FirefoxOfferKeepsOnlyTheRelayCandidate) {
    auto expected = kFirefoxOffer;
    for (const auto& line : kFirefoxOffer) {
        if (line.starts_with("a=candidate:") && line.find(" typ relay ") == std::string::npos) {
            expected = without(expected, line);
        }
    }
    // The rewritten candidate is written as format_candidate has it: "udp".
    expected = replaced(
        expected,
        "a=candidate:3 1 UDP 92217343 198.51.100.10 49152 typ relay raddr 203.0.113.5 rport 44323",
        "a=candidate:3 1 udp 92217343 198.51.100.10 49152 typ relay raddr 0.0.0.0 rport 0");
    expected = replaced(expected, "c=IN IP4 203.0.113.5", "c=IN IP4 0.0.0.0");

    const auto result = check_sdp(join(kFirefoxOffer), true);
    ASSERT_TRUE(result.ok) << result.problem;
    EXPECT_EQ(result.sdp, join(expected));
    EXPECT_EQ(result.candidates_removed, 4u);
    expect_no_client_address(result.sdp);
}

TEST(CheckSdpPrivacy, KeepsEachLinesEnding) {
    const auto result = check_sdp(join(kChromeOffer, "\n"), true);
    ASSERT_TRUE(result.ok) << result.problem;
    EXPECT_EQ(result.sdp, join(chrome_offer_scrubbed(), "\n"));
}

TEST(CheckSdpPrivacy, ScrubbedDescriptionPassesAgainUnchanged) {
    for (const auto& offer : {kChromeOffer, kFirefoxOffer}) {
        const auto once = check_sdp(join(offer), true);
        ASSERT_TRUE(once.ok) << once.problem;
        expect_passes_unchanged(once.sdp, true);
    }
}

TEST(CheckSdpPrivacy, NothingToScrubComesOutIdentical) {
    expect_passes_unchanged(
        join(replaced(kMinimal, "o=- 1 2 IN IP4 127.0.0.1", "o=- 1 2 IN IP4 0.0.0.0")), true);
}

TEST(CheckSdpPrivacy, AddressesOfTheRelayCandidateStay) {
    // c= and o= naming the TURN server reveal nothing about the client.
    auto lines = replaced(kMinimal, "c=IN IP4 0.0.0.0", "c=IN IP4 198.51.100.10");
    lines = replaced(lines, "o=- 1 2 IN IP4 127.0.0.1", "o=- 1 2 IN IP4 198.51.100.10");
    lines = with(lines, 7, "a=rtcp:61234 IN IP4 198.51.100.10");
    lines = with(lines, 7,
                 "a=candidate:1 1 udp 41885439 198.51.100.10 61234 typ relay raddr 203.0.113.77 "
                 "rport 54321");
    const auto result = check_sdp(join(lines), true);
    ASSERT_TRUE(result.ok) << result.problem;
    EXPECT_EQ(result.sdp,
              join(replaced(lines,
                            "a=candidate:1 1 udp 41885439 198.51.100.10 61234 typ relay raddr "
                            "203.0.113.77 rport 54321",
                            "a=candidate:1 1 udp 41885439 198.51.100.10 61234 typ relay raddr "
                            "0.0.0.0 rport 0")));
}

TEST(CheckSdpPrivacy, RelayAddressesCompareAsAddresses) {
    auto lines = replaced(kMinimal, "c=IN IP4 0.0.0.0", "c=IN IP6 2001:0db8:0:0::10");
    lines = with(lines, 7, "a=candidate:1 1 udp 41885439 2001:db8::10 61234 typ relay");
    expect_passes_unchanged(
        join(replaced(lines, "o=- 1 2 IN IP4 127.0.0.1", "o=- 1 2 IN IP4 0.0.0.0")), true);
}

TEST(CheckSdpPrivacy, ScrubsOtherAddressesInCAndRtcp) {
    auto lines = replaced(kMinimal, "c=IN IP4 0.0.0.0", "c=IN IP6 2001:db8::77");
    lines = with(lines, 4, "c=IN IP4 203.0.113.77");  // session level
    lines = with(lines, 8, "a=rtcp:54322 IN IP4 203.0.113.77");
    lines = with(lines, 8, "a=rtcp:9");
    const auto result = check_sdp(join(lines), true);
    ASSERT_TRUE(result.ok) << result.problem;
    auto expected = replaced(lines, "c=IN IP6 2001:db8::77", "c=IN IP4 0.0.0.0");
    expected = replaced(expected, "c=IN IP4 203.0.113.77", "c=IN IP4 0.0.0.0");
    expected =
        replaced(expected, "a=rtcp:54322 IN IP4 203.0.113.77", "a=rtcp:54322 IN IP4 0.0.0.0");
    expected = replaced(expected, "o=- 1 2 IN IP4 127.0.0.1", "o=- 1 2 IN IP4 0.0.0.0");
    EXPECT_EQ(result.sdp, join(expected));
    EXPECT_EQ(result.candidates_removed, 0u);
}

TEST(CheckSdpPrivacy, RelayWithoutRelatedAddressKeepsItsSpelling) {
    const auto lines =
        with(replaced(kMinimal, "o=- 1 2 IN IP4 127.0.0.1", "o=- 1 2 IN IP4 0.0.0.0"), 7,
             "a=candidate:1 1 UDP 41885439 198.51.100.10 61234 typ relay");
    expect_passes_unchanged(join(lines), true);
}

TEST(CheckSdpPrivacy, OffLeavesAddressesAlone) {
    const auto result = check_sdp(join(kChromeOffer), false);
    ASSERT_TRUE(result.ok);
    EXPECT_THAT(result.sdp, HasSubstr("192.168.1.23"));
}

// --- line endings ---

TEST(CheckSdp, BareLineFeedsPassUnchanged) {
    expect_passes_unchanged(join(kChromeOffer, "\n"));
    expect_passes_unchanged(join(kFirefoxOffer, "\n"));
}

TEST(CheckSdp, MixedEndingsAndAnUnterminatedLastLinePassUnchanged) {
    auto sdp = join(kMinimal);
    sdp.resize(sdp.size() - 2);
    expect_passes_unchanged(sdp);
    expect_passes_unchanged("v=0\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\nt=0 0\r\n");
}

TEST(CheckSdp, RejectsAStrayCarriageReturn) {
    EXPECT_THAT(problem_of(join(with(kMinimal, 4, "a=x-note:one\rtwo"))),
                HasSubstr("line 5: a CR that does not end the line"));
    EXPECT_THAT(problem_of(join(kMinimal) + "a=x-end\r"), HasSubstr("a CR that does not end"));
    EXPECT_THAT(problem_of(join(kMinimal, "\n\r")), HasSubstr("line 2"));
}

TEST(CheckSdp, RejectsEmptyLines) {
    EXPECT_THAT(problem_of(join(kMinimal) + "\r\n"), HasSubstr("line 14: not <letter>=<value>"));
    EXPECT_THAT(problem_of(join(with(kMinimal, 2, ""))), HasSubstr("line 3: not <letter>=<value>"));
}

// --- limits ---

// kMinimal padded with a=x-pad lines to exactly `size` bytes.
std::string padded_to(std::size_t size) {
    auto sdp = join(kMinimal);
    auto pad = [&sdp](std::size_t line_bytes) {
        sdp += "a=x-pad:" + std::string(line_bytes - 10, 'p') + "\r\n";
    };
    while (size - sdp.size() > 2000) {
        pad(1000);
    }
    pad(size - sdp.size());
    return sdp;
}

TEST(CheckSdpLimits, SixtyFourKiBPasses) {
    const auto sdp = padded_to(kMaxSdpBytes);
    ASSERT_EQ(sdp.size(), 65536u);
    expect_passes_unchanged(sdp);
}

TEST(CheckSdpLimits, OverSixtyFourKiBFails) {
    const auto sdp = padded_to(kMaxSdpBytes + 1);
    EXPECT_THAT(problem_of(sdp), HasSubstr("65537 bytes, more than 65536"));
    EXPECT_THAT(problem_of(std::string(1 << 20, 'a')), HasSubstr("more than 65536"));
}

TEST(CheckSdpLimits, LineCount) {
    auto lines = kMinimal;
    lines.resize(kMaxSdpLines, "a=x");
    expect_passes_unchanged(join(lines));
    lines.push_back("a=x");
    EXPECT_THAT(problem_of(join(lines)), HasSubstr("more than 4096 lines"));
}

std::string with_data_sections(std::size_t count) {
    Lines lines(kMinimal.begin(), kMinimal.begin() + 5);
    lines.push_back("a=ice-ufrag:abcd");
    lines.push_back("a=ice-pwd:0123456789abcdefghijkl");
    lines.push_back(kMinimal[9]);  // a=fingerprint
    for (std::size_t i = 0; i < count; ++i) {
        lines.push_back("m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
        lines.push_back("a=mid:" + std::to_string(i));
    }
    return join(lines);
}

TEST(CheckSdpLimits, MediaSections) {
    expect_passes_unchanged(with_data_sections(kMaxMediaSections));
    EXPECT_EQ(problem_of(with_data_sections(kMaxMediaSections + 1)),
              "33 media sections, more than 32");
}

TEST(CheckSdpLimits, Empty) {
    EXPECT_EQ(problem_of(""), "empty SDP");
}

// --- bytes ---

TEST(CheckSdpBytes, NulByte) {
    auto sdp = join(kMinimal);
    sdp.insert(20, 1, '\0');
    EXPECT_EQ(problem_of(sdp), "NUL byte at offset 20");
}

TEST(CheckSdpBytes, InvalidUtf8) {
    for (std::string bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
        EXPECT_EQ(problem_of(join(replaced(kMinimal, "s=-", "s=" + bad))),
                  "invalid UTF-8 at offset 33")  // just after "s="
            << bad;
    }
    EXPECT_EQ(problem_of(join(replaced(kMinimal, "s=-", "s=caf\xe9"))),
              "invalid UTF-8 at offset 36");
}

TEST(CheckSdpBytes, ValidUtf8Passes) {
    expect_passes_unchanged(join(replaced(kMinimal, "s=-", "s=Caf\xc3\xa9 \xe2\x98\x95")));
}

// --- line grammar ---

TEST(CheckSdpGrammar, MissingVersion) {
    EXPECT_EQ(problem_of(join(without(kMinimal, "v=0"))), "line 1: the first line must be v=0");
    EXPECT_EQ(problem_of(join(replaced(kMinimal, "v=0", "v=1"))),
              "line 1: the first line must be v=0");
    EXPECT_EQ(problem_of("s=-\r\n"), "line 1: the first line must be v=0");
}

TEST(CheckSdpGrammar, GarbageLines) {
    for (std::string garbage : {"hello world", "A=upper", "a =spaced", "=x", "a", "1=2",
                                "\xc3\xbc=umlaut", " a=indented"}) {
        EXPECT_THAT(problem_of(join(with(kMinimal, 4, garbage))),
                    HasSubstr("line 5: not <letter>=<value>"))
            << garbage;
    }
    EXPECT_EQ(problem_of(join(with(kMinimal, 4, "hello world"))),
              "line 5: not <letter>=<value>: 'hello world'");
    // Quoted input cannot carry control characters into a log or terminal.
    EXPECT_EQ(problem_of(join(with(kMinimal, 4, "\x1b[31m=red"))),
              "line 5: not <letter>=<value>: '\\x1b[31m=red'");
}

TEST(CheckSdpGrammar, TypesOutOfPlace) {
    EXPECT_EQ(problem_of(join(with(kMinimal, 4, "x=unknown"))),
              "line 5: x= does not belong in the session part");
    EXPECT_EQ(problem_of(join(with(kMinimal, 7, "t=0 0"))),
              "line 8: t= does not belong in a media section");
    EXPECT_EQ(problem_of(join(with(kMinimal, 7, "o=- 1 2 IN IP4 127.0.0.1"))),
              "line 8: o= does not belong in a media section");
    EXPECT_EQ(problem_of(join(with(kMinimal, 3, "v=0"))), "line 4: v= appears twice");
}

TEST(CheckSdpGrammar, SessionPartNeedsOriginNameAndTime) {
    EXPECT_EQ(problem_of(join(without(kMinimal, "o=- 1 2 IN IP4 127.0.0.1"))),
              "the session part lacks o=");
    EXPECT_EQ(problem_of(join(without(kMinimal, "s=-"))), "the session part lacks s=");
    EXPECT_EQ(problem_of(join(without(kMinimal, "t=0 0"))), "the session part lacks t=");
    EXPECT_EQ(problem_of(join(with(kMinimal, 2, "o=- 1 2 IN IP4 127.0.0.1"))),
              "line 3: o= appears twice");
    EXPECT_EQ(problem_of(join(with(kMinimal, 3, "s=again"))), "line 4: s= appears twice");
    expect_passes_unchanged(join(with(kMinimal, 4, "t=3 4")));
}

// kMinimal with `line` in place of its own o=, t= or m= line, or else added
// to the media section.
Lines minimal_with(std::string_view line) {
    auto lines = kMinimal;
    const bool single = line.starts_with("o=") || line.starts_with("t=") || line.starts_with("m=");
    const auto own = std::find_if(lines.begin(), lines.end(), [line](const std::string& existing) {
        return existing[0] == line[0];
    });
    if (single && own != lines.end()) {
        *own = line;
        return lines;
    }
    return with(lines, 7, std::string(line));
}

TEST(CheckSdpGrammar, BadFields) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"o=- 1 2 IN IP4", "o= needs 6 fields"},
        {"o=- 1  2 IN IP4 127.0.0.1", "o= needs 6 fields"},
        {"o=- one 2 IN IP4 127.0.0.1", "session id and version must be numbers"},
        {"o=- 1 2 I,N IP4 127.0.0.1", "network and address types must be tokens"},
        {"t=0", "t= needs a start and a stop time"},
        {"t=now later", "t= needs a start and a stop time"},
        {"m=application 70000 UDP/DTLS/SCTP webrtc-datachannel", "bad m= port '70000'"},
        {"m=application nine UDP/DTLS/SCTP webrtc-datachannel", "bad m= port 'nine'"},
        {"m=application 9/x UDP/DTLS/SCTP webrtc-datachannel", "bad m= port '9/x'"},
        {"m=application 9 UDP/DTLS/SCTP", "m= needs a media type, a port, a protocol"},
        {"m=application 9 UDP//SCTP webrtc-datachannel", "bad m= protocol 'UDP//SCTP'"},
        {"m=appli:cation 9 UDP/DTLS/SCTP webrtc-datachannel", "bad media type"},
        {"m=application 9 UDP/DTLS/SCTP  webrtc-datachannel", "m= needs"},
        {"m=application 9 UDP/DTLS/SCTP web(rtc)", "bad m= format"},
        {"c=IN IP4", "c= needs a network type, an address type and an address"},
        {"c=IN IP4 0.0.0.0 extra", "c= needs"},
        {"a=sendrecv ", "bad attribute name 'sendrecv '"},
        {"a=foo bar:baz", "bad attribute name 'foo bar'"},
        {"a=:value", "bad attribute name ''"},
        {"a=", "bad attribute name ''"},
        {"a=rtcp:abc", "a=rtcp needs a port"},
        {"a=rtcp:9 IN IP4", "a=rtcp needs a port"},
        {"a=rtcp:", "a=rtcp needs a port"},
    };
    for (const auto& [line, problem] : cases) {
        EXPECT_THAT(problem_of(join(minimal_with(line))), HasSubstr(std::string(problem))) << line;
    }
}

// --- content, as GStreamer reads it ---

TEST(CheckSdpContent, BadCandidateLine) {
    const auto lines =
        replaced(kChromeOffer,
                 "a=candidate:1467250027 1 udp 2122260223 192.168.1.23 54321 typ host generation 0 "
                 "network-id 1 network-cost 10",
                 "a=candidate:1467250027 1 udp 2122260223 192.168.1.23 99999 typ host generation 0 "
                 "network-id 1 network-cost 10");
    EXPECT_EQ(problem_of(join(lines)),
              "media section 1 'audio': a=candidate: bad port '99999' (0 to 65535)");
    EXPECT_EQ(
        problem_of(join(with(kMinimal, 7, "a=candidate:1 1 udp 1 192.0.2.1 1 typ foo")), true),
        "media section 1 'application': a=candidate: unknown candidate type 'foo'");
    EXPECT_THAT(problem_of(join(with(kMinimal, 4, "a=candidate:garbage"))),
                HasSubstr("session part: a=candidate: too few fields"));
}

TEST(CheckSdpContent, MissingIceCredentialsOrFingerprint) {
    EXPECT_EQ(problem_of(join(without(kMinimal, "a=ice-ufrag:abcd"))),
              "media section 1 'application': no a=ice-ufrag here or in the session part");
    EXPECT_EQ(problem_of(join(without(kMinimal, "a=ice-pwd:0123456789abcdefghijkl"))),
              "media section 1 'application': no a=ice-pwd here or in the session part");
    EXPECT_EQ(problem_of(join(without(kMinimal, kMinimal[9]))),
              "media section 1 'application': no a=fingerprint here or in the session part");
    // Firefox puts its fingerprint in the session part, once.
    EXPECT_THAT(problem_of(join(without(kFirefoxOffer, kFirefoxOffer[5]))),
                HasSubstr("media section 1 'audio': no a=fingerprint"));
}

TEST(CheckSdpContent, EverySectionWithAPortNeedsCredentials) {
    auto lines = kChromeOffer;
    const auto video = std::find(lines.begin(), lines.end(), "a=mid:1");
    ASSERT_NE(video, lines.end());
    lines.erase(video - 5, video - 3);  // the video section's ice-ufrag and ice-pwd
    EXPECT_EQ(problem_of(join(lines)),
              "media section 2 'video': no a=ice-ufrag here or in the session part");
}

TEST(CheckSdpContent, SessionLevelCredentialsServeEverySection) {
    expect_passes_unchanged(with_data_sections(3));
}

TEST(CheckSdpContent, SectionWithPortZeroNeedsNoCredentials) {
    // A rejected m-line in an answer carries no transport.
    auto lines = kMinimal;
    lines.push_back("m=video 0 UDP/TLS/RTP/SAVPF 96");
    lines.push_back("c=IN IP4 0.0.0.0");
    lines.push_back("a=inactive");
    lines.push_back("a=mid:1");
    expect_passes_unchanged(join(lines));
}

TEST(CheckSdpContent, MalformedIceCredentialsAndFingerprint) {
    EXPECT_EQ(problem_of(join(replaced(kMinimal, "a=ice-ufrag:abcd", "a=ice-ufrag:abc"))),
              "media section 1 'application': bad a=ice-ufrag 'abc' (4 to 256 of A-Z a-z 0-9 + /)");
    EXPECT_EQ(
        problem_of(join(replaced(kMinimal, "a=ice-ufrag:abcd", "a=ice-ufrag:ab-cd"))),
        "media section 1 'application': bad a=ice-ufrag 'ab-cd' (4 to 256 of A-Z a-z 0-9 + /)");
    // The password is a secret and stays out of the message.
    const auto problem = problem_of(
        join(replaced(kMinimal, "a=ice-pwd:0123456789abcdefghijkl", "a=ice-pwd:short-secret")));
    EXPECT_THAT(problem, HasSubstr("bad a=ice-pwd"));
    EXPECT_THAT(problem, ::testing::Not(HasSubstr("short-secret")));
    for (std::string bad : {"a=fingerprint:sha-256", "a=fingerprint:sha-256 AB:CD:E",
                            "a=fingerprint:sha-256 AB:CD:", "a=fingerprint:sha-256 ABCD",
                            "a=fingerprint:sha-256 AB-CD", "a=fingerprint:AB:CD",
                            "a=fingerprint:sha-256 AB:CD extra", "a=fingerprint:sha-256 GG:00"}) {
        EXPECT_THAT(problem_of(join(replaced(kMinimal, kMinimal[9], bad))),
                    HasSubstr("bad a=fingerprint"))
            << bad;
    }
    expect_passes_unchanged(join(replaced(kMinimal, kMinimal[9], "a=fingerprint:sha-1 ab:01")));
}

// --- robustness ---

std::size_t random_below(std::mt19937& rng, std::size_t bound) {
    return bound == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, bound - 1)(rng);
}

// Mostly printable ASCII, so that most mutants get past the UTF-8 check.
char random_byte(std::mt19937& rng) {
    return static_cast<char>(random_below(rng, 8) == 0 ? random_below(rng, 256)
                                                       : 0x20 + random_below(rng, 0x5F));
}

// The whole line around `pos`, with its ending.
std::pair<std::size_t, std::size_t> line_around(const std::string& sdp, std::size_t pos) {
    const auto start = pos == 0 ? 0 : sdp.rfind('\n', pos - 1);
    const auto first = start == std::string::npos ? 0 : (pos == 0 ? 0 : start + 1);
    const auto end = sdp.find('\n', first);
    return {first, end == std::string::npos ? sdp.size() : end + 1};
}

void mutate_once(std::string& sdp, std::mt19937& rng) {
    static const std::string_view kTokens[] = {"\r",
                                               "\n",
                                               std::string_view("\0", 1),
                                               " ",
                                               "=",
                                               ":",
                                               "/",
                                               "a=candidate:",
                                               "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n",
                                               "typ host",
                                               "typ relay",
                                               " raddr 10.0.0.1 rport 1",
                                               "\xff",
                                               "\xc3",
                                               "65536",
                                               "0.0.0.0",
                                               "c=IN IP4 ",
                                               "v=0\r\n",
                                               "a=ice-ufrag:",
                                               "x.local",
                                               "a=rtcp:9 IN IP4 10.1.1.1\r\n",
                                               "tcptype so",
                                               "::"};
    const auto pos = random_below(rng, sdp.size() + 1);
    switch (random_below(rng, 8)) {
        case 0:
            if (pos < sdp.size()) {
                sdp[pos] = random_byte(rng);
            }
            break;
        case 1:
            sdp.insert(pos, 1, random_byte(rng));
            break;
        case 2:
            sdp.erase(pos, 1 + random_below(rng, 16));
            break;
        case 3:
            sdp.insert(pos, kTokens[random_below(rng, std::size(kTokens))]);
            break;
        case 4: {
            const auto [first, end] = line_around(sdp, pos);
            sdp.insert(first, sdp.substr(first, end - first));
            break;
        }
        case 5: {
            const auto [first, end] = line_around(sdp, pos);
            sdp.erase(first, end - first);
            break;
        }
        case 6:
            sdp.resize(pos);
            break;
        default: {
            const auto [first, end] = line_around(sdp, pos);
            auto line = sdp.substr(first, end - first);
            sdp.erase(first, end - first);
            sdp.insert(line_around(sdp, random_below(rng, sdp.size() + 1)).first, line);
            break;
        }
    }
}

bool printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

TEST(CheckSdpRobustness, TenThousandRandomMutations) {
    std::mt19937 rng(20261122);
    const std::string offers[] = {join(kChromeOffer), join(kFirefoxOffer), join(kMinimal)};
    std::size_t passed = 0;
    for (int i = 0; i < 10000; ++i) {
        auto sdp = offers[i % std::size(offers)];
        for (std::size_t n = 1 + random_below(rng, 4); n > 0; --n) {
            mutate_once(sdp, rng);
        }
        const bool relay_only = (i / 3) % 2 == 1;
        const auto result = check_sdp(sdp, relay_only);
        if (!result.ok) {
            // Safe to log and to send back inside JSON, whatever the input.
            EXPECT_TRUE(printable_ascii(result.problem)) << result.problem;
            EXPECT_LT(result.problem.size(), 200u) << result.problem;
            continue;
        }
        ++passed;
        if (!relay_only) {
            EXPECT_EQ(result.sdp, sdp);
            continue;
        }
        // What privacy mode forwards passes again with nothing left to scrub.
        const auto again = check_sdp(result.sdp, true);
        EXPECT_TRUE(again.ok) << again.problem;
        EXPECT_EQ(again.sdp, result.sdp);
        EXPECT_EQ(again.candidates_removed, 0u);
    }
    // Mutations that land in a value pass; the test must exercise both paths.
    EXPECT_GT(passed, 500u);
    EXPECT_LT(passed, 9500u);
}

}  // namespace
}  // namespace turnpike::signal
