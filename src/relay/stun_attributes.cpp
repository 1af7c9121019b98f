#include "relay/stun_attributes.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace turnpike::relay {

namespace {

// The XOR pad: the magic cookie, then the transaction ID for IPv6.
void xor_pad(std::span<const uint8_t> transaction_id, uint8_t pad[16]) {
    std::memcpy(pad, magic_cookie, 4);
    std::memcpy(pad + 4, transaction_id.data(), 12);
}

}  // namespace

std::optional<SocketAddress> decode_xor_address(std::span<const uint8_t> value,
                                                std::span<const uint8_t> message) {
    if (value.size() < 8 || message.size() < 20) {
        return std::nullopt;
    }
    uint8_t pad[16];
    xor_pad(message.subspan(8, 12), pad);
    uint16_t port = static_cast<uint16_t>(((value[2] ^ pad[0]) << 8) | (value[3] ^ pad[1]));
    uint8_t raw[16];
    if (value[1] == 0x01 && value.size() == 8) {
        for (int i = 0; i < 4; ++i) {
            raw[i] = value[4 + i] ^ pad[i];
        }
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        std::memcpy(&sin.sin_addr, raw, 4);
        return SocketAddress(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
    }
    if (value[1] == 0x02 && value.size() == 20) {
        for (int i = 0; i < 16; ++i) {
            raw[i] = value[4 + i] ^ pad[i];
        }
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        std::memcpy(&sin6.sin6_addr, raw, 16);
        return SocketAddress(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
    }
    return std::nullopt;
}

size_t encode_xor_address(const SocketAddress& address, std::span<const uint8_t> transaction_id,
                          uint8_t* out) {
    uint8_t pad[16];
    xor_pad(transaction_id, pad);
    uint16_t port = address.port();
    out[0] = 0;
    out[2] = static_cast<uint8_t>((port >> 8) ^ pad[0]);
    out[3] = static_cast<uint8_t>((port & 0xff) ^ pad[1]);
    if (address.is_v4()) {
        out[1] = 0x01;
        const auto* ip = reinterpret_cast<const uint8_t*>(&address.v4().sin_addr);
        for (int i = 0; i < 4; ++i) {
            out[4 + i] = ip[i] ^ pad[i];
        }
        return 8;
    }
    out[1] = 0x02;
    const auto* ip = reinterpret_cast<const uint8_t*>(&address.v6().sin6_addr);
    for (int i = 0; i < 16; ++i) {
        out[4 + i] = ip[i] ^ pad[i];
    }
    return 20;
}

}  // namespace turnpike::relay
