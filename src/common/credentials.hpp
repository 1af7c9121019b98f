#pragma once

#include <string.h>  // explicit_bzero
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/cidr.hpp"
#include "common/cmac.hpp"
#include "common/hmac.hpp"

// TURN credentials: the crypto the relay checks requests with and the signal
// server mints credentials with. Nothing here logs, and no error message ever
// carries a secret, a password, a key or a MAC.

namespace turnpike {

inline std::span<const uint8_t> byte_span(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// Takes time that depends only on the lengths, so timing a comparison of a
// password or MAC tells an attacker nothing about how much of it matched.
// Lengths are not secret: spans of different sizes compare unequal at once.
bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) noexcept;
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// One-off MACs; hmac.hpp keeps a key ready for many.
Sha1Digest hmac_sha1(std::span<const uint8_t> key, std::span<const uint8_t> data);
Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data);
std::string base64_encode(std::span<const uint8_t> data);  // standard alphabet, padded

// 32 random bytes from OpenSSL's CSPRNG, base64: a secret for one process.
std::string random_secret();

// --- TURN REST API shared secret (coturn's use-auth-secret) ---
//
// username = "<expiry>:<id>" with expiry in unix seconds (or "<expiry>" alone
// when there is no id), password = base64(HMAC-SHA1(secret, username)).

struct RestCredential {
    std::string username;
    std::string password;
    std::chrono::seconds ttl;
};

// Throws std::invalid_argument for an empty secret or a ttl that is not positive.
RestCredential mint_rest_credential(std::string_view secret, std::string_view id,
                                    std::chrono::seconds ttl, std::chrono::sys_seconds now);

// A REST password: base64 of a 20-byte HMAC-SHA1, held inline and wiped
// when it goes.
struct RestPassword {
    static constexpr std::size_t length = 28;
    std::array<char, length> chars{};
    RestPassword() = default;
    RestPassword(const RestPassword& other) = default;
    RestPassword& operator=(const RestPassword& other) = default;
    ~RestPassword() { explicit_bzero(chars.data(), chars.size()); }
    std::string_view view() const { return {chars.data(), chars.size()}; }
};

// The password `username` must present, or nullopt when the username is not
// "<digits>[:<id>]" or its expiry is already past (valid up to and including
// the expiry second, as coturn has it). Also nullopt for an empty secret,
// with which anyone could compute every password. Compare the result with
// constant_time_equal.
std::optional<std::string> rest_password_for(std::string_view secret, std::string_view username,
                                             std::chrono::sys_seconds now);
// The same with the secret keyed once (hmac.hpp), building no string: the
// relay's form, called for every request with a REST username. The caller
// never keys an empty secret.
std::optional<RestPassword> rest_password_for(const HmacSha1& secret, std::string_view username,
                                              std::chrono::sys_seconds now);

// --- Long-term credentials (RFC 8489 section 9.2.2) ---

using LongTermKey = std::array<uint8_t, 16>;

// MD5(username ":" realm ":" password), the HMAC key of MESSAGE-INTEGRITY.
// The inputs are used as given: no SASLprep/OpaqueString processing, which
// changes nothing for the ASCII names and passwords in practice.
LongTermKey long_term_key(std::string_view username, std::string_view realm,
                          std::string_view password);

// --- Nonces (RFC 8489 section 9.2, 438 Stale Nonce) ---

enum class NonceStatus { valid, stale, invalid };

// A nonce's text, held inline so that issuing one allocates nothing.
struct NonceText {
    static constexpr std::size_t length = 48;
    std::array<char, length> chars{};
    std::string_view view() const { return {chars.data(), chars.size()}; }
    operator std::string_view() const { return view(); }  // NOLINT: it is text
};

// Issues nonces that carry their own issue time and a MAC binding it to the
// client's IP address, so checking one needs no server state: 16 hex digits
// of the issue time (unix seconds) and 32 hex digits of
// AES-128-CMAC(key, time || client address), which costs two AES blocks where
// HMAC-SHA256 cost two SHA-256 blocks and a context reset (three nonces per
// allocation: the 401's, then one checked by Allocate and by Refresh). Hex keeps a
// nonce clear of RFC 8489's "obMatJos2" cookie, which a client would read as
// a security-feature announcement.
//
// The key is random per process, so a restart invalidates every nonce and
// clients recover through one 438. Not copyable, so the key exists once; the
// const methods share nothing mutable and are safe from every thread.
class NonceSource {
  public:
    explicit NonceSource(std::chrono::seconds lifetime);
    NonceSource(const NonceSource&) = delete;
    NonceSource& operator=(const NonceSource&) = delete;

    NonceText issue(std::chrono::sys_seconds now, const IpAddress& client) const;
    // invalid: not ours, altered, or issued to another address; stale: ours
    // but older than the lifetime.
    NonceStatus check(std::string_view nonce, std::chrono::sys_seconds now,
                      const IpAddress& client) const;
    std::chrono::seconds lifetime() const { return lifetime_; }

  private:
    std::array<uint8_t, 16> mac(int64_t issued, const IpAddress& client) const;

    std::chrono::seconds lifetime_;
    Cmac128 mac_key_;  // from 16 random bytes
};

}  // namespace turnpike
