#pragma once

#include <stun/stunagent.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/address.hpp"
#include "common/hmac.hpp"

namespace turnpike::relay {

// Glue around libnice's STUN library. It holds the agents that build our
// answers (and whose StunMessage the handlers read requests through); the
// checks on incoming messages are Turnpike's own (stun_framing.hpp). One codec
// per worker thread, since libnice agents are not thread-safe.
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

    // Starts a success response to `request` in `out` (SOFTWARE included for
    // RFC 8489 clients). Returns false when `out` is too small.
    bool start_response(StunMessage& response, std::span<uint8_t> out, const StunMessage& request);
    // Starts an error response with ERROR-CODE and its reason phrase.
    bool start_error(StunMessage& response, std::span<uint8_t> out, const StunMessage& request,
                     StunError code);
    // Adds MESSAGE-INTEGRITY when `integrity` is given, then FINGERPRINT for
    // RFC 8489 clients. Returns the message length, 0 when it did not fit.
    size_t finish(StunMessage& response, const HmacSha1* integrity = nullptr);

    // A 420 listing the request's unknown comprehension-required attributes.
    size_t unknown_attributes_error(std::span<uint8_t> out, const StunMessage& request);

    // Appends XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS for classic clients).
    static bool append_mapped_address(StunMessage& response, const SocketAddress& address);

  private:
    StunAgent& agent_for(const StunMessage& request);
    static size_t with_fingerprint(StunMessage& response, size_t length);

    std::string software_;
    StunAgent modern_;   // RFC 8489
    StunAgent classic_;  // RFC 3489
};

}  // namespace turnpike::relay
