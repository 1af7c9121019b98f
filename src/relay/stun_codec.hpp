#pragma once

#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/address.hpp"
#include "common/hmac.hpp"
#include "relay/stun_writer.hpp"

namespace turnpike::relay {

// Checks incoming STUN messages (stun_framing.hpp) and starts and finishes
// the answers (stun_writer.hpp) as RFC 8489 or RFC 3489 clients expect them.
// Requests are read through libnice's StunMessage view (class, method,
// transaction ID), which needs no agent.
class StunCodec {
  public:
    explicit StunCodec(std::string software);
    StunCodec(const StunCodec&) = delete;
    StunCodec& operator=(const StunCodec&) = delete;

    // Checks framing, the magic cookie, FINGERPRINT (when present) and
    // comprehension-required attributes. On any result but NOT_STUN and
    // INCOMPLETE_STUN, `msg` refers into `packet` and can be answered.
    StunValidationStatus validate(std::span<const uint8_t> packet, StunMessage& msg);

    // Whether `msg` is a classic RFC 3489 message (no magic cookie).
    static bool is_classic(const StunMessage& msg);
    // The method's 12 bits (RFC 8489 section 5). An integer, not libnice's
    // StunMethod: a client may send any method, and a value that is no
    // enumerator of StunMethod must not be held in one.
    static uint16_t method_of(const StunMessage& msg);

    // Starts a success response to `request` in `out` (SOFTWARE included for
    // RFC 8489 clients); its length() is 0 when `out` is too small.
    StunWriter start_response(std::span<uint8_t> out, const StunMessage& request) const;
    // Starts an error response with ERROR-CODE and its reason phrase.
    StunWriter start_error(std::span<uint8_t> out, const StunMessage& request, int code) const;
    // Adds MESSAGE-INTEGRITY when `integrity` is given, then FINGERPRINT for
    // RFC 8489 clients. Returns the message length, 0 when it did not fit.
    static size_t finish(StunWriter& response, const HmacSha1* integrity = nullptr);

    // A 420 listing the request's unknown comprehension-required attributes.
    size_t unknown_attributes_error(std::span<uint8_t> out, const StunMessage& request) const;

    // Appends XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS for classic clients).
    static bool append_mapped_address(StunWriter& response, const SocketAddress& address);

  private:
    StunWriter start(std::span<uint8_t> out, const StunMessage& request, uint16_t class_bits) const;

    std::string software_;
};

}  // namespace turnpike::relay
