#pragma once

#include <cstddef>
#include <string>

#include "signal/sdp_lines.hpp"

// Privacy mode for a whole description: what is left of an SDP offer or
// answer once nothing in it reveals the sender's addresses to the peer.

namespace turnpike::signal {

struct ScrubbedSdp {
    std::string sdp;
    std::size_t candidates_removed = 0;
};

// Drops every a=candidate line that is not a relay candidate, hides the
// raddr/rport of the relay candidates kept (scrub_candidate), and writes
// 0.0.0.0 (IN IP4) in place of the address on c= lines, on the o= line and
// on a=rtcp lines, unless that address is one of the kept relay candidates',
// which belongs to the TURN server. Browsers put the default candidate's
// address in c=, usually the server-reflexive one, and some put a host
// address in o=. Every other line, and the ending of every line, is copied
// byte for byte: the ICE credentials and DTLS fingerprint must survive, and
// a description with nothing to scrub comes out exactly as it went in.
// `lines` must have passed the checks of check_sdp.
ScrubbedSdp scrub_sdp(const SdpLines& lines);

}  // namespace turnpike::signal
