#include "common/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace turnpike {

namespace {

// OpenSSL wants a pointer even for zero bytes; some OpenSSL 3 releases read
// a null HMAC key as "no key set" and fail.
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

struct MdContextFree {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// A digest fetched once: OpenSSL 3's HMAC() and EVP_sha1() look the algorithm
// up by name on every call, which cost more than the hashing itself on the
// TURN request path (two thirds of an Allocate's instructions).
const EVP_MD* fetched_digest(const char* name) {
    const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
    if (md == nullptr) {
        throw std::runtime_error(fmt::format("OpenSSL has no {}", name));
    }
    return md;
}

bool digest_parts(EVP_MD_CTX* context, const EVP_MD* md, std::span<const uint8_t> first,
                  std::span<const uint8_t> second, uint8_t* out) {
    unsigned int length = 0;
    return EVP_DigestInit_ex(context, md, nullptr) == 1 &&
           EVP_DigestUpdate(context, first.data(), first.size()) == 1 &&
           EVP_DigestUpdate(context, non_null(second), second.size()) == 1 &&
           EVP_DigestFinal_ex(context, out, &length) == 1;
}

// HMAC as RFC 2104 defines it, over a pre-fetched digest and a per-thread
// context: H((K ^ opad) || H((K ^ ipad) || data)). SHA-1 and SHA-256 both
// have 64-byte blocks.
template <std::size_t N>
std::array<uint8_t, N> hmac(const EVP_MD* md, std::span<const uint8_t> key,
                            std::span<const uint8_t> data) {
    constexpr std::size_t block = 64;
    thread_local std::unique_ptr<EVP_MD_CTX, MdContextFree> context(EVP_MD_CTX_new());
    std::array<uint8_t, block> padded{};
    std::array<uint8_t, N> inner{};
    std::array<uint8_t, N> out{};
    bool ok = context != nullptr;
    if (key.size() > block) {
        ok = ok && digest_parts(context.get(), md, key, {}, padded.data());
    } else {
        std::copy(key.begin(), key.end(), padded.begin());
    }
    std::array<uint8_t, block> pad{};
    for (std::size_t i = 0; i < block; ++i) {
        pad[i] = padded[i] ^ 0x36;
    }
    ok = ok && digest_parts(context.get(), md, pad, data, inner.data());
    for (std::size_t i = 0; i < block; ++i) {
        pad[i] = padded[i] ^ 0x5c;
    }
    ok = ok && digest_parts(context.get(), md, pad, inner, out.data());
    OPENSSL_cleanse(padded.data(), padded.size());
    OPENSSL_cleanse(pad.data(), pad.size());
    OPENSSL_cleanse(inner.data(), inner.size());
    if (!ok) {
        throw std::runtime_error("HMAC failed in OpenSSL");
    }
    return out;
}

template <std::size_t N>
void cleanse(std::array<uint8_t, N>& secret) {
    OPENSSL_cleanse(secret.data(), secret.size());
}

std::string rest_password(std::string_view secret, std::string_view username) {
    auto digest = hmac_sha1(byte_span(secret), byte_span(username));
    auto password = base64_encode(digest);
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

struct MdContextDeleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

bool digest_update(EVP_MD_CTX* context, std::string_view part) {
    return EVP_DigestUpdate(context, part.data(), part.size()) == 1;
}

template <std::size_t N>
std::string to_hex(const std::array<uint8_t, N>& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(N * 2);
    for (uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0F]);
    }
    return out;
}

constexpr std::size_t kNonceTimeDigits = 16;
constexpr std::size_t kNonceLength = kNonceTimeDigits + 32;

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
    static const EVP_MD* sha1 = fetched_digest("SHA1");
    return hmac<20>(sha1, key, data);
}

Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    static const EVP_MD* sha256 = fetched_digest("SHA256");
    return hmac<32>(sha256, key, data);
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
    auto password = rest_password(secret, username);
    return {std::move(username), std::move(password), ttl};
}

std::optional<std::string> rest_password_for(std::string_view secret, std::string_view username,
                                             std::chrono::sys_seconds now) {
    const auto expiry = rest_expiry(username);
    // An empty secret would let anyone compute every password.
    if (secret.empty() || !expiry || *expiry < unix_seconds(now)) {
        return std::nullopt;
    }
    return rest_password(secret, username);
}

LongTermKey long_term_key(std::string_view username, std::string_view realm,
                          std::string_view password) {
    // Fed in parts so the password is never copied into a joined string.
    static const EVP_MD* md5 = fetched_digest("MD5");
    std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
    LongTermKey key{};
    unsigned int length = 0;
    const bool ok = context && EVP_DigestInit_ex(context.get(), md5, nullptr) == 1 &&
                    digest_update(context.get(), username) && digest_update(context.get(), ":") &&
                    digest_update(context.get(), realm) && digest_update(context.get(), ":") &&
                    digest_update(context.get(), password) &&
                    EVP_DigestFinal_ex(context.get(), key.data(), &length) == 1 &&
                    length == key.size();
    if (!ok) {
        throw std::runtime_error("MD5 failed in OpenSSL");
    }
    return key;
}

NonceSource::NonceSource(std::chrono::seconds lifetime) : lifetime_(lifetime) {
    if (lifetime <= std::chrono::seconds::zero()) {
        throw std::invalid_argument("a nonce lifetime must be positive");
    }
    if (RAND_bytes(key_.data(), checked_int(key_.size())) != 1) {
        throw std::runtime_error("OpenSSL could not supply random bytes for the nonce key");
    }
}

NonceSource::~NonceSource() {
    cleanse(key_);
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

    auto full = hmac_sha256(key_, message);
    std::array<uint8_t, 16> truncated{};
    std::copy_n(full.begin(), truncated.size(), truncated.begin());
    cleanse(full);
    return truncated;
}

std::string NonceSource::issue(std::chrono::sys_seconds now, const IpAddress& client) const {
    const auto issued = unix_seconds(now);
    return fmt::format("{:016x}", static_cast<uint64_t>(issued)) + to_hex(mac(issued, client));
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
    if (!constant_time_equal(nonce, expected)) {
        return NonceStatus::invalid;
    }
    return unix_seconds(now) - *issued > lifetime_.count() ? NonceStatus::stale
                                                           : NonceStatus::valid;
}

}  // namespace turnpike
