// authenticate() and integrity_matches(): the long-term credential mechanism
// (RFC 8489 section 9.2) for static users and TURN REST usernames, driven
// with messages built by hand.

#include "relay/turn_auth.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "turn_test_message.hpp"

namespace turnpike::relay {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::Message;
namespace stun = test::stun;
using Kind = AuthOutcome::Kind;

const std::string realm = "example.org";
const std::string rest_secret = "rest-secret";
const std::chrono::sys_seconds now{std::chrono::seconds(1'700'000'000)};

IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value();
}

const IpAddress client = ip("192.0.2.10");

TurnSettings settings() {
    TurnSettings s{.realm = realm,
                   .users = {},
                   .rest_secret = HmacSha1(byte_span(rest_secret)),
                   .quotas = {},
                   .policy = PeerPolicy({}, {}, false),
                   .relay_ip = {},
                   .external_ip = {},
                   .min_port = 49152,
                   .max_port = 65535,
                   .workers = 1,
                   .coalescing = {}};
    s.users.emplace("alice", UserKey(long_term_key("alice", realm, "alice-pw")));
    return s;
}

class TurnAuth : public ::testing::Test {
  protected:
    // An Allocate request signed with `password` for `user`, with a nonce
    // issued to the test client just now.
    Message signed_allocate(std::string_view user, std::string_view password,
                            std::string_view message_realm = realm) {
        Message m(stun::allocate);
        m.add_u32(stun::requested_transport, stun::transport_udp)
            .credentials(user, message_realm, nonce())
            .integrity(long_term_key(user, message_realm, password));
        return m;
    }
    std::string nonce() const { return std::string(nonces.issue(now, client).view()); }

    AuthOutcome check(const Bytes& request) {
        return authenticate(request, turn, nonces, client, now);
    }

    TurnSettings turn = settings();
    NonceSource nonces{600s};
};

// --- what is missing ---

TEST_F(TurnAuth, RequestWithoutMessageIntegrityIsChallenged) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).credentials("alice", realm, nonce());
    EXPECT_EQ(check(m).kind, Kind::challenge);
}

TEST_F(TurnAuth, BareRequestIsChallenged) {
    EXPECT_EQ(check(Message(stun::allocate)).kind, Kind::challenge);
}

TEST_F(TurnAuth, IntegrityWithoutNonceIsBadRequest) {
    Message m(stun::allocate);
    m.add_text(stun::username, "alice")
        .add_text(stun::realm, realm)
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(check(m).kind, Kind::bad_request);
}

TEST_F(TurnAuth, IntegrityWithoutRealmIsBadRequest) {
    Message m(stun::allocate);
    m.add_text(stun::username, "alice")
        .add_text(stun::nonce, nonce())
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(check(m).kind, Kind::bad_request);
}

TEST_F(TurnAuth, IntegrityWithoutUsernameIsBadRequest) {
    Message m(stun::allocate);
    m.add_text(stun::realm, realm)
        .add_text(stun::nonce, nonce())
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(check(m).kind, Kind::bad_request);
}

TEST_F(TurnAuth, CredentialsAfterIntegrityAreIgnored) {
    // RFC 8489 section 14.5: attributes after MESSAGE-INTEGRITY are not
    // covered by it, so USERNAME, REALM and NONCE there do not count.
    Message m(stun::allocate);
    m.integrity(long_term_key("alice", realm, "alice-pw")).credentials("alice", realm, nonce());
    EXPECT_EQ(check(m).kind, Kind::bad_request);
}

// --- nonces ---

TEST_F(TurnAuth, ExpiredNonceIsStale) {
    NonceSource short_lived(1s);
    Message m(stun::allocate);
    m.credentials("alice", realm, short_lived.issue(now, client))
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(authenticate(m.bytes(), turn, short_lived, client, now).kind, Kind::ok);
    EXPECT_EQ(authenticate(m.bytes(), turn, short_lived, client, now + 2s).kind, Kind::stale_nonce);
}

TEST_F(TurnAuth, NonceIssuedToAnotherClientIsStale) {
    Message m(stun::allocate);
    m.credentials("alice", realm, nonces.issue(now, ip("192.0.2.11")))
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(check(m).kind, Kind::stale_nonce);
}

TEST_F(TurnAuth, NonceFromAnotherServerIsStale) {
    NonceSource other(600s);
    Message m(stun::allocate);
    m.credentials("alice", realm, other.issue(now, client))
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(check(m).kind, Kind::stale_nonce);
}

TEST_F(TurnAuth, GarbageNonceIsStale) {
    Message m(stun::allocate);
    m.credentials("alice", realm, "obviously-not-a-nonce")
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(check(m).kind, Kind::stale_nonce);
}

// --- static users ---

TEST_F(TurnAuth, StaticUserWithRightPasswordIsAccepted) {
    Message m = signed_allocate("alice", "alice-pw");
    AuthOutcome outcome = check(m);
    ASSERT_EQ(outcome.kind, Kind::ok);
    EXPECT_EQ(outcome.username, "alice");
    ASSERT_NE(outcome.key(), nullptr);
    EXPECT_EQ(outcome.key()->key, long_term_key("alice", realm, "alice-pw"));
}

TEST_F(TurnAuth, UsernamePointsIntoTheRequest) {
    Message m = signed_allocate("alice", "alice-pw");
    AuthOutcome outcome = check(m);
    ASSERT_EQ(outcome.kind, Kind::ok);
    const auto* begin = reinterpret_cast<const char*>(m.bytes().data());
    EXPECT_GE(outcome.username.data(), begin);
    EXPECT_LT(outcome.username.data(), begin + m.bytes().size());
}

TEST_F(TurnAuth, StaticUserWithWrongPasswordIsUnauthorized) {
    EXPECT_EQ(check(signed_allocate("alice", "wrong")).kind, Kind::unauthorized);
}

TEST_F(TurnAuth, UnknownUserIsUnauthorized) {
    EXPECT_EQ(check(signed_allocate("mallory", "alice-pw")).kind, Kind::unauthorized);
}

TEST_F(TurnAuth, WrongRealmIsUnauthorized) {
    // Signed consistently for the other realm: only the realm is wrong.
    EXPECT_EQ(check(signed_allocate("alice", "alice-pw", "evil.example")).kind, Kind::unauthorized);
}

TEST_F(TurnAuth, RealmAttributeMustMatchEvenWhenTheKeyDoes) {
    // Signed with alice's real key, but naming another realm: the realm
    // check alone refuses it.
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .credentials("alice", "evil.example", nonce())
        .integrity(long_term_key("alice", realm, "alice-pw"));
    EXPECT_EQ(check(m).kind, Kind::unauthorized);
}

TEST_F(TurnAuth, FailedOutcomesCarryNoKey) {
    AuthOutcome outcome = check(signed_allocate("alice", "wrong"));
    EXPECT_EQ(outcome.key(), nullptr);
    EXPECT_TRUE(outcome.username.empty());
}

// --- TURN REST usernames ---

TEST_F(TurnAuth, RestCredentialIsAccepted) {
    RestCredential c = mint_rest_credential(rest_secret, "user42", 3600s, now);
    AuthOutcome outcome = check(signed_allocate(c.username, c.password));
    ASSERT_EQ(outcome.kind, Kind::ok);
    EXPECT_EQ(outcome.username, c.username);
    ASSERT_NE(outcome.key(), nullptr);
    EXPECT_EQ(outcome.key()->key, long_term_key(c.username, realm, c.password));
}

TEST_F(TurnAuth, ExpiredRestCredentialIsUnauthorized) {
    RestCredential c = mint_rest_credential(rest_secret, "user42", 3600s, now - 7200s);
    EXPECT_EQ(check(signed_allocate(c.username, c.password)).kind, Kind::unauthorized);
}

TEST_F(TurnAuth, RestCredentialFromAnotherSecretIsUnauthorized) {
    RestCredential c = mint_rest_credential("other-secret", "user42", 3600s, now);
    EXPECT_EQ(check(signed_allocate(c.username, c.password)).kind, Kind::unauthorized);
}

TEST_F(TurnAuth, RestCredentialWithoutConfiguredSecretIsUnauthorized) {
    turn.rest_secret.reset();
    RestCredential c = mint_rest_credential(rest_secret, "user42", 3600s, now);
    EXPECT_EQ(check(signed_allocate(c.username, c.password)).kind, Kind::unauthorized);
}

// --- integrity ---

TEST_F(TurnAuth, TamperedValueBeforeIntegrityIsUnauthorized) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add_u32(stun::lifetime, 600)
        .credentials("alice", realm, nonce())
        .integrity(long_term_key("alice", realm, "alice-pw"));
    ASSERT_EQ(check(m).kind, Kind::ok);
    // Byte 20 + 4 + 3 is the last byte of REQUESTED-TRANSPORT's value.
    for (size_t at : {size_t{0}, size_t{1}, size_t{4}, size_t{8}, size_t{19}, size_t{27},
                      size_t{32}, size_t{35}}) {
        Bytes tampered = m.bytes();
        tampered[at] ^= 0x01;
        EXPECT_EQ(check(tampered).kind, Kind::unauthorized) << "byte " << at;
    }
}

TEST_F(TurnAuth, TamperingAnyByteBeforeIntegrityIsRefused) {
    // Every byte up to MESSAGE-INTEGRITY is covered, padding included, except
    // the length field, which the check rewrites (RFC 8489 section 14.5).
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add_text(stun::software, "abc")  // one byte of padding
        .credentials("alice", realm, nonce())
        .integrity(long_term_key("alice", realm, "alice-pw"));
    ASSERT_EQ(check(m).kind, Kind::ok);
    const size_t integrity_at = m.bytes().size() - 24;
    for (size_t at = 0; at < integrity_at; ++at) {
        if (at == 2 || at == 3) {
            continue;
        }
        Bytes tampered = m.bytes();
        tampered[at] ^= 0x01;
        EXPECT_NE(check(tampered).kind, Kind::ok) << "byte " << at;
    }
}

TEST_F(TurnAuth, TamperedIntegrityIsUnauthorized) {
    Message m = signed_allocate("alice", "alice-pw");
    Bytes tampered = m.bytes();
    tampered.back() ^= 0x80;
    EXPECT_EQ(check(tampered).kind, Kind::unauthorized);
}

TEST_F(TurnAuth, FingerprintAfterIntegrityDoesNotBreakTheCheck) {
    Message m = signed_allocate("alice", "alice-pw");
    m.fingerprint();
    EXPECT_EQ(check(m).kind, Kind::ok);
}

TEST_F(TurnAuth, AnyAttributeAfterIntegrityIsIgnored) {
    Message m = signed_allocate("alice", "alice-pw");
    m.add_text(stun::software, "added by a middlebox").add_u32(stun::lifetime, 0);
    EXPECT_EQ(check(m).kind, Kind::ok);
}

// --- integrity_matches on its own ---

TEST(IntegrityMatches, AcceptsTheKeyThatSignedIt) {
    const LongTermKey key = long_term_key("u", "r", "p");
    Message m(stun::refresh);
    m.add_u32(stun::lifetime, 0).integrity(key);
    EXPECT_TRUE(integrity_matches(m.bytes(), HmacSha1(key)));
}

TEST(IntegrityMatches, RefusesAnotherKey) {
    Message m(stun::refresh);
    m.add_u32(stun::lifetime, 0).integrity(long_term_key("u", "r", "p"));
    EXPECT_FALSE(integrity_matches(m.bytes(), HmacSha1(long_term_key("u", "r", "q"))));
}

TEST(IntegrityMatches, RefusesAMessageWithoutIntegrity) {
    Message m(stun::refresh);
    m.add_u32(stun::lifetime, 0);
    EXPECT_FALSE(integrity_matches(m.bytes(), HmacSha1(LongTermKey{})));
}

TEST(IntegrityMatches, RefusesATruncatedIntegrity) {
    const LongTermKey key = long_term_key("u", "r", "p");
    Message signed_message(stun::refresh);
    signed_message.add_u32(stun::lifetime, 0).integrity(key);
    // The same HMAC cut to 16 bytes.
    Bytes mac(signed_message.bytes().end() - 20, signed_message.bytes().end() - 4);
    Message m(stun::refresh, signed_message.id());
    m.add_u32(stun::lifetime, 0).add(stun::message_integrity, mac);
    EXPECT_FALSE(integrity_matches(m.bytes(), HmacSha1(key)));
}

TEST(IntegrityMatches, IgnoresFingerprintAfterIt) {
    const LongTermKey key = long_term_key("u", "r", "p");
    Message m(stun::refresh);
    m.add_u32(stun::lifetime, 0).integrity(key).fingerprint();
    EXPECT_TRUE(integrity_matches(m.bytes(), HmacSha1(key)));
}

TEST(IntegrityMatches, ChecksOnlyTheFirstIntegrity) {
    const LongTermKey key = long_term_key("u", "r", "p");
    Message m(stun::refresh);
    m.add_u32(stun::lifetime, 0).integrity(key).integrity(long_term_key("u", "r", "x"));
    EXPECT_TRUE(integrity_matches(m.bytes(), HmacSha1(key)));
}

}  // namespace
}  // namespace turnpike::relay
