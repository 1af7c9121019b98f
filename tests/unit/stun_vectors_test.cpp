// RFC 5769 test vectors through StunCodec, with MESSAGE-INTEGRITY and
// FINGERPRINT recomputed by an implementation independent of libnice (OpenSSL
// for HMAC-SHA1 and MD5, a bitwise CRC-32 here).

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "relay/counters.hpp"
#include "relay/fingerprint.hpp"
#include "relay/stun_codec.hpp"
#include "relay/stun_server.hpp"

namespace turnpike::relay {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t header_size = 20;
constexpr size_t attribute_header_size = 4;
constexpr size_t integrity_size = 20;
constexpr size_t fingerprint_attribute_size = 8;
constexpr uint16_t integrity_type = 0x0008;
constexpr uint32_t fingerprint_xor = 0x5354554e;

const std::string short_term_password = "VOkJxbRl1RmTxUk/WvJxBt";

// Section 2.1: Binding request, short-term credentials, USERNAME "evtj:h6vY".
const Bytes sample_request = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

// Section 2.2: Binding success response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const Bytes sample_ipv4_response = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

// Section 2.3: the same with XOR-MAPPED-ADDRESS
// [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const Bytes sample_ipv6_response = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

// Section 2.4: Binding request with long-term credentials and no FINGERPRINT.
const Bytes sample_long_term_request = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72,
    0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88,
    0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00,
    0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73,
    0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
    0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02,
    0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

// U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8 (SASLprep leaves it alone).
const std::string long_term_username =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
const std::string long_term_password = "TheMatrIX";  // after SASLprep
const std::string long_term_realm = "example.org";
const std::string long_term_nonce = "f//499k954d6OL34oL9FSTvy64sA";

uint16_t read16(std::span<const uint8_t> bytes, size_t at) {
    return static_cast<uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

uint32_t read32(std::span<const uint8_t> bytes, size_t at) {
    return static_cast<uint32_t>(read16(bytes, at)) << 16 | read16(bytes, at + 2);
}

// at(), not []: GCC 12 at -O3 otherwise sees a null data() it cannot rule
// out (-Wnull-dereference).
void write16(Bytes& bytes, size_t at, size_t value) {
    bytes.at(at) = static_cast<uint8_t>(value >> 8);
    bytes.at(at + 1) = static_cast<uint8_t>(value);
}

void write32(Bytes& bytes, size_t at, uint32_t value) {
    write16(bytes, at, value >> 16);
    write16(bytes, at + 2, value & 0xffff);
}

// Offset of the first attribute of `type`, walking the attribute headers.
std::optional<size_t> find_attribute(std::span<const uint8_t> message, uint16_t type) {
    size_t at = header_size;
    while (at + attribute_header_size <= message.size()) {
        if (read16(message, at) == type) {
            return at;
        }
        at += attribute_header_size + ((read16(message, at + 2) + 3) & ~size_t{3});
    }
    return std::nullopt;
}

Bytes hmac_sha1(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    Bytes digest(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
         digest.data(), &length);
    digest.resize(length);
    return digest;
}

Bytes md5(std::string_view text) {
    Bytes digest(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_md5(), nullptr);
    digest.resize(length);
    return digest;
}

Bytes as_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

Bytes long_term_key() {
    return md5(long_term_username + ":" + long_term_realm + ":" + long_term_password);
}

// The IEEE 802.3 CRC-32 (reflected, polynomial 0xEDB88320), bit by bit.
uint32_t crc32(std::span<const uint8_t> data) {
    uint32_t crc = 0xffffffff;
    for (uint8_t byte : data) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xedb88320 & (0U - (crc & 1)));
        }
    }
    return ~crc;
}

Bytes stored_integrity(std::span<const uint8_t> message) {
    size_t value = *find_attribute(message, integrity_type) + attribute_header_size;
    return Bytes(message.begin() + value, message.begin() + value + integrity_size);
}

// RFC 8489 section 14.5: HMAC over the message up to MESSAGE-INTEGRITY (at
// `integrity_at`), its length field counting the attributes up to and
// including MESSAGE-INTEGRITY.
Bytes integrity_over(std::span<const uint8_t> message, size_t integrity_at,
                     std::span<const uint8_t> key) {
    Bytes covered(message.begin(), message.begin() + integrity_at);
    write16(covered, 2, integrity_at + attribute_header_size + integrity_size - header_size);
    return hmac_sha1(key, covered);
}

Bytes computed_integrity(std::span<const uint8_t> message, std::span<const uint8_t> key) {
    return integrity_over(message, *find_attribute(message, integrity_type), key);
}

uint32_t stored_fingerprint(std::span<const uint8_t> message) {
    return read32(message, message.size() - 4);
}

// RFC 8489 section 14.7: CRC-32 of everything before FINGERPRINT, XOR 0x5354554e.
uint32_t computed_fingerprint(std::span<const uint8_t> message) {
    return crc32(message.first(message.size() - fingerprint_attribute_size)) ^ fingerprint_xor;
}

// Re-signs `message` as a sender would: MESSAGE-INTEGRITY, then FINGERPRINT.
Bytes resigned(Bytes message, std::span<const uint8_t> key) {
    size_t integrity_value = *find_attribute(message, integrity_type) + attribute_header_size;
    Bytes integrity = computed_integrity(message, key);
    std::copy(integrity.begin(), integrity.end(), message.begin() + integrity_value);
    write32(message, message.size() - 4, computed_fingerprint(message));
    return message;
}

SocketAddress mapped_address_of(const StunMessage& msg) {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    EXPECT_EQ(
        stun_message_find_xor_addr(&msg, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &storage, &length),
        STUN_MESSAGE_RETURN_SUCCESS);
    return SocketAddress(reinterpret_cast<const sockaddr*>(&storage), length);
}

std::string string_attribute(const StunMessage& msg, StunAttribute type) {
    std::array<char, 256> text{};
    if (stun_message_find_string(&msg, type, text.data(), text.size()) !=
        STUN_MESSAGE_RETURN_SUCCESS) {
        return "<absent>";
    }
    return text.data();
}

// A bare Binding request (no attributes) with the transaction ID of `message`.
Bytes binding_request_with_id_of(std::span<const uint8_t> message) {
    Bytes request(message.begin(), message.begin() + header_size);
    write16(request, 0, STUN_BINDING);
    write16(request, 2, 0);
    return request;
}

// A server's agents send no requests, so libnice answers any response with
// UNMATCHED_RESPONSE, but only once framing and FINGERPRINT have passed.
bool passes_server_checks(std::span<const uint8_t> message, StunValidationStatus status) {
    bool is_response = (message[0] & 0x01) != 0;
    return status == (is_response ? STUN_VALIDATION_UNMATCHED_RESPONSE : STUN_VALIDATION_SUCCESS);
}

class StunVectorsTest : public ::testing::Test {
  protected:
    StunValidationStatus validate(std::span<const uint8_t> packet) {
        return codec_.validate(packet, msg_);
    }

    StunCodec codec_{"test vector"};
    StunMessage msg_{};
};

struct Vector {
    const char* name;
    const Bytes* bytes;
};

const Vector fingerprinted_vectors[] = {
    {"2.1 sample request", &sample_request},
    {"2.2 sample IPv4 response", &sample_ipv4_response},
    {"2.3 sample IPv6 response", &sample_ipv6_response},
};

TEST_F(StunVectorsTest, EveryVectorPassesValidation) {
    for (const auto& vector : fingerprinted_vectors) {
        EXPECT_TRUE(passes_server_checks(*vector.bytes, validate(*vector.bytes))) << vector.name;
    }
    EXPECT_EQ(validate(sample_long_term_request), STUN_VALIDATION_SUCCESS);
}

TEST_F(StunVectorsTest, FingerprintsMatchAnIndependentCrc32) {
    EXPECT_EQ(crc32(as_bytes("123456789")), 0xcbf43926U);  // the CRC-32 check value
    for (const auto& vector : fingerprinted_vectors) {
        EXPECT_EQ(computed_fingerprint(*vector.bytes), stored_fingerprint(*vector.bytes))
            << vector.name;
    }
}

// Turnpike's own FINGERPRINT (zlib's CRC-32) against the vectors: appended to
// each vector's bytes before it, it gives the vector back.
TEST_F(StunVectorsTest, OwnFingerprintRebuildsEveryVector) {
    for (const auto& vector : fingerprinted_vectors) {
        const Bytes& whole = *vector.bytes;
        EXPECT_TRUE(fingerprint_matches(whole)) << vector.name;
        Bytes rebuilt(whole.begin(), whole.end() - fingerprint_attribute_size);
        write16(rebuilt, 2, static_cast<uint16_t>(rebuilt.size() - header_size));
        size_t length = rebuilt.size();
        rebuilt.resize(length + fingerprint_attribute_size);
        EXPECT_EQ(append_fingerprint(rebuilt, length), whole.size()) << vector.name;
        EXPECT_EQ(rebuilt, whole) << vector.name;
        EXPECT_EQ(append_fingerprint(std::span(rebuilt).first(length + 7), length), 0U)
            << vector.name << ": no room, nothing written";
    }
}

// A FINGERPRINT of another length than four bytes is refused, even when the
// four bytes at the end would match.
TEST_F(StunVectorsTest, FingerprintOfTheWrongLengthIsRefused) {
    Bytes message = sample_request;
    write16(message, message.size() - 6, 8);
    EXPECT_FALSE(fingerprint_matches(message));
    EXPECT_FALSE(fingerprint_matches(std::span(message).first(header_size)));
}

// Two exceptions. Bytes 4..7: without the magic cookie a message is an RFC
// 3489 one, which has no FINGERPRINT to check. The FINGERPRINT type: changed,
// the last attribute becomes an unknown comprehension-optional one and the
// message simply has no FINGERPRINT, which STUN allows.
bool flip_must_fail(std::span<const uint8_t> message, size_t at) {
    const size_t fingerprint_at = message.size() - fingerprint_attribute_size;
    const bool in_cookie = at >= 4 && at < 8;
    const bool in_fingerprint_type = at >= fingerprint_at && at < fingerprint_at + 2;
    return !in_cookie && !in_fingerprint_type;
}

TEST_F(StunVectorsTest, FlippingAnyByteFailsValidation) {
    for (const auto& vector : fingerprinted_vectors) {
        for (size_t at = 0; at < vector.bytes->size(); ++at) {
            if (!flip_must_fail(*vector.bytes, at)) {
                continue;
            }
            Bytes corrupted = *vector.bytes;
            corrupted[at] ^= 0x01;
            EXPECT_FALSE(passes_server_checks(corrupted, validate(corrupted)))
                << vector.name << ", byte " << at;
        }
    }
}

TEST_F(StunVectorsTest, ShortTermIntegrityVerifies) {
    const auto key = as_bytes(short_term_password);
    for (const auto& vector : fingerprinted_vectors) {
        EXPECT_EQ(computed_integrity(*vector.bytes, key), stored_integrity(*vector.bytes))
            << vector.name;
    }
    EXPECT_NE(computed_integrity(sample_request, as_bytes("wrong password")),
              stored_integrity(sample_request));
}

TEST_F(StunVectorsTest, ShortTermRequestCarriesItsAttributes) {
    ASSERT_EQ(validate(sample_request), STUN_VALIDATION_SUCCESS);
    EXPECT_EQ(stun_message_get_class(&msg_), STUN_REQUEST);
    EXPECT_EQ(stun_message_get_method(&msg_), STUN_BINDING);
    EXPECT_EQ(string_attribute(msg_, STUN_ATTRIBUTE_USERNAME), "evtj:h6vY");
    EXPECT_EQ(string_attribute(msg_, STUN_ATTRIBUTE_SOFTWARE), "STUN test client");
    uint32_t priority = 0;
    ASSERT_EQ(stun_message_find32(&msg_, STUN_ATTRIBUTE_PRIORITY, &priority),
              STUN_MESSAGE_RETURN_SUCCESS);
    EXPECT_EQ(priority, 0x6e0001ffU);
}

TEST_F(StunVectorsTest, LongTermIntegrityVerifies) {
    ASSERT_EQ(validate(sample_long_term_request), STUN_VALIDATION_SUCCESS);
    EXPECT_EQ(string_attribute(msg_, STUN_ATTRIBUTE_USERNAME), long_term_username);
    EXPECT_EQ(string_attribute(msg_, STUN_ATTRIBUTE_REALM), long_term_realm);
    EXPECT_EQ(string_attribute(msg_, STUN_ATTRIBUTE_NONCE), long_term_nonce);
    EXPECT_EQ(computed_integrity(sample_long_term_request, long_term_key()),
              stored_integrity(sample_long_term_request));
}

// Without FINGERPRINT only MESSAGE-INTEGRITY protects 2.4: any changed byte
// before it must break the HMAC. The message length (bytes 2..3) is the
// exception: the HMAC input carries the adjusted length in its place.
TEST_F(StunVectorsTest, LongTermIntegrityCatchesAnyChange) {
    const auto key = long_term_key();
    const size_t integrity_at = *find_attribute(sample_long_term_request, integrity_type);
    const Bytes stored = stored_integrity(sample_long_term_request);
    for (size_t at = 0; at < integrity_at; ++at) {
        if (at == 2 || at == 3) {
            continue;
        }
        Bytes corrupted = sample_long_term_request;
        corrupted[at] ^= 0x01;
        EXPECT_NE(integrity_over(corrupted, integrity_at, key), stored) << "byte " << at;
    }
}

TEST_F(StunVectorsTest, Ipv4ResponseMapsTheDocumentedAddress) {
    ASSERT_EQ(validate(sample_ipv4_response), STUN_VALIDATION_UNMATCHED_RESPONSE);
    EXPECT_EQ(mapped_address_of(msg_), *SocketAddress::parse("192.0.2.1:32853"));
    EXPECT_EQ(string_attribute(msg_, STUN_ATTRIBUTE_SOFTWARE), "test vector");
}

TEST_F(StunVectorsTest, Ipv6ResponseMapsTheDocumentedAddress) {
    ASSERT_EQ(validate(sample_ipv6_response), STUN_VALIDATION_UNMATCHED_RESPONSE);
    EXPECT_EQ(mapped_address_of(msg_),
              *SocketAddress::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
    EXPECT_EQ(string_attribute(msg_, STUN_ATTRIBUTE_SOFTWARE), "test vector");
}

struct ResponseVector {
    const char* name;
    const Bytes* bytes;
    const char* mapped_address;
};

const ResponseVector response_vectors[] = {
    {"Ipv4", &sample_ipv4_response, "192.0.2.1:32853"},
    {"Ipv6", &sample_ipv6_response, "[2001:db8:1234:5678:11:2233:4455:6677]:32853"},
};

// Our codec answers a Binding request carrying the vector's transaction ID
// with the vector's own attributes, in the vector's order.
class ReencodeTest : public StunVectorsTest, public ::testing::WithParamInterface<ResponseVector> {
  protected:
    Bytes encode_response() {
        Bytes request = binding_request_with_id_of(*GetParam().bytes);
        StunMessage request_msg{};
        EXPECT_EQ(codec_.validate(request, request_msg), STUN_VALIDATION_SUCCESS);
        Bytes out(512);
        StunWriter response = codec_.start_response(out, request_msg);
        EXPECT_NE(response.length(), 0U);
        EXPECT_TRUE(StunCodec::append_mapped_address(
            response, *SocketAddress::parse(GetParam().mapped_address)));
        const HmacSha1 key(as_bytes(short_term_password));
        out.resize(StunCodec::finish(response, &key));
        return out;
    }
};

Bytes attribute_bytes(std::span<const uint8_t> message, uint16_t type) {
    const size_t at = *find_attribute(message, type);
    const size_t end = at + attribute_header_size + read16(message, at + 2);
    return Bytes(message.begin() + at, message.begin() + end);
}

// SOFTWARE "test vector" is 11 bytes, so one byte of padding follows it. RFC
// 5769 pads with a space; StunWriter pads with zero, as RFC 8489 asks. Padding is covered by
// MESSAGE-INTEGRITY and FINGERPRINT, so with zero padding the expected bytes are the vector's with
// that byte zeroed and both re-signed (by OpenSSL and the CRC-32 above).
TEST_P(ReencodeTest, MatchesTheVector) {
    const Bytes& vector = *GetParam().bytes;
    const Bytes encoded = encode_response();
    ASSERT_EQ(encoded.size(), vector.size());
    EXPECT_TRUE(std::equal(vector.begin(), vector.begin() + header_size, encoded.begin()));
    EXPECT_EQ(attribute_bytes(encoded, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS),
              attribute_bytes(vector, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS));

    const size_t software_padding_at = header_size + attribute_header_size + 11;
    const uint8_t padding = encoded[software_padding_at];
    ASSERT_TRUE(padding == ' ' || padding == 0) << int{padding};
    Bytes expected = vector;
    expected[software_padding_at] = padding;
    EXPECT_EQ(encoded, resigned(expected, as_bytes(short_term_password)));
    if (padding == ' ') {
        EXPECT_EQ(encoded, vector);
    }
}

std::string vector_name(const ::testing::TestParamInfo<ResponseVector>& param_info) {
    return param_info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Rfc5769, ReencodeTest, ::testing::ValuesIn(response_vectors), vector_name);

// The sample request, sent by a client at 192.0.2.1:32853, gets the sample
// response's XOR-MAPPED-ADDRESS back (without MESSAGE-INTEGRITY: the server
// holds no key for "evtj:h6vY").
TEST(Rfc5769Server, AnswersTheSampleRequest) {
    WorkerCounters counters;
    StunServer server("test vector", counters);
    Bytes out(512);
    out.resize(server.handle(sample_request, *SocketAddress::parse("192.0.2.1:32853"), out));
    ASSERT_FALSE(out.empty());
    EXPECT_TRUE(
        std::equal(out.begin() + 4, out.begin() + header_size, sample_ipv4_response.begin() + 4));
    EXPECT_EQ(read16(out, 0), 0x0101);
    EXPECT_EQ(attribute_bytes(out, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS),
              attribute_bytes(sample_ipv4_response, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS));
    EXPECT_EQ(computed_fingerprint(out), stored_fingerprint(out));
    EXPECT_FALSE(find_attribute(out, integrity_type).has_value());
}

}  // namespace
}  // namespace turnpike::relay
