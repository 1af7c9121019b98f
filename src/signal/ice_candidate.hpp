#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace turnpike::signal {

enum class CandidateType { host, srflx, prflx, relay };

// One ICE candidate as RFC 8839 section 5.1 writes it:
//   candidate:<foundation> <component> <transport> <priority> <address> <port>
//   typ <type> [raddr <address>] [rport <port>] *(<name> <value>)
// `address` is an IP literal or, for browsers' mDNS host candidates, a name
// ending in ".local".
struct IceCandidate {
    std::string foundation;
    unsigned component = 0;
    std::string transport;  // lowercase: udp, tcp, ...
    uint32_t priority = 0;
    std::string address;
    uint16_t port = 0;
    CandidateType type = CandidateType::host;
    std::optional<std::string> related_address;
    std::optional<uint16_t> related_port;
    std::string text;  // as received, without any "a=" prefix
};

inline constexpr size_t max_candidate_bytes = 1024;

// `text` may start with "a=". nullopt when it does not parse; `problem` then
// says why ("bad port '70000'", "unknown candidate type 'foo'", ...).
std::optional<IceCandidate> parse_candidate(std::string_view text, std::string* problem = nullptr);

// What to forward of a candidate. Without privacy, its text unchanged. With
// privacy (relay_only): nullopt for anything but a relay candidate, and for a
// relay candidate its text with raddr/rport, which give away the client's own
// address, set to 0.0.0.0 and 0 (as Chrome does itself).
std::optional<std::string> scrub_candidate(const IceCandidate& candidate, bool relay_only);

std::string_view to_string(CandidateType type);

}  // namespace turnpike::signal
