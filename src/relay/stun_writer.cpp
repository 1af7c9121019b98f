#include "relay/stun_writer.hpp"

#include <cstring>

#include "relay/stun_attributes.hpp"

namespace turnpike::relay {

namespace {

constexpr size_t header_size = 20;

void store16(uint8_t* p, size_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

}  // namespace

StunWriter::StunWriter(std::span<uint8_t> out, uint16_t type,
                       std::span<const uint8_t, 16> transaction)
    : out_(out) {
    if (out.size() < header_size) {
        failed_ = true;
        return;
    }
    store16(out.data(), type);
    store16(out.data() + 2, 0);
    std::memcpy(out.data() + 4, transaction.data(), transaction.size());
    length_ = header_size;
}

bool StunWriter::classic() const {
    return length_ < header_size || !has_magic_cookie(out_);
}

uint8_t* StunWriter::reserve(uint16_t type, size_t value_length) {
    const size_t padded = (value_length + 3) & ~size_t{3};
    if (failed_ || value_length > 0xFFFF || out_.size() - length_ < 4 + padded) {
        failed_ = true;
        return nullptr;
    }
    uint8_t* attribute = out_.data() + length_;
    store16(attribute, type);
    store16(attribute + 2, value_length);
    std::memset(attribute + 4 + value_length, 0, padded - value_length);
    length_ += 4 + padded;
    store16(out_.data() + 2, length_ - header_size);
    return attribute + 4;
}

bool StunWriter::append(uint16_t type, std::span<const uint8_t> value) {
    uint8_t* at = reserve(type, value.size());
    if (at != nullptr && !value.empty()) {
        std::memcpy(at, value.data(), value.size());
    }
    return at != nullptr;
}

bool StunWriter::append(uint16_t type, std::string_view text) {
    return append(type, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

bool StunWriter::append_u32(uint16_t type, uint32_t value) {
    const uint8_t bytes[4] = {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                              static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
    return append(type, bytes);
}

uint8_t* StunWriter::reserve_address(uint16_t type, const SocketAddress& address) {
    if (!address.is_v4() && !address.is_v6()) {
        failed_ = true;
        return nullptr;
    }
    return reserve(type, address.is_v4() ? 8 : 20);  // family, port, 4 or 16 address bytes
}

bool StunWriter::append_xor_address(uint16_t type, const SocketAddress& address) {
    uint8_t* at = reserve_address(type, address);
    if (at == nullptr) {
        return false;
    }
    encode_xor_address(address, out_.subspan(8, 12), at);
    return true;
}

bool StunWriter::append_address(uint16_t type, const SocketAddress& address) {
    uint8_t* at = reserve_address(type, address);
    if (at == nullptr) {
        return false;
    }
    at[0] = 0;
    at[1] = address.is_v4() ? 0x01 : 0x02;
    store16(at + 2, address.port());
    if (address.is_v4()) {
        std::memcpy(at + 4, &address.v4().sin_addr, 4);
    } else {
        std::memcpy(at + 4, &address.v6().sin6_addr, 16);
    }
    return true;
}

bool StunWriter::append_error_code(int code) {
    const std::string_view reason = reason_phrase(code);
    uint8_t* at = reserve(0x0009, 4 + reason.size());
    if (at == nullptr) {
        return false;
    }
    at[0] = 0;
    at[1] = 0;
    at[2] = static_cast<uint8_t>(code / 100);  // the class, 3 to 6
    at[3] = static_cast<uint8_t>(code % 100);
    std::memcpy(at + 4, reason.data(), reason.size());
    return true;
}

std::string_view reason_phrase(int code) {
    switch (code) {
        case 300:
            return "Try Alternate";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 420:
            return "Unknown Attribute";
        case 437:
            return "Allocation Mismatch";
        case 438:
            return "Stale Nonce";
        case 440:
            return "Address Family not Supported";
        case 441:
            return "Wrong Credentials";
        case 442:
            return "Unsupported Transport Protocol";
        case 443:
            return "Peer Address Family Mismatch";
        case 486:
            return "Allocation Quota Reached";
        case 500:
            return "Server Error";
        case 508:
            return "Insufficient Capacity";
        default:
            return "Error";
    }
}

}  // namespace turnpike::relay
