#include "relay/reservation.hpp"

#include <openssl/rand.h>

namespace turnpike::relay {

Reservations::Token Reservations::add(UniqueFd socket, Clock::time_point now) {
    Token token{};
    RAND_bytes(token.data(), static_cast<int>(token.size()));
    std::lock_guard lock(mutex_);
    held_[token] = Held{std::move(socket), now + hold};
    return token;
}

std::optional<UniqueFd> Reservations::take(const Token& token, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = held_.find(token);
    if (it == held_.end() || it->second.expires < now) {
        return std::nullopt;
    }
    UniqueFd socket = std::move(it->second.socket);
    held_.erase(it);
    return socket;
}

void Reservations::expire(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::erase_if(held_, [now](const auto& entry) { return entry.second.expires < now; });
}

}  // namespace turnpike::relay
