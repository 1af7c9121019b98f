#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace turnpike::admin {

// Guesses at POST /admin/login are slowed per address and stopped per
// account: an address that fails `per_address` times within a minute is
// refused for the rest of it; an account that fails `lock_after` times in a
// row is locked for `lock_for` (a right password does not get in meanwhile,
// so guessing on does not pay). Successful logins are not limited.
class LoginLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr unsigned per_address = 10;
    static constexpr unsigned lock_after = 5;
    static constexpr std::chrono::minutes lock_for{15};

    enum class Verdict { allow, slow_down, locked };

    Verdict check(std::string_view ip, std::string_view account, Clock::time_point now);
    void failed(std::string_view ip, std::string_view account, Clock::time_point now);
    void succeeded(std::string_view account);

  private:
    struct Window {
        Clock::time_point start;
        unsigned failures = 0;
    };
    struct Failures {
        unsigned in_a_row = 0;
        Clock::time_point locked_until{};
    };

    std::unordered_map<std::string, Window> addresses_;
    std::unordered_map<std::string, Failures> accounts_;
};

}  // namespace turnpike::admin
