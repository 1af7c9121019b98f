#include "relay/stun_codec.hpp"

#include "relay/fingerprint.hpp"
#include "relay/message_integrity.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/stun_framing.hpp"

namespace turnpike::relay {

namespace {

constexpr uint16_t fingerprint_type = 0x8028;
constexpr uint16_t software_attribute = 0x8022;

}  // namespace

StunCodec::StunCodec(std::string software) : software_(std::move(software)) {}

bool StunCodec::is_classic(const StunMessage& msg) {
    return !has_magic_cookie({msg.buffer, msg.buffer_len});
}

uint16_t StunCodec::method_of(const StunMessage& msg) {
    const uint16_t type = static_cast<uint16_t>((msg.buffer[0] << 8) | msg.buffer[1]);
    // The class bits (0x0110) sit between the method's three parts.
    return static_cast<uint16_t>(((type & 0x3E00) >> 2) | ((type & 0x00E0) >> 1) | (type & 0x000F));
}

StunValidationStatus StunCodec::validate(std::span<const uint8_t> packet, StunMessage& msg) {
    // What libnice's stun_agent_validate decided for a server's agent (no
    // credentials, FINGERPRINT checked here), in one pass instead of its four
    // walks over the attributes and a list search for each one.
    Framing framing = check_framing(packet);
    if (framing.status == STUN_VALIDATION_NOT_STUN ||
        framing.status == STUN_VALIDATION_INCOMPLETE_STUN) {
        return framing.status;
    }
    // Bytes 4..7 hold the magic cookie in RFC 8489 and a random transaction ID
    // in RFC 3489, whose clients get answers without FINGERPRINT and SOFTWARE.
    bool modern = has_magic_cookie(packet);
    msg.agent = nullptr;
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

StunWriter StunCodec::start(std::span<uint8_t> out, const StunMessage& request,
                            uint16_t class_bits) const {
    const uint16_t request_type =
        static_cast<uint16_t>((request.buffer[0] << 8) | request.buffer[1]);
    StunWriter response(out, static_cast<uint16_t>((request_type & ~0x0110) | class_bits),
                        std::span<const uint8_t, 16>(request.buffer + 4, 16));
    if (!response.classic() && !software_.empty()) {
        response.append(software_attribute, std::string_view(software_));
    }
    return response;
}

StunWriter StunCodec::start_response(std::span<uint8_t> out, const StunMessage& request) const {
    return start(out, request, 0x0100);
}

StunWriter StunCodec::start_error(std::span<uint8_t> out, const StunMessage& request,
                                  int code) const {
    StunWriter response = start(out, request, 0x0110);
    response.append_error_code(code);
    return response;
}

size_t StunCodec::finish(StunWriter& response, const HmacSha1* integrity) {
    size_t length = response.length();
    if (length != 0 && integrity != nullptr) {
        length = append_message_integrity(response.buffer(), length, *integrity);
    }
    // RFC 3489 has no FINGERPRINT; every RFC 8489 answer carries one.
    if (length == 0 || response.classic()) {
        return length;
    }
    return append_fingerprint(response.buffer(), length);
}

size_t StunCodec::unknown_attributes_error(std::span<uint8_t> out,
                                           const StunMessage& request) const {
    // Each unknown comprehension-required type once per appearance, in the
    // request's order, as many as a reasonable answer holds.
    constexpr size_t most = 32;
    uint8_t types[2 * most];
    size_t count = 0;
    for_each_attribute({request.buffer, request.buffer_len}, [&](const AttributeView& a) {
        if (is_unknown_required(a.type) && count < most) {
            types[2 * count] = static_cast<uint8_t>(a.type >> 8);
            types[2 * count + 1] = static_cast<uint8_t>(a.type);
            ++count;
        }
        return true;
    });
    StunWriter response = start_error(out, request, 420);
    // RFC 3489 (section 11.2.9) wants the list a multiple of four bytes: an
    // odd count repeats one type.
    if (response.classic() && count % 2 == 1) {
        types[2 * count] = types[0];
        types[2 * count + 1] = types[1];
        ++count;
    }
    response.append(0x000A, std::span<const uint8_t>(types, 2 * count));
    return finish(response);
}

bool StunCodec::append_mapped_address(StunWriter& response, const SocketAddress& address) {
    if (response.classic()) {
        return response.append_address(STUN_ATTRIBUTE_MAPPED_ADDRESS, address);
    }
    return response.append_xor_address(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, address);
}

}  // namespace turnpike::relay
