// Turnpike's CRC-32 against zlib's, the reference every STUN stack's
// FINGERPRINT agrees with.
#include "relay/crc32.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string_view>
#include <vector>

namespace turnpike::relay {
namespace {

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

uint32_t zlib_crc32(std::span<const uint8_t> bytes) {
    return static_cast<uint32_t>(::crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

TEST(Crc32, CheckValue) {
    EXPECT_EQ(crc32(bytes_of("123456789")), 0xCBF43926U);
    EXPECT_EQ(crc32({}), 0U);
}

// Every length from 0 to 300 at every alignment 0..7: the eight-byte steps,
// the byte-at-a-time tail, and the case with no step at all.
TEST(Crc32, MatchesZlibAtEveryLengthAndAlignment) {
    std::mt19937 random(8489);
    std::vector<uint8_t> buffer(320);
    for (auto& b : buffer) {
        b = static_cast<uint8_t>(random());
    }
    for (size_t offset = 0; offset < 8; ++offset) {
        for (size_t length = 0; length + offset <= 308; ++length) {
            std::span<const uint8_t> slice(buffer.data() + offset, length);
            ASSERT_EQ(crc32(slice), zlib_crc32(slice))
                << "offset " << offset << " length " << length;
        }
    }
}

TEST(Crc32, EveryByteValueInEveryLanePosition) {
    for (size_t position = 0; position < 16; ++position) {
        for (int value = 0; value < 256; ++value) {
            std::vector<uint8_t> message(16, 0xA5);
            message[position] = static_cast<uint8_t>(value);
            ASSERT_EQ(crc32(message), zlib_crc32(message)) << position << " " << value;
        }
    }
}

// The folding path (48 bytes and up, on CPUs with PCLMULQDQ) at lengths that
// end on, before and after a 16-byte block, up to a jumbo frame; each is
// checked against zlib and against the tables alone, so a machine without
// the instruction still checks the tables.
TEST(Crc32, LongMessagesMatchZlibAndTheTables) {
    std::mt19937 random(5389);
    std::vector<uint8_t> buffer(9100);
    for (auto& b : buffer) {
        b = static_cast<uint8_t>(random());
    }
    for (size_t length : {31u, 32u, 33u, 47u, 48u, 49u, 63u, 64u, 65u, 100u, 127u, 128u, 129u, 548u,
                          1200u, 1452u, 1500u, 4096u, 9000u}) {
        for (size_t offset = 0; offset < 16; offset += 3) {
            std::span<const uint8_t> slice(buffer.data() + offset, length);
            ASSERT_EQ(crc32(slice), zlib_crc32(slice))
                << "offset " << offset << " length " << length;
            ASSERT_EQ(crc32_by_tables(slice), zlib_crc32(slice)) << "length " << length;
        }
    }
}

// A single set bit anywhere in a 64-byte message: every position of every
// folded block, where a wrong constant or an off-by-one shift would show.
TEST(Crc32, EverySingleBitOfAFoldedMessage) {
    for (size_t bit = 0; bit < 64 * 8; ++bit) {
        std::vector<uint8_t> message(64, 0);
        message[bit / 8] = static_cast<uint8_t>(1u << (bit % 8));
        ASSERT_EQ(crc32(message), zlib_crc32(message)) << "bit " << bit;
    }
}

}  // namespace
}  // namespace turnpike::relay
