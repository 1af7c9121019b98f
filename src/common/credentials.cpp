#include "common/credentials.hpp"

#include <nettle/md5.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <charconv>
#include <climits>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace turnpike {

namespace {

// OpenSSL wants a pointer even for zero bytes.
constexpr uint8_t kNoBytes[1] = {0};

const uint8_t* non_null(std::span<const uint8_t> bytes) {
    return bytes.empty() ? kNoBytes : bytes.data();
}

int checked_int(std::size_t size) {
    if (size > INT_MAX) {
        throw std::length_error("input too large for OpenSSL");
    }
    return static_cast<int>(size);
}

template <std::size_t N>
void cleanse(std::array<uint8_t, N>& secret) {
    OPENSSL_cleanse(secret.data(), secret.size());
}

RestPassword rest_password(const HmacSha1& secret, std::string_view username) {
    auto digest = secret.mac(byte_span(username));
    // EVP_EncodeBlock writes a terminating NUL after the text.
    std::array<char, RestPassword::length + 1> text{};
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), digest.data(),
                    static_cast<int>(digest.size()));
    RestPassword password;
    std::copy_n(text.begin(), RestPassword::length, password.chars.begin());
    explicit_bzero(text.data(), text.size());
    cleanse(digest);
    return password;
}

// The expiry at the front of a REST username, or nullopt if there is none.
std::optional<int64_t> rest_expiry(std::string_view username) {
    const auto digits = username.substr(0, username.find(':'));
    const bool all_digits =
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    int64_t expiry = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), expiry);
    if (digits.empty() || !all_digits || ec != std::errc{} ||
        end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return expiry;
}

constexpr char kHexDigits[] = "0123456789abcdef";

// `value` as out.size() hex digits, most significant first.
void put_hex(uint64_t value, std::span<char> out) {
    for (auto digit = out.rbegin(); digit != out.rend(); ++digit) {
        *digit = kHexDigits[value & 0x0F];
        value >>= 4;
    }
}

void put_hex(std::span<const uint8_t> bytes, std::span<char> out) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = kHexDigits[bytes[i] >> 4];
        out[2 * i + 1] = kHexDigits[bytes[i] & 0x0F];
    }
}

// A key no one else has, turned into CMAC state at once and wiped.
Cmac128 random_nonce_key() {
    Cmac128::Key key{};
    if (RAND_bytes(key.data(), checked_int(key.size())) != 1) {
        throw std::runtime_error("OpenSSL could not supply random bytes for the nonce key");
    }
    Cmac128 keyed(key);
    OPENSSL_cleanse(key.data(), key.size());
    return keyed;
}

constexpr std::size_t kNonceTimeDigits = 16;
constexpr std::size_t kNonceLength = NonceText::length;
static_assert(kNonceLength == kNonceTimeDigits + 2 * 16);

std::optional<int64_t> nonce_issue_time(std::string_view nonce) {
    const auto digits = nonce.substr(0, kNonceTimeDigits);
    uint64_t issued = 0;
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), issued, 16);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return static_cast<int64_t>(issued);
}

int64_t unix_seconds(std::chrono::sys_seconds time) {
    return time.time_since_epoch().count();
}

}  // namespace

bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    return constant_time_equal(byte_span(a), byte_span(b));
}

Sha1Digest hmac_sha1(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    return HmacSha1(key).mac(data);
}

Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    return HmacSha256(key).mac(data);
}

std::string base64_encode(std::span<const uint8_t> data) {
    const int input_length = checked_int(data.size());
    // EVP_EncodeBlock writes a terminating NUL after the text.
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), non_null(data), input_length);
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::string random_secret() {
    std::array<uint8_t, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("OpenSSL could not supply random bytes for a secret");
    }
    return base64_encode(bytes);
}

RestCredential mint_rest_credential(std::string_view secret, std::string_view id,
                                    std::chrono::seconds ttl, std::chrono::sys_seconds now) {
    if (secret.empty()) {
        throw std::invalid_argument("the TURN shared secret is empty");
    }
    if (ttl <= std::chrono::seconds::zero()) {
        throw std::invalid_argument("a TURN credential's lifetime must be positive");
    }
    const auto expiry = unix_seconds(now + ttl);
    auto username = id.empty() ? fmt::format("{}", expiry) : fmt::format("{}:{}", expiry, id);
    std::string password(rest_password(HmacSha1(byte_span(secret)), username).view());
    return {std::move(username), std::move(password), ttl};
}

std::optional<RestPassword> rest_password_for(const HmacSha1& secret, std::string_view username,
                                              std::chrono::sys_seconds now) {
    const auto expiry = rest_expiry(username);
    if (!expiry || *expiry < unix_seconds(now)) {
        return std::nullopt;
    }
    return rest_password(secret, username);
}

std::optional<std::string> rest_password_for(std::string_view secret, std::string_view username,
                                             std::chrono::sys_seconds now) {
    // An empty secret would let anyone compute every password.
    if (secret.empty()) {
        return std::nullopt;
    }
    auto password = rest_password_for(HmacSha1(byte_span(secret)), username, now);
    if (!password) {
        return std::nullopt;
    }
    return std::string(password->view());
}

LongTermKey long_term_key(std::string_view username, std::string_view realm,
                          std::string_view password) {
    // Fed in parts so the password is never copied into a joined string.
    md5_ctx context;
    md5_init(&context);
    for (std::string_view part :
         {username, std::string_view(":"), realm, std::string_view(":"), password}) {
        md5_update(&context, part.size(), reinterpret_cast<const uint8_t*>(part.data()));
    }
    LongTermKey key{};
    md5_digest(&context, key.size(), key.data());
    explicit_bzero(&context, sizeof context);
    return key;
}

NonceSource::NonceSource(std::chrono::seconds lifetime)
    : lifetime_(lifetime), mac_key_(random_nonce_key()) {
    if (lifetime <= std::chrono::seconds::zero()) {
        throw std::invalid_argument("a nonce lifetime must be positive");
    }
}

std::array<uint8_t, 16> NonceSource::mac(int64_t issued, const IpAddress& client) const {
    // time (8 bytes, big-endian) || family || address (16 bytes, zero-padded)
    std::array<uint8_t, 8 + 1 + 16> message{};
    for (std::size_t i = 0; i < 8; ++i) {
        message[i] = static_cast<uint8_t>(static_cast<uint64_t>(issued) >> (56 - 8 * i));
    }
    message[8] = static_cast<uint8_t>(client.family());
    const auto address = client.bytes();
    std::copy(address.begin(), address.end(), message.begin() + 9);

    return mac_key_.mac(message);
}

NonceText NonceSource::issue(std::chrono::sys_seconds now, const IpAddress& client) const {
    const auto issued = unix_seconds(now);
    NonceText nonce;
    std::span<char> text(nonce.chars);
    put_hex(static_cast<uint64_t>(issued), text.first(kNonceTimeDigits));
    put_hex(mac(issued, client), text.subspan(kNonceTimeDigits));
    return nonce;
}

NonceStatus NonceSource::check(std::string_view nonce, std::chrono::sys_seconds now,
                               const IpAddress& client) const {
    const auto issued = nonce.size() == kNonceLength ? nonce_issue_time(nonce) : std::nullopt;
    if (!issued) {
        return NonceStatus::invalid;
    }
    // Rebuilding the whole nonce and comparing it also rejects any other
    // spelling of the same time (upper-case hex).
    const auto expected = issue(std::chrono::sys_seconds(std::chrono::seconds(*issued)), client);
    if (!constant_time_equal(nonce, expected.view())) {
        return NonceStatus::invalid;
    }
    return unix_seconds(now) - *issued > lifetime_.count() ? NonceStatus::stale
                                                           : NonceStatus::valid;
}

}  // namespace turnpike
