#include "relay/stun_framing.hpp"

#include <array>

namespace turnpike::relay {

namespace {

constexpr size_t header_size = 20;
constexpr size_t attribute_header_size = 4;

// The attributes Turnpike understands, zero-terminated for libnice.
constexpr std::array<uint16_t, 24> known_list = {
    STUN_ATTRIBUTE_MAPPED_ADDRESS,
    STUN_ATTRIBUTE_USERNAME,
    STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_ERROR_CODE,
    STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
    STUN_ATTRIBUTE_CHANNEL_NUMBER,
    STUN_ATTRIBUTE_LIFETIME,
    STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
    STUN_ATTRIBUTE_DATA,
    STUN_ATTRIBUTE_REALM,
    STUN_ATTRIBUTE_NONCE,
    STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
    0x0017,  // REQUESTED-ADDRESS-FAMILY (RFC 8656)
    STUN_ATTRIBUTE_EVEN_PORT,
    STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
    STUN_ATTRIBUTE_DONT_FRAGMENT,
    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
    STUN_ATTRIBUTE_RESERVATION_TOKEN,
    0x001C,  // MESSAGE-INTEGRITY-SHA256 (RFC 8489)
    0x001D,  // PASSWORD-ALGORITHM (RFC 8489)
    0x001E,  // USERHASH (RFC 8489)
    STUN_ATTRIBUTE_PRIORITY,
    STUN_ATTRIBUTE_USE_CANDIDATE,
    0,
};

// Every one has a type below 64, so one 64-bit mask answers "known?" without
// searching the list for each attribute.
constexpr uint64_t known_mask() {
    uint64_t mask = 0;
    for (size_t i = 0; i + 1 < known_list.size(); ++i) {
        mask |= uint64_t{1} << known_list[i];
    }
    return mask;
}

constexpr bool all_below_64() {
    for (size_t i = 0; i + 1 < known_list.size(); ++i) {
        if (known_list[i] == 0 || known_list[i] >= 64) {
            return false;
        }
    }
    return known_list.back() == 0;
}
static_assert(all_below_64(), "the mask holds types 1..63; the list ends with 0");

constexpr uint64_t known = known_mask();

uint16_t read16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

// Class bits C1 and C0 (RFC 8489 section 5). libnice, whose StunMessage the
// handlers read the class from, takes 0x0115 (a Google/MSN data indication)
// for an indication; so does this, so that both always agree.
bool is_response(uint16_t message_type) {
    return (message_type & 0x0100) != 0 && message_type != 0x0115;
}

bool is_request(uint16_t message_type) {
    return (message_type & 0x0110) == 0;
}

}  // namespace

bool is_unknown_required(uint16_t type) {
    if (type & 0x8000) {
        return false;  // comprehension-optional: ignored when not understood
    }
    return type >= 64 || ((known >> type) & 1) == 0;
}

const uint16_t* const known_attribute_types = known_list.data();

Framing check_framing(std::span<const uint8_t> message) {
    // The two top bits of every STUN message are zero (RFC 8489 section 5);
    // anything else here is RTP, DTLS or noise.
    if (message.size() < header_size || (message[0] >> 6) != 0) {
        return {STUN_VALIDATION_NOT_STUN, 0};
    }
    const size_t length = read16(message.data() + 2);
    if (length % 4 != 0) {
        return {STUN_VALIDATION_NOT_STUN, 0};
    }
    if (message.size() < header_size + length) {
        return {STUN_VALIDATION_INCOMPLETE_STUN, 0};
    }
    if (message.size() != header_size + length) {
        return {STUN_VALIDATION_NOT_STUN, 0};  // a datagram is one message, exactly
    }

    // Every attribute, padding included, ends inside the message.
    bool unknown = false;
    uint16_t last = 0;
    size_t offset = header_size;
    while (offset < message.size()) {
        if (message.size() - offset < attribute_header_size) {
            return {STUN_VALIDATION_NOT_STUN, 0};
        }
        const uint16_t type = read16(message.data() + offset);
        const size_t padded = (read16(message.data() + offset + 2) + 3u) & ~size_t{3};
        offset += attribute_header_size;
        if (message.size() - offset < padded) {
            return {STUN_VALIDATION_NOT_STUN, 0};
        }
        offset += padded;
        unknown = unknown || is_unknown_required(type);
        last = type;
    }

    const uint16_t type = read16(message.data());
    if (is_response(type)) {
        return {STUN_VALIDATION_UNMATCHED_RESPONSE, last};
    }
    if (unknown) {
        return {is_request(type) ? STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE
                                 : STUN_VALIDATION_UNKNOWN_ATTRIBUTE,
                last};
    }
    return {STUN_VALIDATION_SUCCESS, last};
}

}  // namespace turnpike::relay
