#include "admin/login_limiter.hpp"

namespace turnpike::admin {

LoginLimiter::Verdict LoginLimiter::check(std::string_view ip, std::string_view account,
                                          Clock::time_point now) {
    if (addresses_.size() > 10000) {
        std::erase_if(addresses_, [now](const auto& e) {
            return now - e.second.start >= std::chrono::minutes(1);
        });
    }
    auto window = addresses_.find(std::string(ip));
    if (window != addresses_.end() && now - window->second.start < std::chrono::minutes(1) &&
        window->second.failures >= per_address) {
        return Verdict::slow_down;
    }
    auto it = accounts_.find(std::string(account));
    if (it != accounts_.end() && it->second.locked_until > now) {
        return Verdict::locked;
    }
    return Verdict::allow;
}

void LoginLimiter::failed(std::string_view ip, std::string_view account, Clock::time_point now) {
    Window& window = addresses_[std::string(ip)];
    if (now - window.start >= std::chrono::minutes(1)) {
        window = {now, 0};
    }
    ++window.failures;
    if (accounts_.size() > 10000) {
        std::erase_if(accounts_, [now](const auto& e) { return e.second.locked_until <= now; });
    }
    Failures& f = accounts_[std::string(account)];
    if (++f.in_a_row >= lock_after) {
        f.locked_until = now + lock_for;
        f.in_a_row = 0;
    }
}

void LoginLimiter::succeeded(std::string_view account) {
    accounts_.erase(std::string(account));
}

}  // namespace turnpike::admin
