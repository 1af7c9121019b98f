#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// The check every SDP offer and answer passes before the signal server
// relays it to the peer: malformed or oversized descriptions are refused, and
// in privacy mode the addresses that would reveal the sender are removed.

namespace turnpike::signal {

inline constexpr std::size_t kMaxSdpBytes = 65536;
inline constexpr std::size_t kMaxSdpLines = 4096;
inline constexpr std::size_t kMaxMediaSections = 32;

struct SdpCheck {
    bool ok = false;
    std::string problem;  // when !ok: what is wrong, for the log and the sender
    std::string sdp;      // when ok: what to forward
    std::size_t candidates_removed = 0;
};

// Checks one offer, answer or pranswer (a rollback carries no SDP and is not
// checked). Refused, with a problem saying why:
//  - more than 64 KiB, more than 4096 lines or more than 32 media sections;
//    an empty description; a NUL byte; invalid UTF-8;
//  - lines that are not <letter>=<value> ending in CRLF or LF (see
//    parse_sdp_lines), a first line other than v=0, a session part without
//    exactly one o= and s= and at least one t=, malformed o=, t=, m=, c= or
//    a=rtcp fields, attribute names that are not tokens;
//  - an a=candidate that parse_candidate refuses;
//  - a malformed a=ice-ufrag, a=ice-pwd or a=fingerprint;
//  - a media section with a non-zero port and no a=ice-ufrag, a=ice-pwd or
//    a=fingerprint of its own or in the session part. WebRTC cannot connect
//    without ICE credentials, and DTLS-SRTP, whose fingerprint is the only
//    thing binding the media to the signalled peer, is mandatory; browsers
//    always send them and refuse descriptions that lack them, so nothing
//    that works is lost. A port of 0 marks a rejected or bundle-only
//    section, which has no transport of its own and so needs neither. A
//    description without media sections (an offer made before any track or
//    data channel) needs none.
//
// The description is read twice: by the strict line grammar here, then by
// GStreamer's SDP library, which supplies the media sections and attributes
// checked above. GStreamer accepts nearly anything, hence the grammar first.
//
// What is forwarded is the description unchanged, byte for byte, unless
// `relay_only` (privacy mode) is set; then it is what scrub_sdp leaves, with
// candidates_removed counting the a=candidate lines dropped.
SdpCheck check_sdp(std::string_view sdp, bool relay_only);

}  // namespace turnpike::signal
