#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/address.hpp"

namespace turnpike::relay {

// Walks the attributes of a STUN message whose framing is already known to be
// good (check_framing passed it): type, value, and where each one starts.
struct AttributeView {
    uint16_t type;
    std::span<const uint8_t> value;
    size_t offset;  // of the attribute header, from the start of the message
};

template <typename Visit>
void for_each_attribute(std::span<const uint8_t> message, Visit&& visit) {
    size_t offset = 20;
    while (offset + 4 <= message.size()) {
        uint16_t type = static_cast<uint16_t>((message[offset] << 8) | message[offset + 1]);
        uint16_t length = static_cast<uint16_t>((message[offset + 2] << 8) | message[offset + 3]);
        if (offset + 4 + length > message.size()) {
            return;
        }
        if (!visit(AttributeView{type, message.subspan(offset + 4, length), offset})) {
            return;
        }
        offset += 4 + ((length + 3u) & ~3u);
    }
}

// RFC 8489's magic cookie, bytes 4..7 of every message since RFC 5389; an
// RFC 3489 message has part of its transaction ID there instead.
inline constexpr uint8_t magic_cookie[4] = {0x21, 0x12, 0xA4, 0x42};

inline bool has_magic_cookie(std::span<const uint8_t> message) {
    return message.size() >= 8 && std::equal(magic_cookie, magic_cookie + 4, message.begin() + 4);
}

// An XOR-PEER-ADDRESS / XOR-RELAYED-ADDRESS / XOR-MAPPED-ADDRESS value
// (RFC 8489 section 14.2), undone with the message's transaction ID.
std::optional<SocketAddress> decode_xor_address(std::span<const uint8_t> value,
                                                std::span<const uint8_t> message);
// Writes one into `out` (8 or 20 bytes); returns its length.
size_t encode_xor_address(const SocketAddress& address, std::span<const uint8_t> transaction_id,
                          uint8_t* out);

}  // namespace turnpike::relay
