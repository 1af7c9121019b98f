#pragma once
// FINGERPRINT (RFC 8489 section 14.7): CRC-32 of the message before it, XORed
// with 0x5354554E. Turnpike computes it itself rather than through libnice,
// whose byte-at-a-time CRC was 6% of the server's CPU under Allocate load
// (crc32.hpp).

#include <cstddef>
#include <cstdint>
#include <span>

namespace turnpike::relay {

uint32_t fingerprint_of(std::span<const uint8_t> bytes);

// Whether `message` (framing already checked) ends with a FINGERPRINT of four
// bytes that matches the bytes before it.
bool fingerprint_matches(std::span<const uint8_t> message);

// Appends FINGERPRINT to the `length` bytes of a message in `buffer`, fixing
// the header's length field. Returns the new length, 0 when it does not fit.
size_t append_fingerprint(std::span<uint8_t> buffer, size_t length);

}  // namespace turnpike::relay
