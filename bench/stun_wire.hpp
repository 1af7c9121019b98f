#pragma once
// What both load generators need to speak STUN by hand: big-endian fields,
// FINGERPRINT's CRC-32, a clock, and cheap unique transaction IDs.

#include <time.h>

#include <array>
#include <cstdint>
#include <span>

#include "relay/crc32.hpp"

namespace bench {

inline int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline uint16_t load16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t load32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

inline uint64_t load64(const uint8_t* p) {
    return (uint64_t{load32(p)} << 32) | load32(p + 4);
}

inline void store16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

inline void store32(uint8_t* p, uint32_t v) {
    for (int i = 3; i >= 0; --i) {
        p[i] = static_cast<uint8_t>(v);
        v >>= 8;
    }
}

inline void store64(uint8_t* p, uint64_t v) {
    store32(p, static_cast<uint32_t>(v >> 32));
    store32(p + 4, static_cast<uint32_t>(v));
}

// CRC-32 (IEEE 802.3), as FINGERPRINT needs it (RFC 8489 section 14.7):
// Turnpike's slicing-by-8 one (src/relay/crc32.cpp, checked against zlib's
// in the unit tests), a third of zlib 1.2's cost on short messages. Both
// servers are sent the same bytes; only the load generator's own CPU drops.
using turnpike::relay::crc32;

// A fast PRNG for the random part of transaction IDs (not cryptographic; a
// benchmark only needs IDs that are unique and look random to the server).
class SplitMix64 {
  public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

  private:
    uint64_t state_;
};

}  // namespace bench
