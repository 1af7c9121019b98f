#include "admin/password.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace turnpike::admin {

namespace {

std::string hex(const unsigned char* bytes, size_t length) {
    std::string out(length * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes, length);
    out.pop_back();
    return out;
}

}  // namespace

void init_crypto() {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}

std::string hash_password(std::string_view password) {
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str_alg(
            out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("out of memory hashing a password");
    }
    return std::string(out.data());
}

bool verify_password(std::string_view hash, std::string_view password) {
    std::string terminated(hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string password_problem(std::string_view password) {
    if (password.size() < 12) {
        return "a password needs at least 12 characters";
    }
    if (password.size() > 1024) {
        return "a password may have at most 1024 characters";
    }
    return {};
}

std::string new_token() {
    std::array<unsigned char, 32> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    return hex(bytes.data(), bytes.size());
}

std::string token_digest(std::string_view token) {
    std::array<unsigned char, crypto_generichash_BYTES> digest{};
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                       0);
    return hex(digest.data(), digest.size());
}

}  // namespace turnpike::admin
