#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace turnpike::signal {

inline constexpr size_t max_sdp_lines = 4096;
inline constexpr size_t max_sdp_media = 32;

struct SdpCheck {
    bool ok = false;
    std::string problem;  // when !ok, for the sender's `error`
    std::string sdp;      // when ok, what to forward
    size_t candidates_removed = 0;
};

// Checks an offer or answer from a browser before it goes to the partner:
// at most 64 KiB, 4096 lines and 32 media sections; UTF-8 without NUL; "v=0"
// first and every line "<letter>=<value>"; o=, s= and t= in the session part;
// parsed by GStreamer's SDP library, each m= line well formed; ICE ufrag and
// pwd and a DTLS fingerprint for every media section (at its level or the
// session's: WebRTC has no media without them); every a=candidate valid.
//
// With relay_only (privacy mode), the SDP forwarded keeps relay candidates
// only (their raddr/rport zeroed), and the addresses of c=, o= and a=rtcp:
// lines that are not a kept relay address become 0.0.0.0 (or ::). Every
// other line goes through byte for byte, so fingerprints and ICE
// credentials survive.
SdpCheck check_sdp(std::string_view sdp, bool relay_only);

enum class DescriptionType { offer, answer, pranswer, rollback };
std::optional<DescriptionType> parse_description_type(std::string_view type);

}  // namespace turnpike::signal
