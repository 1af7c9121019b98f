#include "relay/message_integrity.hpp"

#include <stun/stunmessage.h>

#include <algorithm>
#include <array>
#include <optional>

#include "common/credentials.hpp"
#include "relay/stun_attributes.hpp"

namespace turnpike::relay {

namespace {

constexpr size_t header_bytes = 20;
constexpr size_t attribute_bytes = 4 + 20;  // type, length, HMAC-SHA1

// The MAC of the `covered` bytes before MESSAGE-INTEGRITY, as if the length
// field said the message ended with it: fed in three parts, so the message
// itself is neither copied nor changed.
Sha1Digest mac_before(std::span<const uint8_t> covered, const HmacSha1& key) {
    const size_t length = covered.size() + attribute_bytes - header_bytes;
    const std::array<uint8_t, 2> length_field = {static_cast<uint8_t>(length >> 8),
                                                 static_cast<uint8_t>(length)};
    return key.mac({covered.first(2), length_field, covered.subspan(4)});
}

}  // namespace

bool integrity_matches(std::span<const uint8_t> message, const HmacSha1& key) {
    std::optional<AttributeView> integrity;
    for_each_attribute(message, [&](const AttributeView& a) {
        if (a.type == STUN_ATTRIBUTE_MESSAGE_INTEGRITY) {
            integrity = a;
            return false;
        }
        return true;
    });
    if (!integrity || integrity->value.size() != 20) {
        return false;
    }
    Sha1Digest expected = mac_before(message.first(integrity->offset), key);
    return constant_time_equal(expected, integrity->value);
}

size_t append_message_integrity(std::span<uint8_t> buffer, size_t length, const HmacSha1& key) {
    if (length < header_bytes || buffer.size() < length + attribute_bytes) {
        return 0;
    }
    Sha1Digest mac = mac_before(buffer.first(length), key);
    const size_t total = length + attribute_bytes - header_bytes;
    buffer[2] = static_cast<uint8_t>(total >> 8);
    buffer[3] = static_cast<uint8_t>(total);
    uint8_t* attribute = buffer.data() + length;
    attribute[0] = 0x00;
    attribute[1] = STUN_ATTRIBUTE_MESSAGE_INTEGRITY;
    attribute[2] = 0x00;
    attribute[3] = 20;
    std::copy(mac.begin(), mac.end(), attribute + 4);
    return length + attribute_bytes;
}

}  // namespace turnpike::relay
