#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace turnpike::relay {

// ChannelData framing (RFC 8656 section 12.4): channel number, length,
// payload; over TCP the payload is padded to a multiple of four.
namespace channel_data {

constexpr size_t header_size = 4;

inline bool looks_like(std::span<const uint8_t> bytes) {
    return !bytes.empty() && (bytes[0] & 0xC0) == 0x40;
}

inline uint16_t number(std::span<const uint8_t> bytes) {
    return static_cast<uint16_t>((bytes[0] << 8) | bytes[1]);
}

inline uint16_t length(std::span<const uint8_t> bytes) {
    return static_cast<uint16_t>((bytes[2] << 8) | bytes[3]);
}

inline void write_header(uint8_t* at, uint16_t channel, uint16_t payload_length) {
    at[0] = static_cast<uint8_t>(channel >> 8);
    at[1] = static_cast<uint8_t>(channel);
    at[2] = static_cast<uint8_t>(payload_length >> 8);
    at[3] = static_cast<uint8_t>(payload_length);
}

inline size_t padded(size_t length) {
    return (length + 3) & ~size_t{3};
}

}  // namespace channel_data

}  // namespace turnpike::relay
