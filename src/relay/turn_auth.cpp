#include "relay/turn_auth.hpp"

#include <stun/stunmessage.h>

#include <optional>

#include "relay/message_integrity.hpp"
#include "relay/stun_attributes.hpp"

namespace turnpike::relay {

namespace {

std::string_view as_text(std::span<const uint8_t> value) {
    return {reinterpret_cast<const char*>(value.data()), value.size()};
}

struct AuthAttributes {
    std::optional<std::string_view> username;
    std::optional<std::string_view> realm;
    std::optional<std::string_view> nonce;
    bool integrity = false;
};

AuthAttributes find_auth_attributes(std::span<const uint8_t> request) {
    AuthAttributes found;
    for_each_attribute(request, [&](const AttributeView& a) {
        switch (a.type) {
            case STUN_ATTRIBUTE_USERNAME:
                found.username = as_text(a.value);
                break;
            case STUN_ATTRIBUTE_REALM:
                found.realm = as_text(a.value);
                break;
            case STUN_ATTRIBUTE_NONCE:
                found.nonce = as_text(a.value);
                break;
            case STUN_ATTRIBUTE_MESSAGE_INTEGRITY:
                found.integrity = true;
                return false;  // attributes after it are not covered; ignore them
            default:
                break;
        }
        return true;
    });
    return found;
}

AuthOutcome outcome_of(AuthOutcome::Kind kind) {
    AuthOutcome outcome;
    outcome.kind = kind;
    return outcome;
}

// A REST username's key, derived from the shared secret (a static user's
// was made when the config was loaded).
std::optional<UserKey> rest_key_for(std::string_view username, const TurnSettings& settings,
                                    std::chrono::sys_seconds now) {
    if (!settings.rest_secret) {
        return std::nullopt;
    }
    auto password = rest_password_for(*settings.rest_secret, username, now);
    if (!password) {
        return std::nullopt;
    }
    return UserKey(long_term_key(username, settings.realm, password->view()));
}

}  // namespace

AuthOutcome authenticate(std::span<const uint8_t> request, const TurnSettings& settings,
                         const NonceSource& nonces, const IpAddress& client,
                         std::chrono::sys_seconds now) {
    using Kind = AuthOutcome::Kind;
    AuthAttributes found = find_auth_attributes(request);
    if (!found.integrity) {
        return outcome_of(Kind::challenge);
    }
    if (!found.username || !found.realm || !found.nonce) {
        return outcome_of(Kind::bad_request);
    }
    if (nonces.check(*found.nonce, now, client) != NonceStatus::valid) {
        return outcome_of(Kind::stale_nonce);
    }
    if (*found.realm != settings.realm) {
        return outcome_of(Kind::unauthorized);
    }
    AuthOutcome outcome = outcome_of(Kind::ok);
    outcome.username = *found.username;
    if (auto user = settings.users.find(*found.username); user != settings.users.end()) {
        outcome.configured = &user->second;
    } else {
        outcome.derived = rest_key_for(*found.username, settings, now);
    }
    const UserKey* key = outcome.key();
    if (key == nullptr || !integrity_matches(request, key->integrity)) {
        return outcome_of(Kind::unauthorized);
    }
    return outcome;
}

}  // namespace turnpike::relay
