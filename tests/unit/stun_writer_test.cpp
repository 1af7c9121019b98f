// StunWriter and the answers StunCodec starts with it, read back by a parser
// of this file's own and, where libnice can read them, by libnice.

#include "relay/stun_writer.hpp"

#include <gtest/gtest.h>
#include <stun/stunmessage.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "relay/stun_attributes.hpp"
#include "relay/stun_codec.hpp"

namespace turnpike::relay {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr std::array<uint8_t, 16> modern_id = {0x21, 0x12, 0xA4, 0x42, 1, 2,  3,  4,
                                               5,    6,    7,    8,    9, 10, 11, 12};
constexpr std::array<uint8_t, 16> classic_id = {0xDE, 0xAD, 0xBE, 0xEF, 1, 2,  3,  4,
                                                5,    6,    7,    8,    9, 10, 11, 12};

uint16_t read16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}

struct Attribute {
    uint16_t type;
    Bytes value;
    Bytes padding;
};

// Reads every attribute, padding included, and checks the length field.
std::vector<Attribute> parse(std::span<const uint8_t> message) {
    std::vector<Attribute> out;
    EXPECT_GE(message.size(), 20U);
    EXPECT_EQ(read16(message, 2) + 20U, message.size());
    size_t at = 20;
    while (at + 4 <= message.size()) {
        const uint16_t length = read16(message, at + 2);
        const size_t padded = (length + 3u) & ~3u;
        EXPECT_LE(at + 4 + padded, message.size());
        Attribute a{read16(message, at), {}, {}};
        a.value.assign(message.begin() + at + 4, message.begin() + at + 4 + length);
        a.padding.assign(message.begin() + at + 4 + length, message.begin() + at + 4 + padded);
        out.push_back(a);
        at += 4 + padded;
    }
    EXPECT_EQ(at, message.size());
    return out;
}

SocketAddress address(const char* text) {
    return *SocketAddress::parse(text);
}

TEST(StunWriter, HeaderAndPaddedAttributes) {
    Bytes out(128, 0xEE);
    StunWriter w(out, 0x0103, modern_id);
    EXPECT_EQ(w.length(), 20U);
    EXPECT_TRUE(w.append(0x0006, std::string_view("abcde")));  // 3 bytes of padding
    EXPECT_TRUE(w.append_u32(0x000D, 600));
    EXPECT_TRUE(w.append(0x0013, std::span<const uint8_t>()));  // empty value
    ASSERT_EQ(w.length(), 20U + 12 + 8 + 4);
    out.resize(w.length());
    EXPECT_EQ(read16(out, 0), 0x0103);
    EXPECT_TRUE(std::equal(modern_id.begin(), modern_id.end(), out.begin() + 4));
    auto attributes = parse(out);
    ASSERT_EQ(attributes.size(), 3U);
    EXPECT_EQ(attributes[0].type, 0x0006);
    EXPECT_EQ(std::string(attributes[0].value.begin(), attributes[0].value.end()), "abcde");
    EXPECT_EQ(attributes[0].padding, (Bytes{0, 0, 0}));
    EXPECT_EQ(attributes[1].value, (Bytes{0, 0, 0x02, 0x58}));
    EXPECT_TRUE(attributes[2].value.empty());
    EXPECT_FALSE(w.classic());
}

TEST(StunWriter, AnAttributeThatDoesNotFitFailsTheMessage) {
    Bytes out(20 + 8);
    StunWriter w(out, 0x0101, modern_id);
    EXPECT_TRUE(w.append_u32(0x000D, 1));  // exactly fills the buffer
    EXPECT_EQ(w.length(), 28U);
    EXPECT_FALSE(w.append_u32(0x000D, 2));
    EXPECT_EQ(w.length(), 0U);
    EXPECT_FALSE(w.append(0x0006, std::string_view("")));  // and stays failed
    EXPECT_EQ(w.length(), 0U);

    Bytes tiny(19);
    StunWriter none(tiny, 0x0101, modern_id);
    EXPECT_EQ(none.length(), 0U);
    EXPECT_FALSE(none.append_u32(0x000D, 1));
}

TEST(StunWriter, XorAddressesDecodeBack) {
    for (const char* text : {"192.0.2.1:32853", "[2001:db8:1234:5678:11:2233:4455:6677]:32853"}) {
        Bytes out(64);
        StunWriter w(out, 0x0101, modern_id);
        ASSERT_TRUE(w.append_xor_address(0x0020, address(text)));
        out.resize(w.length());
        auto attributes = parse(out);
        ASSERT_EQ(attributes.size(), 1U);
        EXPECT_EQ(decode_xor_address(attributes[0].value, out), address(text)) << text;
    }
}

TEST(StunWriter, PlainMappedAddress) {
    Bytes out(64);
    StunWriter w(out, 0x0101, classic_id);
    EXPECT_TRUE(w.classic());
    ASSERT_TRUE(w.append_address(0x0001, address("192.0.2.1:32853")));
    out.resize(w.length());
    auto attributes = parse(out);
    ASSERT_EQ(attributes.size(), 1U);
    EXPECT_EQ(attributes[0].value, (Bytes{0, 1, 0x80, 0x55, 192, 0, 2, 1}));
}

TEST(StunWriter, ErrorCodeWithReasonPhrase) {
    Bytes out(128);
    StunWriter w(out, 0x0113, modern_id);
    ASSERT_TRUE(w.append_error_code(438));
    out.resize(w.length());
    auto attributes = parse(out);
    ASSERT_EQ(attributes.size(), 1U);
    const Bytes& v = attributes[0].value;
    ASSERT_GE(v.size(), 4U);
    EXPECT_EQ(attributes[0].type, 0x0009);
    EXPECT_EQ(v[2], 4);
    EXPECT_EQ(v[3], 38);
    EXPECT_EQ(std::string(v.begin() + 4, v.end()), "Stale Nonce");
    // libnice, as a client would, reads the code back.
    StunMessage msg{};
    msg.buffer = out.data();
    msg.buffer_len = out.size();
    int code = 0;
    EXPECT_EQ(stun_message_find_error(&msg, &code), STUN_MESSAGE_RETURN_SUCCESS);
    EXPECT_EQ(code, 438);
}

TEST(StunWriter, EveryCodeTurnpikeSendsHasItsPhrase) {
    for (int code : {400, 401, 403, 420, 437, 438, 440, 441, 442, 443, 486, 508}) {
        EXPECT_NE(reason_phrase(code), "Error") << code;
    }
    EXPECT_EQ(reason_phrase(599), "Error");
}

// A request as StunCodec sees it after validation.
struct Request {
    Bytes bytes;
    StunMessage msg{};
    Request(const std::array<uint8_t, 16>& id, std::vector<uint16_t> attribute_types) {
        // Sized first, then filled: GCC 12 at -O3 misreads insert() into a
        // 4-byte vector as an overflow (-Warray-bounds).
        bytes.assign(20 + 4 * attribute_types.size(), 0);
        bytes[1] = 0x01;
        std::copy(id.begin(), id.end(), bytes.begin() + 4);
        for (size_t i = 0; i < attribute_types.size(); ++i) {
            bytes[20 + 4 * i] = static_cast<uint8_t>(attribute_types[i] >> 8);
            bytes[20 + 4 * i + 1] = static_cast<uint8_t>(attribute_types[i]);
        }
        bytes[3] = static_cast<uint8_t>(bytes.size() - 20);
        msg.buffer = bytes.data();
        msg.buffer_len = bytes.size();
    }
};

TEST(StunCodecAnswers, SoftwareOnlyForRfc8489Clients) {
    StunCodec codec("turnpike test");
    Bytes out(256);
    Request modern(modern_id, {});
    StunWriter m = codec.start_response(out, modern.msg);
    size_t n = StunCodec::finish(m);
    auto attributes = parse(std::span(out).first(n));
    ASSERT_EQ(attributes.size(), 2U);
    EXPECT_EQ(attributes[0].type, 0x8022);
    EXPECT_EQ(std::string(attributes[0].value.begin(), attributes[0].value.end()), "turnpike test");
    EXPECT_EQ(attributes[1].type, 0x8028);  // FINGERPRINT last
    EXPECT_EQ(read16(out, 0), 0x0101);

    Request classic(classic_id, {});
    StunWriter c = codec.start_error(out, classic.msg, 400);
    n = StunCodec::finish(c);
    attributes = parse(std::span(out).first(n));
    ASSERT_EQ(attributes.size(), 1U);  // ERROR-CODE only: no SOFTWARE, no FINGERPRINT
    EXPECT_EQ(attributes[0].type, 0x0009);
    EXPECT_EQ(read16(out, 0), 0x0111);
}

TEST(StunCodecAnswers, UnknownAttributesListed) {
    StunCodec codec("");
    Bytes out(256);
    Request modern(modern_id, {0x0033, 0x8033, 0x000D, 0x7FFF, 0x0040});
    size_t n = codec.unknown_attributes_error(out, modern.msg);
    auto attributes = parse(std::span(out).first(n));
    ASSERT_EQ(attributes.size(), 3U);  // ERROR-CODE, UNKNOWN-ATTRIBUTES, FINGERPRINT
    EXPECT_EQ(attributes[1].type, 0x000A);
    EXPECT_EQ(attributes[1].value, (Bytes{0x00, 0x33, 0x7F, 0xFF, 0x00, 0x40}));

    // RFC 3489 wants the list a multiple of four bytes: one type repeated.
    Request classic(classic_id, {0x0033});
    n = codec.unknown_attributes_error(out, classic.msg);
    attributes = parse(std::span(out).first(n));
    ASSERT_EQ(attributes.size(), 2U);
    EXPECT_EQ(attributes[1].value, (Bytes{0x00, 0x33, 0x00, 0x33}));
}

}  // namespace
}  // namespace turnpike::relay
