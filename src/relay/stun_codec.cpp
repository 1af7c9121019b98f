#include "relay/stun_codec.hpp"

#include <cstring>

#include "relay/fingerprint.hpp"
#include "relay/message_integrity.hpp"
#include "relay/stun_attributes.hpp"

namespace turnpike::relay {

const uint16_t known_attributes[] = {
    STUN_ATTRIBUTE_MAPPED_ADDRESS,
    STUN_ATTRIBUTE_USERNAME,
    STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_ERROR_CODE,
    STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
    STUN_ATTRIBUTE_CHANNEL_NUMBER,
    STUN_ATTRIBUTE_LIFETIME,
    STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
    STUN_ATTRIBUTE_DATA,
    STUN_ATTRIBUTE_REALM,
    STUN_ATTRIBUTE_NONCE,
    STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
    0x0017,  // REQUESTED-ADDRESS-FAMILY (RFC 8656)
    STUN_ATTRIBUTE_EVEN_PORT,
    STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
    STUN_ATTRIBUTE_DONT_FRAGMENT,
    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
    STUN_ATTRIBUTE_RESERVATION_TOKEN,
    0x001C,  // MESSAGE-INTEGRITY-SHA256 (RFC 8489)
    0x001D,  // PASSWORD-ALGORITHM (RFC 8489)
    0x001E,  // USERHASH (RFC 8489)
    STUN_ATTRIBUTE_PRIORITY,
    STUN_ATTRIBUTE_USE_CANDIDATE,
    0,
};

namespace {

constexpr auto base_flags = static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_IGNORE_CREDENTIALS |
                                                             STUN_AGENT_USAGE_NO_INDICATION_AUTH);

constexpr uint16_t fingerprint_type = 0x8028;

// FINGERPRINT, when present, is the last attribute (RFC 8489 section 14.7).
bool ends_with_fingerprint(std::span<const uint8_t> packet) {
    return last_attribute_type(packet) == fingerprint_type;
}

}  // namespace

StunCodec::StunCodec(std::string software) : software_(std::move(software)) {
    // FINGERPRINT is checked and added here (fingerprint.hpp), not by libnice.
    stun_agent_init(&modern_, known_attributes, STUN_COMPATIBILITY_RFC5389, base_flags);
    stun_agent_init(&classic_, known_attributes, STUN_COMPATIBILITY_RFC3489, base_flags);
    if (!software_.empty()) {
        stun_agent_set_software(&modern_, software_.c_str());
    }
}

bool StunCodec::is_classic(const StunMessage& msg) {
    return !stun_message_has_cookie(&msg);
}

StunValidationStatus StunCodec::validate(std::span<const uint8_t> packet, StunMessage& msg) {
    if (packet.size() < 20) {
        return STUN_VALIDATION_NOT_STUN;
    }
    // Bytes 4..7 hold the magic cookie in RFC 8489 and a random transaction ID
    // in RFC 3489; the latter gets the classic agent.
    static constexpr uint8_t cookie[4] = {0x21, 0x12, 0xA4, 0x42};
    bool modern = std::memcmp(packet.data() + 4, cookie, 4) == 0;
    auto status = stun_agent_validate(modern ? &modern_ : &classic_, &msg, packet.data(),
                                      packet.size(), nullptr, nullptr);
    if (status == STUN_VALIDATION_NOT_STUN || status == STUN_VALIDATION_INCOMPLETE_STUN) {
        return status;
    }
    // As libnice would have it: a FINGERPRINT that does not match (or is not
    // four bytes) makes the message a bad request, to be dropped.
    if (modern && ends_with_fingerprint(packet) && !fingerprint_matches(packet)) {
        return STUN_VALIDATION_BAD_REQUEST;
    }
    return status;
}

StunAgent& StunCodec::agent_for(const StunMessage& request) {
    return is_classic(request) ? classic_ : modern_;
}

bool StunCodec::start_response(StunMessage& response, std::span<uint8_t> out,
                               const StunMessage& request) {
    return stun_agent_init_response(&agent_for(request), &response, out.data(), out.size(),
                                    &request);
}

bool StunCodec::start_error(StunMessage& response, std::span<uint8_t> out,
                            const StunMessage& request, StunError code) {
    return stun_agent_init_error(&agent_for(request), &response, out.data(), out.size(), &request,
                                 code);
}

size_t StunCodec::finish(StunMessage& response, const HmacSha1* integrity) {
    // With no key libnice only closes the message (requests and responses
    // were validated without credentials, so none rides on `response`).
    size_t length = stun_agent_finish_message(response.agent, &response, nullptr, 0);
    if (length != 0 && integrity != nullptr) {
        length =
            append_message_integrity({response.buffer, response.buffer_len}, length, *integrity);
    }
    return with_fingerprint(response, length);
}

size_t StunCodec::unknown_attributes_error(std::span<uint8_t> out, const StunMessage& request) {
    StunMessage response;
    size_t length = stun_agent_build_unknown_attributes_error(&agent_for(request), &response,
                                                              out.data(), out.size(), &request);
    return with_fingerprint(response, length);
}

// RFC 3489 has no FINGERPRINT; every RFC 8489 answer carries one.
size_t StunCodec::with_fingerprint(StunMessage& response, size_t length) {
    if (length == 0 || is_classic(response)) {
        return length;
    }
    return append_fingerprint({response.buffer, response.buffer_len}, length);
}

bool StunCodec::append_mapped_address(StunMessage& response, const SocketAddress& address) {
    if (is_classic(response)) {
        return stun_message_append_addr(&response, STUN_ATTRIBUTE_MAPPED_ADDRESS,
                                        address.sockaddr_ptr(),
                                        address.length()) == STUN_MESSAGE_RETURN_SUCCESS;
    }
    sockaddr_storage storage{};
    std::memcpy(&storage, address.sockaddr_ptr(), address.length());
    return stun_message_append_xor_addr(&response, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &storage,
                                        address.length()) == STUN_MESSAGE_RETURN_SUCCESS;
}

}  // namespace turnpike::relay
