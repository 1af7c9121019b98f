#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "admin/store.hpp"

namespace turnpike::admin {

// libsodium must be initialised once before any of these.
void init_crypto();

// argon2id with libsodium's interactive limits, in crypto_pwhash_str form.
std::string hash_password(std::string_view password);
// Constant time, whatever the input.
bool verify_password(std::string_view hash, std::string_view password);
// What an operator must choose at least; empty when `password` is fine.
std::string password_problem(std::string_view password);

// A bearer token: 32 random bytes, hex. Only its digest is stored, so a
// copy of the database logs nobody in.
std::string new_token();
std::string token_digest(std::string_view token);

}  // namespace turnpike::admin
