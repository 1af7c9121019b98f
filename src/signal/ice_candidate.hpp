#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// ICE candidates as WebRTC peers exchange them (RFC 8839 section 5.1), both
// trickled one by one and inline in SDP as a=candidate lines. The signal
// server checks every candidate it relays and, in privacy mode, forwards only
// relay candidates with their related address hidden.

namespace turnpike::signal {

enum class CandidateType { host, srflx, prflx, relay };

std::string_view to_string(CandidateType type);

struct IceCandidate {
    std::string foundation;
    unsigned component = 0;
    std::string transport;  // lowercase: udp or tcp
    uint32_t priority = 0;
    std::string address;  // an IP literal or an mDNS name ending in .local
    uint16_t port = 0;
    CandidateType type = CandidateType::host;
    std::optional<std::string> related_address;  // raddr
    std::optional<uint16_t> related_port;        // rport
    std::string tcp_type;                        // active, passive, so, or empty
    // The remaining name/value pairs ("generation 0", "ufrag EsAw",
    // "network-id 1"), in order, so a rewritten candidate keeps them.
    std::vector<std::pair<std::string, std::string>> extensions;
};

// What privacy mode writes in place of an address that would reveal a client.
inline constexpr std::string_view kHiddenAddress = "0.0.0.0";

// Longer candidates are refused unread. Browsers' are under 300 bytes.
inline constexpr std::size_t kMaxCandidateBytes = 1024;

// Parses "candidate:..." with or without a leading "a=", fields separated by
// single spaces, as browsers send it. On failure returns nullopt and, when
// `problem` is given, says what is wrong ("bad port 'x'", "unknown candidate
// type 'foo'"). An empty string is not a candidate: RTCIceCandidateInit
// carries "" to mean end-of-candidates, which the caller handles before this.
std::optional<IceCandidate> parse_candidate(std::string_view text, std::string* problem = nullptr);

// "candidate:<foundation> <component> ... typ <type>[ raddr ..][ rport ..]
// [ tcptype ..]< extensions>", without "a=". Parsing the result gives back an
// equal candidate; only a transport's letter case and the order of raddr,
// rport and tcptype among the other pairs may differ from the parsed text.
std::string format_candidate(const IceCandidate& candidate);

// What to forward of a trickled candidate, as format_candidate writes it, or
// nullopt meaning "drop it". Outside privacy mode every candidate passes
// unchanged. In privacy mode only relay candidates pass, and their raddr and
// rport (the client's own server-reflexive or host address) become
// "raddr 0.0.0.0 rport 0", as Chrome writes them itself when it hides
// addresses; the relay address is the TURN server's and reveals nothing.
std::optional<std::string> scrub_candidate(const IceCandidate& candidate, bool relay_only);

}  // namespace turnpike::signal
