#include "relay/crc32.hpp"

#include <array>
#include <cstring>

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

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes) {
    uint32_t crc = 0xFFFFFFFF;
    const uint8_t* p = bytes.data();
    size_t left = bytes.size();
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
    return crc ^ 0xFFFFFFFF;
}

}  // namespace turnpike::relay
