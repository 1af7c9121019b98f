#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string_view>

#include "common/credentials.hpp"
#include "relay/message_integrity.hpp"
#include "relay/turn_settings.hpp"

namespace turnpike::relay {

// The long-term credential mechanism (RFC 8489 section 9.2) for static users
// and TURN REST usernames. MESSAGE-INTEGRITY is checked here, in constant
// time, rather than by libnice (whose comparison is a plain memcmp).
struct AuthOutcome {
    enum class Kind {
        ok,
        challenge,     // no MESSAGE-INTEGRITY: 401 with REALM and NONCE
        unauthorized,  // unknown user, expired REST username, wrong realm or key: 401
        stale_nonce,   // 438 with a fresh NONCE
        bad_request,   // MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400
    };
    Kind kind = Kind::challenge;
    std::string_view username;  // points into the request
    // Set when ok: answers carry MESSAGE-INTEGRITY with it. A static user's
    // key is the settings' own, not a copy per request (it is some 300
    // bytes of HMAC state); a REST username's is derived for the request.
    const UserKey* key() const { return derived ? &*derived : configured; }
    const UserKey* configured = nullptr;
    std::optional<UserKey> derived;
};

AuthOutcome authenticate(std::span<const uint8_t> request, const TurnSettings& settings,
                         const NonceSource& nonces, const IpAddress& client,
                         std::chrono::sys_seconds now);

}  // namespace turnpike::relay
