#pragma once
// MESSAGE-INTEGRITY (RFC 8489 section 14.5): HMAC-SHA1, keyed with the
// long-term key, over the message up to the attribute, with the header's
// length field counting the message up to the attribute's end. Checked and
// added here rather than by libnice, which compares with a plain memcmp and
// sets up a fresh HMAC (and allocates) for every message.

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/hmac.hpp"

namespace turnpike::relay {

// Whether `message` (framing already checked) carries a MESSAGE-INTEGRITY
// that `key` produced. Compared in constant time.
bool integrity_matches(std::span<const uint8_t> message, const HmacSha1& key);

// Appends MESSAGE-INTEGRITY to the `length` bytes of a message in `buffer`,
// fixing the header's length field. Returns the new length, 0 when it does
// not fit.
size_t append_message_integrity(std::span<uint8_t> buffer, size_t length, const HmacSha1& key);

}  // namespace turnpike::relay
