#include "relay/fingerprint.hpp"

#include "relay/crc32.hpp"

namespace turnpike::relay {

namespace {

constexpr uint32_t fingerprint_xor = 0x5354554E;
constexpr uint16_t fingerprint_type = 0x8028;
constexpr size_t header_bytes = 20;
constexpr size_t fingerprint_bytes = 8;  // type, length, CRC

uint32_t load32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void store16(uint8_t* p, size_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

void store32(uint8_t* p, uint32_t v) {
    store16(p, v >> 16);
    store16(p + 2, v & 0xFFFF);
}

}  // namespace

uint32_t fingerprint_of(std::span<const uint8_t> bytes) {
    return crc32(bytes) ^ fingerprint_xor;
}

bool fingerprint_matches(std::span<const uint8_t> message) {
    if (message.size() < header_bytes + fingerprint_bytes) {
        return false;
    }
    const uint8_t* attribute = message.data() + message.size() - fingerprint_bytes;
    if (load32(attribute) != ((uint32_t{fingerprint_type} << 16) | 4)) {
        return false;
    }
    return load32(attribute + 4) ==
           fingerprint_of(message.first(message.size() - fingerprint_bytes));
}

size_t append_fingerprint(std::span<uint8_t> buffer, size_t length) {
    if (length < header_bytes || buffer.size() < length + fingerprint_bytes) {
        return 0;
    }
    store16(buffer.data() + 2, length + fingerprint_bytes - header_bytes);
    uint8_t* attribute = buffer.data() + length;
    store32(attribute, (uint32_t{fingerprint_type} << 16) | 4);
    store32(attribute + 4, fingerprint_of(buffer.first(length)));
    return length + fingerprint_bytes;
}

}  // namespace turnpike::relay
