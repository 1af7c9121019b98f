#include "common/credentials.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace turnpike {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> repeat(uint8_t byte, std::size_t count) {
    return std::vector<uint8_t>(count, byte);
}

template <std::size_t N>
std::string hex(const std::array<uint8_t, N>& bytes) {
    std::string out;
    for (uint8_t b : bytes) {
        static constexpr char kDigits[] = "0123456789abcdef";
        out += kDigits[b >> 4];
        out += kDigits[b & 0x0F];
    }
    return out;
}

IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value_or(IpAddress{});
}

constexpr std::chrono::sys_seconds at(int64_t unix_seconds) {
    return std::chrono::sys_seconds(std::chrono::seconds(unix_seconds));
}

// --- constant-time comparison ---

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    EXPECT_TRUE(constant_time_equal("secret", "secret"));
    EXPECT_FALSE(constant_time_equal("secret", "secreT"));
    EXPECT_FALSE(constant_time_equal("Secret", "secret"));
    EXPECT_FALSE(constant_time_equal("secret", "secret2"));
    EXPECT_FALSE(constant_time_equal("", "x"));
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal(std::string_view{}, std::string_view{}));
}

// --- HMAC-SHA1: the seven test cases of RFC 2202 section 3 ---

struct HmacVector {
    std::vector<uint8_t> key;
    std::string data;
    std::string digest;
};

TEST(HmacSha1, MatchesRfc2202) {
    std::vector<uint8_t> counting_key;
    for (uint8_t b = 1; b <= 25; ++b) {
        counting_key.push_back(b);
    }
    const std::string dd(50, '\xdd');
    const std::string cd(50, '\xcd');
    const std::vector<HmacVector> vectors = {
        {repeat(0x0b, 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
        {{'J', 'e', 'f', 'e'},
         "what do ya want for nothing?",
         "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
        {repeat(0xaa, 20), dd, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
        {counting_key, cd, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
        {repeat(0x0c, 20), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
        {repeat(0xaa, 80), "Test Using Larger Than Block-Size Key - Hash Key First",
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
        {repeat(0xaa, 80),
         "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
    };
    for (std::size_t i = 0; i < vectors.size(); ++i) {
        EXPECT_EQ(hex(hmac_sha1(vectors[i].key, byte_span(vectors[i].data))), vectors[i].digest)
            << "RFC 2202 test case " << i + 1;
    }
}

TEST(HmacSha1, AcceptsEmptyKeyAndData) {
    // python3 -c 'import hmac; print(hmac.new(b"", b"", "sha1").hexdigest())'
    EXPECT_EQ(hex(hmac_sha1({}, {})), "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

TEST(HmacSha256, MatchesRfc4231Case2) {
    EXPECT_EQ(hex(hmac_sha256(byte_span("Jefe"), byte_span("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// A key set once serves every message after it: nettle resets its context
// after each digest, and mac() must hand out the same MAC each time.
TEST(HmacSha1, KeyedOnceGivesTheSameMacEveryTime) {
    const HmacSha1 keyed(byte_span("Jefe"));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(hex(keyed.mac(byte_span("what do ya want for nothing?"))),
                  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
        EXPECT_EQ(hex(keyed.mac(byte_span("Hi There"))),
                  hex(hmac_sha1(byte_span("Jefe"), byte_span("Hi There"))));
    }
    const HmacSha1 copy = keyed;
    EXPECT_EQ(hex(copy.mac(byte_span("what do ya want for nothing?"))),
              "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(HmacSha1, PartsAreMacedAsOneMessage) {
    const HmacSha1 keyed(byte_span("Jefe"));
    EXPECT_EQ(hex(keyed.mac({byte_span("what do"), byte_span(""), byte_span(" ya want for "),
                             byte_span("nothing?")})),
              "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(HmacSha256, KeyedOnceGivesTheSameMacEveryTime) {
    const HmacSha256 keyed(byte_span("Jefe"));
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(hex(keyed.mac({byte_span("what do ya "), byte_span("want for nothing?")})),
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}

// --- base64 ---

TEST(Base64, EncodesWithPadding) {
    EXPECT_EQ(base64_encode(byte_span("")), "");
    EXPECT_EQ(base64_encode(byte_span("f")), "Zg==");
    EXPECT_EQ(base64_encode(byte_span("fo")), "Zm8=");
    EXPECT_EQ(base64_encode(byte_span("foo")), "Zm9v");
    EXPECT_EQ(base64_encode(byte_span("foobar")), "Zm9vYmFy");
    const std::array<uint8_t, 3> high = {0xFB, 0xFF, 0xBF};
    EXPECT_EQ(base64_encode(high), "+/+/");
}

// --- TURN REST API credentials ---

TEST(RestCredential, MintedCredentialIsAccepted) {
    const auto now = at(1700000000);
    const auto credential = mint_rest_credential("north-wind", "alice", 3600s, now);
    EXPECT_EQ(credential.username, "1700003600:alice");
    EXPECT_EQ(credential.ttl, 3600s);
    // printf '1700003600:alice' | openssl dgst -sha1 -hmac north-wind -binary | base64
    EXPECT_EQ(credential.password, "iRtTIZ3N38dm9S+dP+UkHfnN9Qo=");

    const auto expected = rest_password_for("north-wind", credential.username, now + 10s);
    ASSERT_TRUE(expected);
    EXPECT_TRUE(constant_time_equal(*expected, credential.password));
}

TEST(RestCredential, KeyedSecretGivesTheSamePassword) {
    const auto now = at(1700000000);
    const HmacSha1 secret(byte_span("north-wind"));
    const auto password = rest_password_for(secret, "1700003600:alice", now);
    ASSERT_TRUE(password);
    EXPECT_EQ(password->view(), "iRtTIZ3N38dm9S+dP+UkHfnN9Qo=");
    EXPECT_TRUE(rest_password_for(secret, "1700003600:alice", at(1700003600)));
    EXPECT_FALSE(rest_password_for(secret, "1700003600:alice", at(1700003601)));
    EXPECT_FALSE(rest_password_for(secret, "alice", now));
}

TEST(RestCredential, TamperedPasswordOrUsernameIsRejected) {
    const auto now = at(1700000000);
    const auto credential = mint_rest_credential("north-wind", "alice", 3600s, now);
    auto tampered = credential.password;
    tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
    const auto expected = rest_password_for("north-wind", credential.username, now);
    ASSERT_TRUE(expected);
    EXPECT_FALSE(constant_time_equal(*expected, tampered));
    EXPECT_FALSE(constant_time_equal(*expected, credential.password.substr(1)));

    // Another id, a later expiry, or another secret gives another password.
    for (auto username : {"1700003600:bob", "1700007200:alice"}) {
        const auto other = rest_password_for("north-wind", username, now);
        ASSERT_TRUE(other);
        EXPECT_FALSE(constant_time_equal(*other, credential.password)) << username;
    }
    const auto other_secret = rest_password_for("south-wind", credential.username, now);
    ASSERT_TRUE(other_secret);
    EXPECT_FALSE(constant_time_equal(*other_secret, credential.password));
}

TEST(RestCredential, ExpiredUsernameIsRefused) {
    const auto credential = mint_rest_credential("north-wind", "alice", 60s, at(1700000000));
    EXPECT_TRUE(rest_password_for("north-wind", credential.username, at(1700000060)));
    EXPECT_FALSE(rest_password_for("north-wind", credential.username, at(1700000061)));
    EXPECT_FALSE(rest_password_for("north-wind", "1000:alice", at(1700000000)));
}

TEST(RestCredential, MalformedUsernamesAreRefused) {
    const auto now = at(1700000000);
    for (auto username : {"abc", ":x", "", ":", "abc:1800000000", "-1800000000:x", "+1800000000:x",
                          " 1800000000:x", "18000000x0:x", "99999999999999999999999:x"}) {
        EXPECT_FALSE(rest_password_for("north-wind", username, now)) << username;
    }
    EXPECT_FALSE(rest_password_for("north-wind", "123", now));  // well formed, long expired
}

TEST(RestCredential, IdIsOptional) {
    const auto now = at(1700000000);
    const auto credential = mint_rest_credential("north-wind", "", 60s, now);
    EXPECT_EQ(credential.username, "1700000060");
    const auto expected = rest_password_for("north-wind", credential.username, now);
    ASSERT_TRUE(expected);
    EXPECT_EQ(*expected, credential.password);
    // Ids may hold anything after the first colon; the MAC covers all of it.
    EXPECT_TRUE(rest_password_for("north-wind", "1800000000:a:b c", now));
}

TEST(RestCredential, EmptySecretIsNeverUsed) {
    EXPECT_THROW(mint_rest_credential("", "alice", 60s, at(0)), std::invalid_argument);
    EXPECT_FALSE(rest_password_for("", "1800000000:alice", at(1700000000)));
    EXPECT_THROW(mint_rest_credential("north-wind", "alice", 0s, at(0)), std::invalid_argument);
}

// --- long-term credential key ---

TEST(LongTermKey, IsMd5OfUserRealmPassword) {
    // printf 'user:realm:pass' | md5sum
    EXPECT_EQ(hex(long_term_key("user", "realm", "pass")), "8493fbc53ba582fb4c044c456bdc40eb");
    // printf '::' | md5sum
    EXPECT_EQ(hex(long_term_key("", "", "")), "4501c091b0366d76ea3218b6cfdd8097");
}

// --- nonces ---

TEST(NonceSource, IssuedNonceChecksValidUntilItsLifetimeEnds) {
    const NonceSource nonces(600s);
    const auto client = ip("198.51.100.7");
    const auto issued_at = at(1700000000);
    const std::string nonce(nonces.issue(issued_at, client).view());
    EXPECT_EQ(nonce.size(), 48u);
    EXPECT_EQ(nonce.substr(0, 16), "000000006553f100");  // 1700000000 in hex
    EXPECT_EQ(nonces.check(nonce, issued_at, client), NonceStatus::valid);
    EXPECT_EQ(nonces.check(nonce, issued_at + 600s, client), NonceStatus::valid);
    EXPECT_EQ(nonces.check(nonce, issued_at + 601s, client), NonceStatus::stale);
    EXPECT_EQ(nonces.check(nonce, issued_at + 86400s, client), NonceStatus::stale);
}

TEST(NonceSource, BindsTheClientAddress) {
    const NonceSource nonces(600s);
    const auto now = at(1700000000);
    const auto nonce = nonces.issue(now, ip("198.51.100.7"));
    EXPECT_EQ(nonces.check(nonce, now, ip("198.51.100.8")), NonceStatus::invalid);
    EXPECT_EQ(nonces.check(nonce, now, ip("::ffff:198.51.100.7")), NonceStatus::invalid);
    // The same sixteen bytes as 198.51.100.7 zero-padded: only the family differs.
    EXPECT_EQ(nonces.check(nonce, now, ip("c633:6407::")), NonceStatus::invalid);
    const auto v6 = nonces.issue(now, ip("2001:db8::7"));
    EXPECT_EQ(nonces.check(v6, now, ip("2001:db8::7")), NonceStatus::valid);
    EXPECT_EQ(nonces.check(v6, now, ip("2001:db8::8")), NonceStatus::invalid);
}

TEST(NonceSource, TamperedNoncesAreInvalid) {
    const NonceSource nonces(600s);
    const auto client = ip("198.51.100.7");
    const auto now = at(1700000000);
    const std::string nonce(nonces.issue(now, client).view());

    // Every single-character change, including moving the time forward.
    for (std::size_t i = 0; i < nonce.size(); ++i) {
        auto tampered = nonce;
        tampered[i] = tampered[i] == '0' ? '1' : '0';
        EXPECT_EQ(nonces.check(tampered, now, client), NonceStatus::invalid) << i;
    }
    auto upper = nonce;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (upper != nonce) {
        EXPECT_EQ(nonces.check(upper, now, client), NonceStatus::invalid);
    }
    for (auto bad : {std::string{}, nonce.substr(1), nonce + "0", std::string(48, 'z'),
                     std::string("obMatJos2") + nonce.substr(9)}) {
        EXPECT_EQ(nonces.check(bad, now, client), NonceStatus::invalid) << bad;
    }
}

TEST(NonceSource, KeysDifferPerInstance) {
    const NonceSource first(600s);
    const NonceSource second(600s);
    const auto client = ip("198.51.100.7");
    const auto now = at(1700000000);
    EXPECT_NE(first.issue(now, client).view(), second.issue(now, client).view());
    EXPECT_EQ(second.check(first.issue(now, client), now, client), NonceStatus::invalid);
}

TEST(NonceSource, RejectsANonPositiveLifetime) {
    EXPECT_THROW(NonceSource(0s), std::invalid_argument);
}

// RFC 4493 section 4: the nonce MAC is AES-128-CMAC as specified.
std::vector<uint8_t> from_hex(std::string_view hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

TEST(Cmac128, Rfc4493Examples) {
    Cmac128::Key key{};
    auto k = from_hex("2b7e151628aed2a6abf7158809cf4f3c");
    std::copy(k.begin(), k.end(), key.begin());
    const Cmac128 cmac(key);
    const auto message = from_hex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    struct Example {
        size_t length;
        const char* tag;
    };
    for (auto [length, tag] : {Example{0, "bb1d6929e95937287fa37d129b756746"},
                               Example{16, "070a16b46b4d4144f79bdd9dd04a287c"},
                               Example{40, "dfa66747de9ae63030ca32611497c827"},
                               Example{64, "51f0bebf7e3b9d92fc49741779363cfe"}}) {
        auto got = cmac.mac(std::span(message).first(length));
        EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.end()), from_hex(tag))
            << length << " bytes";
    }
    // The keyed state is untouched by a MAC: the same answer twice.
    EXPECT_EQ(cmac.mac(message), cmac.mac(message));
}

}  // namespace
}  // namespace turnpike
