#include "relay/turn_auth.hpp"

#include <stun/stunmessage.h>

#include <optional>

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

std::optional<LongTermKey> key_for(std::string_view username, const TurnSettings& settings,
                                   std::chrono::sys_seconds now) {
    if (auto user = settings.users.find(std::string(username)); user != settings.users.end()) {
        return user->second;
    }
    if (settings.rest_secret.empty()) {
        return std::nullopt;
    }
    auto password = rest_password_for(settings.rest_secret, username, now);
    if (!password) {
        return std::nullopt;
    }
    return long_term_key(username, settings.realm, *password);
}

}  // namespace

bool integrity_matches(std::span<const uint8_t> request, const LongTermKey& key,
                       std::vector<uint8_t>& scratch) {
    std::optional<AttributeView> integrity;
    for_each_attribute(request, [&](const AttributeView& a) {
        if (a.type == STUN_ATTRIBUTE_MESSAGE_INTEGRITY) {
            integrity = a;
            return false;
        }
        return true;
    });
    if (!integrity || integrity->value.size() != 20) {
        return false;
    }
    // The HMAC covers the message up to MESSAGE-INTEGRITY, with the length
    // field saying the message ends right after it (RFC 8489 section 14.5).
    scratch.assign(request.begin(), request.begin() + static_cast<long>(integrity->offset));
    uint16_t length = static_cast<uint16_t>(integrity->offset + 24 - 20);
    scratch[2] = static_cast<uint8_t>(length >> 8);
    scratch[3] = static_cast<uint8_t>(length);
    Sha1Digest expected = hmac_sha1(key, scratch);
    return constant_time_equal(expected, integrity->value);
}

AuthOutcome authenticate(std::span<const uint8_t> request, const TurnSettings& settings,
                         const NonceSource& nonces, const IpAddress& client,
                         std::chrono::sys_seconds now, std::vector<uint8_t>& scratch) {
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
    if (!key || !integrity_matches(request, *key, scratch)) {
        return AuthOutcome{Kind::unauthorized, {}, {}};
    }
    return {Kind::ok, *found.username, *key};
}

}  // namespace turnpike::relay
