#include "relay/stun_codec.hpp"

#include <cstring>

#include "relay/fingerprint.hpp"
#include "relay/message_integrity.hpp"
#include "relay/stun_framing.hpp"

namespace turnpike::relay {

namespace {

constexpr auto base_flags = static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_IGNORE_CREDENTIALS |
                                                             STUN_AGENT_USAGE_NO_INDICATION_AUTH);

constexpr uint16_t fingerprint_type = 0x8028;

}  // namespace

StunCodec::StunCodec(std::string software) : software_(std::move(software)) {
    // FINGERPRINT is checked and added here (fingerprint.hpp), not by libnice.
    stun_agent_init(&modern_, known_attribute_types, STUN_COMPATIBILITY_RFC5389, base_flags);
    stun_agent_init(&classic_, known_attribute_types, STUN_COMPATIBILITY_RFC3489, base_flags);
    if (!software_.empty()) {
        stun_agent_set_software(&modern_, software_.c_str());
    }
}

bool StunCodec::is_classic(const StunMessage& msg) {
    return !stun_message_has_cookie(&msg);
}

StunValidationStatus StunCodec::validate(std::span<const uint8_t> packet, StunMessage& msg) {
    // What libnice's stun_agent_validate decides for these agents' flags
    // (no credentials, no FINGERPRINT of its own), in one pass instead of its
    // four walks over the attributes and a list search for each one.
    Framing framing = check_framing(packet);
    if (framing.status == STUN_VALIDATION_NOT_STUN ||
        framing.status == STUN_VALIDATION_INCOMPLETE_STUN) {
        return framing.status;
    }
    // Bytes 4..7 hold the magic cookie in RFC 8489 and a random transaction ID
    // in RFC 3489; the latter gets the classic agent, whose answers differ.
    static constexpr uint8_t cookie[4] = {0x21, 0x12, 0xA4, 0x42};
    bool modern = std::memcmp(packet.data() + 4, cookie, 4) == 0;
    msg.agent = modern ? &modern_ : &classic_;
    msg.buffer = const_cast<uint8_t*>(packet.data());  // libnice's type; never written through
    msg.buffer_len = packet.size();
    msg.key = nullptr;
    msg.key_len = 0;
    msg.long_term_valid = false;
    // A FINGERPRINT that does not match (or is not four bytes) makes the
    // message a bad request, to be dropped. When present it is the last
    // attribute (RFC 8489 section 14.7).
    if (modern && framing.last_attribute_type == fingerprint_type && !fingerprint_matches(packet)) {
        return STUN_VALIDATION_BAD_REQUEST;
    }
    return framing.status;
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
