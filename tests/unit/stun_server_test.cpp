// StunServer::handle, one message at a time: what it answers, what it drops,
// and the counters it moves.

#include <gtest/gtest.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "relay/counters.hpp"
#include "relay/stun_codec.hpp"
#include "relay/stun_server.hpp"

namespace turnpike::relay {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t header_size = 20;
constexpr uint16_t binding_request_type = 0x0001;
constexpr uint16_t binding_indication_type = 0x0011;
constexpr uint16_t binding_success_type = 0x0101;
constexpr uint16_t binding_error_type = 0x0111;
constexpr uint16_t unknown_required_attribute = 0x0033;
constexpr uint16_t unknown_optional_attribute = 0x8033;
const std::string software = "turnpike test";

const std::array<uint8_t, 12> transaction_id = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                                                0xcd, 0xef, 0x10, 0x32, 0x54, 0x76};

void write16(Bytes& bytes, size_t at, size_t value) {
    bytes.at(at) = static_cast<uint8_t>(value >> 8);
    bytes.at(at + 1) = static_cast<uint8_t>(value);
}

uint16_t read16(std::span<const uint8_t> bytes, size_t at) {
    return static_cast<uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

// An RFC 8489 message header: type, length 0, magic cookie, transaction ID.
Bytes stun_header(uint16_t type) {
    Bytes message(header_size);
    write16(message, 0, type);
    write16(message, 4, STUN_MAGIC_COOKIE >> 16);
    write16(message, 6, STUN_MAGIC_COOKIE & 0xffff);
    std::copy(transaction_id.begin(), transaction_id.end(), message.begin() + 8);
    return message;
}

// An RFC 3489 header: no magic cookie, a 16-byte transaction ID.
Bytes classic_header(uint16_t type) {
    Bytes message(header_size);
    write16(message, 0, type);
    for (size_t i = 4; i < header_size; ++i) {
        message[i] = static_cast<uint8_t>(0xa0 + i);
    }
    return message;
}

// Appends an attribute with zero padding and updates the message length.
void add_attribute(Bytes& message, uint16_t type, const Bytes& value) {
    const size_t at = message.size();
    message.resize(at + 4 + ((value.size() + 3) & ~size_t{3}));
    write16(message, at, type);
    write16(message, at + 2, value.size());
    std::copy(value.begin(), value.end(), message.begin() + at + 4);
    write16(message, 2, message.size() - header_size);
}

// A fingerprinted Binding request as libnice's own client builds it.
Bytes fingerprinted_request() {
    static const uint16_t no_attributes[] = {0};
    StunAgent agent;
    stun_agent_init(&agent, no_attributes, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_USE_FINGERPRINT);
    Bytes buffer(256);
    StunMessage msg;
    EXPECT_TRUE(stun_agent_init_request(&agent, &msg, buffer.data(), buffer.size(), STUN_BINDING));
    buffer.resize(stun_agent_finish_message(&agent, &msg, nullptr, 0));
    return buffer;
}

SocketAddress client_v4() {
    return *SocketAddress::parse("198.51.100.7:54321");
}

SocketAddress client_v6() {
    return *SocketAddress::parse("[2001:db8::7]:40000");
}

// An answer parsed back: libnice reports framing errors and bad FINGERPRINTs
// before it reports a response that no request of ours asked for.
struct Answer {
    explicit Answer(std::span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {
        status = checker_.validate(bytes_, msg);
    }

    bool well_formed() const { return status == STUN_VALIDATION_UNMATCHED_RESPONSE; }
    bool ends_with_fingerprint() const {
        return bytes_.size() >= header_size + 8 &&
               read16(bytes_, bytes_.size() - 8) == STUN_ATTRIBUTE_FINGERPRINT;
    }
    bool has(StunAttribute type) const { return stun_message_has_attribute(&msg, type); }

    std::optional<SocketAddress> xor_mapped() const {
        sockaddr_storage storage{};
        socklen_t length = sizeof(storage);
        if (stun_message_find_xor_addr(&msg, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &storage,
                                       &length) != STUN_MESSAGE_RETURN_SUCCESS) {
            return std::nullopt;
        }
        return SocketAddress(reinterpret_cast<const sockaddr*>(&storage), length);
    }

    std::optional<SocketAddress> mapped() const {
        sockaddr_storage storage{};
        socklen_t length = sizeof(storage);
        if (stun_message_find_addr(&msg, STUN_ATTRIBUTE_MAPPED_ADDRESS, &storage, &length) !=
            STUN_MESSAGE_RETURN_SUCCESS) {
            return std::nullopt;
        }
        return SocketAddress(reinterpret_cast<const sockaddr*>(&storage), length);
    }

    std::string software_name() const {
        std::array<char, 256> text{};
        stun_message_find_string(&msg, STUN_ATTRIBUTE_SOFTWARE, text.data(), text.size());
        return text.data();
    }

    int error_code() const {
        int code = 0;
        stun_message_find_error(&msg, &code);
        return code;
    }

    Bytes unknown_attributes() const {
        uint16_t length = 0;
        const auto* value = static_cast<const uint8_t*>(
            stun_message_find(&msg, STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, &length));
        return value == nullptr ? Bytes{} : Bytes(value, value + length);
    }

    bool echoes_id_of(std::span<const uint8_t> request) const {
        return std::equal(request.begin() + 4, request.begin() + header_size, bytes_.begin() + 4);
    }

    uint16_t type() const { return read16(bytes_, 0); }

    StunValidationStatus status;
    StunMessage msg{};

  private:
    Bytes bytes_;
    StunCodec checker_{"checker"};
};

class StunServerTest : public ::testing::Test {
  protected:
    size_t handle(std::span<const uint8_t> packet, const SocketAddress& from = client_v4()) {
        return server_.handle(packet, from, out_);
    }

    Answer answer_to(std::span<const uint8_t> packet, const SocketAddress& from = client_v4()) {
        const size_t length = handle(packet, from);
        EXPECT_NE(length, 0U);
        return answer_of_length(length);
    }

    Answer answer_of_length(size_t length) const { return Answer(std::span(out_).first(length)); }

    uint64_t count(const std::atomic<uint64_t>& counter) const { return counter.load(); }

    WorkerCounters counters_;
    StunServer server_{software, counters_};
    std::array<uint8_t, 1500> out_{};
};

TEST_F(StunServerTest, BindingRequestFromIpv4GetsItsAddressBack) {
    const Bytes request = stun_header(binding_request_type);
    const Answer answer = answer_to(request, client_v4());
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.type(), binding_success_type);
    EXPECT_TRUE(answer.echoes_id_of(request));
    EXPECT_EQ(answer.xor_mapped(), client_v4());
    EXPECT_FALSE(answer.has(STUN_ATTRIBUTE_MAPPED_ADDRESS));
    EXPECT_EQ(answer.software_name(), software);
    EXPECT_TRUE(answer.ends_with_fingerprint());
    EXPECT_EQ(count(counters_.stun_requests), 1U);
    EXPECT_EQ(count(counters_.binding_responses), 1U);
    EXPECT_EQ(count(counters_.error_responses), 0U);
}

TEST_F(StunServerTest, BindingRequestFromIpv6GetsItsAddressBack) {
    const Bytes request = stun_header(binding_request_type);
    const Answer answer = answer_to(request, client_v6());
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.type(), binding_success_type);
    EXPECT_EQ(answer.xor_mapped(), client_v6());
    EXPECT_EQ(answer.software_name(), software);
    EXPECT_TRUE(answer.ends_with_fingerprint());
    EXPECT_EQ(count(counters_.binding_responses), 1U);
}

TEST_F(StunServerTest, FingerprintedRequestIsAnswered) {
    const Bytes request = fingerprinted_request();
    const Answer answer = answer_to(request);
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_TRUE(answer.echoes_id_of(request));
    EXPECT_EQ(answer.xor_mapped(), client_v4());
}

TEST_F(StunServerTest, ClassicRequestGetsMappedAddress) {
    const Bytes request = classic_header(binding_request_type);
    const Answer answer = answer_to(request);
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.type(), binding_success_type);
    EXPECT_TRUE(answer.echoes_id_of(request));
    EXPECT_EQ(answer.mapped(), client_v4());
    EXPECT_FALSE(answer.has(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS));
    EXPECT_FALSE(answer.has(STUN_ATTRIBUTE_FINGERPRINT));
    EXPECT_FALSE(answer.has(STUN_ATTRIBUTE_SOFTWARE));
    EXPECT_EQ(count(counters_.binding_responses), 1U);
}

TEST_F(StunServerTest, UnknownRequiredAttributeGets420) {
    Bytes request = stun_header(binding_request_type);
    add_attribute(request, unknown_required_attribute, {1, 2, 3, 4});
    const Answer answer = answer_to(request);
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.type(), binding_error_type);
    EXPECT_TRUE(answer.echoes_id_of(request));
    EXPECT_EQ(answer.error_code(), 420);
    EXPECT_EQ(answer.unknown_attributes(), (Bytes{0x00, 0x33}));
    EXPECT_TRUE(answer.ends_with_fingerprint());
    EXPECT_EQ(count(counters_.stun_requests), 1U);
    EXPECT_EQ(count(counters_.error_responses), 1U);
    EXPECT_EQ(count(counters_.binding_responses), 0U);
}

TEST_F(StunServerTest, EveryUnknownRequiredAttributeIsListed) {
    Bytes request = stun_header(binding_request_type);
    add_attribute(request, unknown_required_attribute, {});
    add_attribute(request, unknown_optional_attribute, {});
    add_attribute(request, 0x7fff, {9});
    const Answer answer = answer_to(request);
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.error_code(), 420);
    EXPECT_EQ(answer.unknown_attributes(), (Bytes{0x00, 0x33, 0x7f, 0xff}));
}

TEST_F(StunServerTest, UnknownOptionalAttributeIsIgnored) {
    Bytes request = stun_header(binding_request_type);
    add_attribute(request, unknown_optional_attribute, {1, 2, 3});
    const Answer answer = answer_to(request);
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.type(), binding_success_type);
    EXPECT_EQ(answer.xor_mapped(), client_v4());
    EXPECT_EQ(count(counters_.binding_responses), 1U);
}

TEST_F(StunServerTest, WrongFingerprintIsDropped) {
    Bytes request = fingerprinted_request();
    request.back() ^= 0x01;
    EXPECT_EQ(handle(request), 0U);

    Bytes hand_built = stun_header(binding_request_type);
    add_attribute(hand_built, STUN_ATTRIBUTE_FINGERPRINT, {0xde, 0xad, 0xbe, 0xef});
    EXPECT_EQ(handle(hand_built), 0U);

    EXPECT_EQ(count(counters_.dropped_malformed), 2U);
    EXPECT_EQ(count(counters_.stun_requests), 0U);
}

// Disabled until StunCodec finds FINGERPRINT by walking the attributes: it
// sniffs the last 8 bytes, so an attribute value ending in what looks like a
// FINGERPRINT attribute (a relayed ICE check in a TURN DATA attribute, say)
// makes the message fail the FINGERPRINT check and get dropped.
TEST_F(StunServerTest, ValueEndingLikeFingerprintIsNotAFingerprint) {
    Bytes request = stun_header(binding_request_type);
    add_attribute(request, unknown_optional_attribute, {0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0});
    const Answer answer = answer_to(request);
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.type(), binding_success_type);
    EXPECT_EQ(count(counters_.dropped_malformed), 0U);
}

TEST_F(StunServerTest, BindingIndicationGetsNoAnswer) {
    EXPECT_EQ(handle(stun_header(binding_indication_type)), 0U);
    EXPECT_EQ(count(counters_.stun_requests), 0U);
    EXPECT_EQ(count(counters_.binding_responses), 0U);
}

TEST_F(StunServerTest, ResponsesGetNoAnswer) {
    EXPECT_EQ(handle(stun_header(binding_success_type)), 0U);
    Bytes error = stun_header(binding_error_type);
    add_attribute(error, STUN_ATTRIBUTE_ERROR_CODE, {0, 0, 4, 0});
    EXPECT_EQ(handle(error), 0U);
    EXPECT_EQ(count(counters_.dropped_malformed), 2U);
    EXPECT_EQ(count(counters_.stun_requests), 0U);
}

TEST_F(StunServerTest, UnsupportedMethodGets400) {
    const Bytes request = stun_header(0x000f);
    const Answer answer = answer_to(request);
    ASSERT_TRUE(answer.well_formed()) << answer.status;
    EXPECT_EQ(answer.type(), 0x011f);
    EXPECT_TRUE(answer.echoes_id_of(request));
    EXPECT_EQ(answer.error_code(), 400);
    EXPECT_TRUE(answer.ends_with_fingerprint());
    EXPECT_EQ(count(counters_.stun_requests), 1U);
    EXPECT_EQ(count(counters_.error_responses), 1U);
}

Bytes with_length_field(Bytes message, size_t length) {
    write16(message, 2, length);
    return message;
}

Bytes with_trailing_bytes(Bytes message, size_t extra) {
    message.resize(message.size() + extra, 0);
    return message;
}

TEST_F(StunServerTest, NonStunIsDropped) {
    const Bytes request = stun_header(binding_request_type);
    Bytes overlong_attribute = request;
    add_attribute(overlong_attribute, unknown_optional_attribute, {1, 2, 3, 4});
    write16(overlong_attribute, header_size + 2, 5);
    const std::vector<Bytes> packets = {
        {},
        {0x00},
        Bytes(request.begin(), request.begin() + 19),
        {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'},
        {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03},  // TLS hello
        with_length_field(stun_header(0x8001), 0),                           // RTP-like
        with_length_field(request, 4),                                       // says 4, has 0
        with_length_field(request, 2),                                       // odd length
        with_trailing_bytes(request, 4),                                     // says 0, has 4
        with_trailing_bytes(request, 3),
        overlong_attribute,
    };
    for (const auto& packet : packets) {
        EXPECT_EQ(handle(packet), 0U) << "packet of " << packet.size() << " bytes";
    }
    EXPECT_EQ(count(counters_.dropped_not_stun), packets.size());
    EXPECT_EQ(count(counters_.stun_requests), 0U);
}

TEST_F(StunServerTest, TooSmallOutputBufferSendsNothing) {
    std::array<uint8_t, 24> small{};
    EXPECT_EQ(server_.handle(stun_header(binding_request_type), client_v4(), small), 0U);
    EXPECT_EQ(count(counters_.binding_responses), 0U);
}

// Random input: either dropped, or a request that earns a well-formed answer
// with its transaction ID. Three kinds of buffer: pure noise, a valid header
// followed by random attributes, and a valid request with bytes flipped.
class RandomInput {
  public:
    Bytes noise() {
        Bytes packet(size_(rng_) % 120);
        for (auto& byte : packet) {
            byte = static_cast<uint8_t>(rng_());
        }
        return packet;
    }

    Bytes attribute_soup() {
        static const uint16_t types[] = {
            STUN_ATTRIBUTE_USERNAME,          STUN_ATTRIBUTE_PRIORITY,
            STUN_ATTRIBUTE_SOFTWARE,          STUN_ATTRIBUTE_FINGERPRINT,
            STUN_ATTRIBUTE_MESSAGE_INTEGRITY, unknown_required_attribute,
            unknown_optional_attribute};
        Bytes packet = stun_header(rng_() % 2 == 0 ? binding_request_type : rng_() & 0x3eef);
        for (unsigned n = rng_() % 5; n > 0; --n) {
            Bytes value(rng_() % 24);
            for (auto& byte : value) {
                byte = static_cast<uint8_t>(rng_());
            }
            add_attribute(packet, types[rng_() % std::size(types)], value);
        }
        return packet;
    }

    Bytes mutated(Bytes packet) {
        for (unsigned n = 1 + rng_() % 3; n > 0 && !packet.empty(); --n) {
            packet[rng_() % packet.size()] ^= static_cast<uint8_t>(1 + rng_() % 255);
        }
        return packet;
    }

  private:
    std::mt19937 rng_{20240611};
    std::uniform_int_distribution<size_t> size_{0, 600};
};

bool is_request_framing(std::span<const uint8_t> packet) {
    return packet.size() >= header_size && (packet[0] & 0xc0) == 0 &&
           (read16(packet, 0) & 0x0110) == 0 && read16(packet, 2) + header_size == packet.size();
}

TEST_F(StunServerTest, RandomInputNeverCrashesOrAnswersNonRequests) {
    RandomInput random;
    size_t answered = 0;
    for (int i = 0; i < 6000; ++i) {
        Bytes packet;
        switch (i % 3) {
            case 0:
                packet = random.noise();
                break;
            case 1:
                packet = random.attribute_soup();
                break;
            default:
                packet = random.mutated(random.attribute_soup());
                break;
        }
        const size_t length = handle(packet);
        ASSERT_LE(length, out_.size());
        if (length == 0) {
            continue;
        }
        ++answered;
        ASSERT_TRUE(is_request_framing(packet)) << "answered packet " << i;
        const Answer answer = answer_of_length(length);
        ASSERT_TRUE(answer.well_formed()) << "answer to packet " << i;
        ASSERT_TRUE(answer.echoes_id_of(packet)) << "answer to packet " << i;
    }
    EXPECT_GT(answered, 500U);  // the soup must reach the answering paths
    EXPECT_EQ(count(counters_.stun_requests),
              count(counters_.binding_responses) + count(counters_.error_responses));
    EXPECT_GT(count(counters_.dropped_not_stun), 0U);
    EXPECT_GT(count(counters_.dropped_malformed), 0U);
}

}  // namespace
}  // namespace turnpike::relay
