#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/unique_fd.hpp"
#include "relay/permission.hpp"

namespace turnpike::relay {

// EVEN-PORT with the R bit (RFC 8656 section 7.2): the next-higher port is
// held, bound, for 30 seconds under a random 8-byte token. A later Allocate
// may arrive on any worker, so the registry is shared (and locked: this is
// the allocation path, not the packet path).
class Reservations {
  public:
    static constexpr std::chrono::seconds hold{30};
    using Token = std::array<uint8_t, 8>;

    Token add(UniqueFd socket, Clock::time_point now);
    // The held socket, or nothing when the token is unknown or expired.
    std::optional<UniqueFd> take(const Token& token, Clock::time_point now);
    void expire(Clock::time_point now);

  private:
    struct Held {
        UniqueFd socket;
        Clock::time_point expires;
    };
    struct TokenHash {
        size_t operator()(const Token& t) const noexcept {
            uint64_t v = 0;
            for (uint8_t b : t) {
                v = (v << 8) | b;
            }
            return static_cast<size_t>(v);
        }
    };

    std::mutex mutex_;
    std::unordered_map<Token, Held, TokenHash> held_;
};

}  // namespace turnpike::relay
