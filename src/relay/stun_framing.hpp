#pragma once

#include <stun/stunagent.h>

#include <cstdint>
#include <span>

namespace turnpike::relay {

// What a received message's bytes alone say (RFC 8489 sections 5, 6 and 14),
// judged in one pass over the attribute headers: the cheap part of
// validation, done for every datagram before anything else looks at it.
struct Framing {
    // NOT_STUN (not STUN, or bytes left over after the message),
    // INCOMPLETE_STUN (shorter than its length field says), UNMATCHED_RESPONSE
    // (a response or error: a server never sent the request),
    // UNKNOWN_REQUEST_ATTRIBUTE / UNKNOWN_ATTRIBUTE (a comprehension-required
    // attribute not in known_attribute_types), or SUCCESS.
    StunValidationStatus status;
    uint16_t last_attribute_type;  // 0 when the message has no attributes
};

Framing check_framing(std::span<const uint8_t> message);

// Whether `type` is comprehension-required (below 0x8000) and not one Turnpike
// understands.
bool is_unknown_required(uint16_t type);

// The attributes Turnpike understands, zero-terminated as libnice wants them
// (tests/unit/stun_framing_test.cpp holds check_framing to libnice's
// verdicts); any other comprehension-required attribute in a request earns a
// 420.
extern const uint16_t* const known_attribute_types;

}  // namespace turnpike::relay
