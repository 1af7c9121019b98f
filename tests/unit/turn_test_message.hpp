// A small STUN message builder and parser for the TURN unit tests, written
// from RFC 8489 / RFC 8656 alone (it shares no code with the server), so a
// test checks the server against the RFC rather than against itself.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.hpp"
#include "common/credentials.hpp"

namespace turnpike::test {

using Bytes = std::vector<uint8_t>;

namespace stun {

// Methods, classes and attribute types from RFC 8489 and RFC 8656.
constexpr uint16_t allocate = 0x0003;
constexpr uint16_t refresh = 0x0004;
constexpr uint16_t send = 0x0006;
constexpr uint16_t create_permission = 0x0008;
constexpr uint16_t channel_bind = 0x0009;
constexpr uint16_t request = 0x0000;
constexpr uint16_t indication = 0x0010;
constexpr uint16_t success = 0x0100;
constexpr uint16_t error = 0x0110;

constexpr uint16_t username = 0x0006;
constexpr uint16_t message_integrity = 0x0008;
constexpr uint16_t error_code = 0x0009;
constexpr uint16_t channel_number = 0x000C;
constexpr uint16_t lifetime = 0x000D;
constexpr uint16_t xor_peer_address = 0x0012;
constexpr uint16_t data = 0x0013;
constexpr uint16_t realm = 0x0014;
constexpr uint16_t nonce = 0x0015;
constexpr uint16_t xor_relayed_address = 0x0016;
constexpr uint16_t requested_address_family = 0x0017;
constexpr uint16_t even_port = 0x0018;
constexpr uint16_t requested_transport = 0x0019;
constexpr uint16_t dont_fragment = 0x001A;
constexpr uint16_t xor_mapped_address = 0x0020;
constexpr uint16_t reservation_token = 0x0022;
constexpr uint16_t software = 0x8022;
constexpr uint16_t fingerprint = 0x8028;

constexpr uint32_t magic_cookie = 0x2112A442;
constexpr uint32_t transport_udp = 17u << 24;
constexpr uint32_t transport_tcp = 6u << 24;

}  // namespace stun

inline void put16(uint8_t* at, uint32_t v) {
    at[0] = static_cast<uint8_t>(v >> 8);
    at[1] = static_cast<uint8_t>(v);
}

inline void put32(uint8_t* at, uint32_t v) {
    put16(at, v >> 16);
    put16(at + 2, v & 0xffff);
}

inline uint16_t get16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}

inline uint32_t get32(std::span<const uint8_t> b, size_t at) {
    return (uint32_t{get16(b, at)} << 16) | get16(b, at + 2);
}

inline Bytes u32_value(uint32_t v) {
    Bytes out(4);
    put32(out.data(), v);
    return out;
}

inline Bytes text_value(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// CRC-32 (ISO 3309, as FINGERPRINT uses), bit by bit: slow and obvious.
inline uint32_t crc32(std::span<const uint8_t> data) {
    uint32_t crc = 0xFFFFFFFFu;
    for (uint8_t byte : data) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

using TransactionId = std::array<uint8_t, 12>;

inline TransactionId random_transaction() {
    static std::mt19937 random(12345);
    TransactionId id{};
    for (auto& b : id) {
        b = static_cast<uint8_t>(random());
    }
    return id;
}

// The XOR-*-ADDRESS encoding of RFC 8489 section 14.2.
inline Bytes xor_address_value(const SocketAddress& address, const TransactionId& id) {
    uint8_t pad[16];
    put32(pad, stun::magic_cookie);
    std::memcpy(pad + 4, id.data(), 12);
    Bytes out(address.is_v4() ? 8 : 20);
    out[1] = address.is_v4() ? 0x01 : 0x02;
    put16(out.data() + 2, address.port() ^ 0x2112);
    const uint8_t* ip = address.is_v4() ? reinterpret_cast<const uint8_t*>(&address.v4().sin_addr)
                                        : reinterpret_cast<const uint8_t*>(&address.v6().sin6_addr);
    // Through a fixed-size array: GCC 12 at -O3 misreads the vectorised
    // loop over the vector as an overflow (-Wstringop-overflow).
    const size_t length = out.size() - 4;
    std::array<uint8_t, 16> masked{};
    for (size_t i = 0; i < length; ++i) {
        masked[i] = ip[i] ^ pad[i];
    }
    std::copy_n(masked.begin(), length, out.begin() + 4);
    return out;
}

inline SocketAddress address(std::string_view text) {
    return SocketAddress::parse(text).value();
}

// Builds one message: header, attributes with zero padding, then optionally
// MESSAGE-INTEGRITY (HMAC-SHA1 over the message with its length field saying
// it ends right after MESSAGE-INTEGRITY) and FINGERPRINT.
class Message {
  public:
    explicit Message(uint16_t type, TransactionId id = random_transaction()) : id_(id), bytes_(20) {
        put16(bytes_.data(), type);
        put32(bytes_.data() + 4, stun::magic_cookie);
        std::memcpy(bytes_.data() + 8, id_.data(), 12);
    }

    Message& add(uint16_t type, const Bytes& value) {
        size_t at = bytes_.size();
        bytes_.resize(at + 4 + ((value.size() + 3) & ~size_t{3}), 0);
        put16(bytes_.data() + at, type);
        put16(bytes_.data() + at + 2, static_cast<uint32_t>(value.size()));
        std::memcpy(bytes_.data() + at + 4, value.data(), value.size());
        set_length(bytes_.size() - 20);
        return *this;
    }
    Message& add_u32(uint16_t type, uint32_t value) { return add(type, u32_value(value)); }
    Message& add_text(uint16_t type, std::string_view text) { return add(type, text_value(text)); }
    Message& add_xor(uint16_t type, const SocketAddress& a) {
        return add(type, xor_address_value(a, id_));
    }
    Message& credentials(std::string_view user, std::string_view realm, std::string_view nonce) {
        add_text(stun::username, user);
        add_text(stun::realm, realm);
        return add_text(stun::nonce, nonce);
    }

    Message& integrity(const LongTermKey& key) {
        set_length(bytes_.size() - 20 + 24);
        std::array<uint8_t, 20> mac{};
        unsigned mac_length = 0;
        HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), bytes_.data(), bytes_.size(),
             mac.data(), &mac_length);
        return add(stun::message_integrity, Bytes(mac.begin(), mac.end()));
    }
    Message& fingerprint() {
        set_length(bytes_.size() - 20 + 8);
        return add_u32(stun::fingerprint, crc32(bytes_) ^ 0x5354554E);
    }

    const TransactionId& id() const { return id_; }
    const Bytes& bytes() const { return bytes_; }
    operator const Bytes&() const { return bytes_; }

  private:
    void set_length(size_t length) { put16(bytes_.data() + 2, static_cast<uint32_t>(length)); }

    TransactionId id_;
    Bytes bytes_;
};

// Reads a message the server wrote.
class Parsed {
  public:
    explicit Parsed(Bytes bytes) : bytes_(std::move(bytes)) {}

    bool empty() const { return bytes_.size() < 20; }
    uint16_t type() const { return empty() ? 0 : get16(bytes_, 0); }
    const Bytes& bytes() const { return bytes_; }
    TransactionId id() const {
        TransactionId id{};
        std::memcpy(id.data(), bytes_.data() + 8, 12);
        return id;
    }

    // The first attribute of `type`, or nothing.
    std::optional<Bytes> attribute(uint16_t type) const {
        size_t at = 20;
        while (at + 4 <= bytes_.size()) {
            uint16_t t = get16(bytes_, at);
            uint16_t length = get16(bytes_, at + 2);
            if (at + 4 + length > bytes_.size()) {
                return std::nullopt;
            }
            if (t == type) {
                return Bytes(bytes_.begin() + static_cast<long>(at) + 4,
                             bytes_.begin() + static_cast<long>(at + 4 + length));
            }
            at += 4 + ((length + 3u) & ~3u);
        }
        return std::nullopt;
    }
    bool has(uint16_t type) const { return attribute(type).has_value(); }

    // ERROR-CODE as a number (class * 100 + number), 0 when absent.
    int error_code() const {
        auto v = attribute(stun::error_code);
        if (!v || v->size() < 4) {
            return 0;
        }
        return ((*v)[2] & 0x07) * 100 + (*v)[3];
    }
    std::optional<uint32_t> u32(uint16_t type) const {
        auto v = attribute(type);
        if (!v || v->size() != 4) {
            return std::nullopt;
        }
        return get32(*v, 0);
    }
    std::optional<std::string> text(uint16_t type) const {
        auto v = attribute(type);
        if (!v) {
            return std::nullopt;
        }
        return std::string(v->begin(), v->end());
    }
    std::optional<SocketAddress> xor_address(uint16_t type) const {
        auto v = attribute(type);
        if (!v || v->size() < 8) {
            return std::nullopt;
        }
        uint8_t pad[16];
        put32(pad, stun::magic_cookie);
        std::memcpy(pad + 4, bytes_.data() + 8, 12);
        uint16_t port = get16(*v, 2) ^ 0x2112;
        if ((*v)[1] == 0x01 && v->size() == 8) {
            sockaddr_in sin{};
            sin.sin_family = AF_INET;
            sin.sin_port = htons(port);
            auto* ip = reinterpret_cast<uint8_t*>(&sin.sin_addr);
            for (int i = 0; i < 4; ++i) {
                ip[i] = (*v)[4 + i] ^ pad[i];
            }
            return SocketAddress(reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
        }
        if ((*v)[1] == 0x02 && v->size() == 20) {
            sockaddr_in6 sin6{};
            sin6.sin6_family = AF_INET6;
            sin6.sin6_port = htons(port);
            auto* ip = reinterpret_cast<uint8_t*>(&sin6.sin6_addr);
            for (int i = 0; i < 16; ++i) {
                ip[i] = (*v)[4 + i] ^ pad[i];
            }
            return SocketAddress(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6));
        }
        return std::nullopt;
    }

  private:
    Bytes bytes_;
};

}  // namespace turnpike::test
