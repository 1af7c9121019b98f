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

// The user's key, ready for HMAC: a static user's was made when the config
// was loaded; a REST username's is derived from the shared secret here.
std::optional<UserKey> key_for(std::string_view username, const TurnSettings& settings,
                               std::chrono::sys_seconds now) {
    if (auto user = settings.users.find(username); user != settings.users.end()) {
        return user->second;
    }
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
        return AuthOutcome{Kind::challenge, {}, {}};
    }
    if (!found.username || !found.realm || !found.nonce) {
        return AuthOutcome{Kind::bad_request, {}, {}};
    }
    if (nonces.check(*found.nonce, now, client) != NonceStatus::valid) {
        return AuthOutcome{Kind::stale_nonce, {}, {}};
    }
    if (*found.realm != settings.realm) {
        return AuthOutcome{Kind::unauthorized, {}, {}};
    }
    auto key = key_for(*found.username, settings, now);
    if (!key || !integrity_matches(request, key->integrity)) {
        return AuthOutcome{Kind::unauthorized, {}, {}};
    }
    return {Kind::ok, *found.username, std::move(key)};
}

}  // namespace turnpike::relay
