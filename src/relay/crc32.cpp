#include "relay/crc32.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace turnpike::relay {

namespace {

constexpr uint32_t polynomial = 0xEDB88320;

using Table = std::array<uint32_t, 256>;

// tables[0][b] is the CRC of the single byte b. tables[k][b] is the CRC of b
// followed by k zero bytes, so one step can fold eight bytes at once, each
// through the table for how far it sits from the end of the step.
constexpr std::array<Table, 8> make_tables() {
    std::array<Table, 8> tables{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t crc = b;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
        }
        tables[0][b] = crc;
    }
    for (size_t k = 1; k < tables.size(); ++k) {
        for (uint32_t b = 0; b < 256; ++b) {
            uint32_t previous = tables[k - 1][b];
            tables[k][b] = (previous >> 8) ^ tables[0][previous & 0xFF];
        }
    }
    return tables;
}

constexpr std::array<Table, 8> tables = make_tables();

// The CRC is reflected: the first byte of a step is its least significant.
uint32_t load_little_endian32(const uint8_t* p) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// The register's raw update, no initial or final inversion: both are the
// caller's. Eight bytes per step, then one at a time.
uint32_t update_by_tables(uint32_t crc, const uint8_t* p, size_t left) {
    for (; left >= 8; left -= 8, p += 8) {
        uint32_t low = crc ^ load_little_endian32(p);
        uint32_t high = load_little_endian32(p + 4);
        crc = tables[7][low & 0xFF] ^ tables[6][(low >> 8) & 0xFF] ^ tables[5][(low >> 16) & 0xFF] ^
              tables[4][low >> 24] ^ tables[3][high & 0xFF] ^ tables[2][(high >> 8) & 0xFF] ^
              tables[1][(high >> 16) & 0xFF] ^ tables[0][high >> 24];
    }
    for (; left > 0; --left, ++p) {
        crc = (crc >> 8) ^ tables[0][(crc ^ *p) & 0xFF];
    }
    return crc;
}

#if defined(__x86_64__)

// Folding with carry-less multiplication (PCLMULQDQ), sixteen bytes a step.
//
// Read as a polynomial over GF(2), a 16-byte block loaded little-endian has
// its bit j (byte j / 8, bit j % 8) as the coefficient of x^(127 - j): the
// CRC is reflected, so the first bit is the highest power. Its low 64 bits
// are the block's upper half H, its high 64 bits the lower half L, and what
// the block contributes to the CRC depends only on it modulo P. Moving the
// block past the next one multiplies it by x^128:
//
//     (H x^64 + L) x^128 = H x^192 + L x^128 == H (x^192 mod P) + L (x^128 mod P)
//
// and each product of a 64-bit half by a 32-bit remainder fits the 128 bits.
// A carry-less product of two reflected 64-bit values comes out reflected in
// 127 bits, one short of the 128 the block uses, so the constants are taken
// one power lower (x^191, x^127) and the missing factor x comes from there.
// What is left after the last full block is sixteen bytes with the same CRC
// as everything folded into them; the tables finish those and the tail.

// x^n mod P for the CRC's polynomial in normal (unreflected) order.
constexpr uint64_t x_power_mod_p(unsigned n) {
    constexpr uint64_t p = 0x104C11DB7;
    uint64_t r = 1;
    for (unsigned i = 0; i < n; ++i) {
        r <<= 1;
        if ((r & (uint64_t{1} << 32)) != 0) {
            r ^= p;
        }
    }
    return r;
}

// A remainder (degree <= 31) as a reflected 64-bit operand: degree d at bit 63 - d.
constexpr uint64_t reflected64(uint64_t remainder) {
    uint64_t out = 0;
    for (unsigned d = 0; d < 32; ++d) {
        if ((remainder >> d) & 1) {
            out |= uint64_t{1} << (63 - d);
        }
    }
    return out;
}

constexpr uint64_t fold_high = reflected64(x_power_mod_p(191));
constexpr uint64_t fold_low = reflected64(x_power_mod_p(127));

// Below this the set-up costs more than the tables would.
constexpr size_t fold_minimum = 48;

__attribute__((target("pclmul,sse2"))) uint32_t update_by_folding(uint32_t crc, const uint8_t* p,
                                                                  size_t left) {
    const __m128i constants =
        _mm_set_epi64x(static_cast<long long>(fold_low), static_cast<long long>(fold_high));
    // The register so far is the same as XORing it into the first four bytes.
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    block = _mm_xor_si128(block, _mm_cvtsi32_si128(static_cast<int>(crc)));
    p += 16;
    left -= 16;
    for (; left >= 16; left -= 16, p += 16) {
        __m128i high = _mm_clmulepi64_si128(block, constants, 0x00);  // H * x^191
        __m128i low = _mm_clmulepi64_si128(block, constants, 0x11);   // L * x^127
        block = _mm_xor_si128(_mm_xor_si128(high, low),
                              _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
    alignas(16) uint8_t folded[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(folded), block);
    return update_by_tables(update_by_tables(0, folded, sizeof(folded)), p, left);
}

bool cpu_has_pclmul() {
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
}

#endif

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes) {
    uint32_t crc = 0xFFFFFFFF;
#if defined(__x86_64__)
    static const bool folding = cpu_has_pclmul();
    if (folding && bytes.size() >= fold_minimum) {
        return update_by_folding(crc, bytes.data(), bytes.size()) ^ 0xFFFFFFFF;
    }
#endif
    return update_by_tables(crc, bytes.data(), bytes.size()) ^ 0xFFFFFFFF;
}

uint32_t crc32_by_tables(std::span<const uint8_t> bytes) {
    return update_by_tables(0xFFFFFFFF, bytes.data(), bytes.size()) ^ 0xFFFFFFFF;
}

}  // namespace turnpike::relay
