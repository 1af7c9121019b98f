#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/address.hpp"

namespace turnpike::relay {

// Writes one STUN message into a caller's buffer (RFC 8489 sections 5 and
// 14): the header, then attributes with their padding (zeros), the length
// field kept current. Nothing allocates. An attribute that does not fit
// fails, and so does everything after it: length() is then 0, so a caller
// may append several attributes and check once.
class StunWriter {
  public:
    // A message of `type` (class and method bits) with `transaction`, the 16
    // bytes after the length field: the magic cookie and the transaction ID,
    // or an RFC 3489 client's 128-bit ID.
    StunWriter(std::span<uint8_t> out, uint16_t type, std::span<const uint8_t, 16> transaction);

    bool append(uint16_t type, std::span<const uint8_t> value);
    bool append(uint16_t type, std::string_view text);
    bool append_u32(uint16_t type, uint32_t value);
    // XOR-MAPPED-ADDRESS and the like (section 14.2).
    bool append_xor_address(uint16_t type, const SocketAddress& address);
    // MAPPED-ADDRESS (section 14.1), for RFC 3489 clients.
    bool append_address(uint16_t type, const SocketAddress& address);
    // ERROR-CODE (section 14.8) with the RFC's reason phrase for `code`.
    bool append_error_code(int code);

    // The message's length so far, header included; 0 after a failure.
    size_t length() const { return failed_ ? 0 : length_; }
    std::span<uint8_t> buffer() const { return out_; }
    // Whether the message has no magic cookie (an answer to RFC 3489).
    bool classic() const;

  private:
    uint8_t* reserve(uint16_t type, size_t value_length);
    uint8_t* reserve_address(uint16_t type, const SocketAddress& address);

    std::span<uint8_t> out_;
    size_t length_ = 0;
    bool failed_ = false;
};

// The reason phrase RFC 8489 and RFC 8656 give an error code.
std::string_view reason_phrase(int code);

}  // namespace turnpike::relay
