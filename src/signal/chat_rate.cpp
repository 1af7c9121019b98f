#include "signal/chat_rate.hpp"

#include <stdexcept>

namespace turnpike::signal {

ChatRateLimiter::ChatRateLimiter(const ChatRateSettings& settings) : settings_(settings) {
    if (settings.burst == 0 || settings.burst > max_burst) {
        throw std::invalid_argument("chat burst must be 1 to 64 messages");
    }
    if (settings.window.count() <= 0 || settings.first_timeout.count() <= 0) {
        throw std::invalid_argument("chat window and first time-out must be positive");
    }
    if (settings.max_timeout < settings.first_timeout) {
        throw std::invalid_argument("chat max time-out must not be below the first time-out");
    }
}

ChatRateLimiter::Decision ChatRateLimiter::check(Clock::time_point now) {
    if (forgiven(now)) {
        violations_ = 0;
    }
    if (now < muted_until_) {
        // A client that keeps sending while muted is not a person waiting.
        if (++muted_messages_ > settings_.burst) {
            return violate(now);
        }
        return {Verdict::muted, muted_until_ - now, violations_};
    }
    if (window_full(now)) {
        return violate(now);
    }
    record(now);
    return {Verdict::allow, {}, violations_};
}

bool ChatRateLimiter::idle(Clock::time_point now) const {
    if (now < muted_until_ || (violations_ != 0 && !forgiven(now))) {
        return false;
    }
    if (count_ == 0) {
        return true;
    }
    Clock::time_point newest = sent_[(oldest_ + count_ - 1) % settings_.burst];
    return now - newest >= settings_.window;
}

// Quiet measured from the end of the last time-out, so a long time-out is
// not forgiven the moment it ends.
bool ChatRateLimiter::forgiven(Clock::time_point now) const {
    return violations_ != 0 && now >= muted_until_ + settings_.max_timeout;
}

bool ChatRateLimiter::window_full(Clock::time_point now) const {
    return count_ == settings_.burst && now - sent_[oldest_] < settings_.window;
}

void ChatRateLimiter::record(Clock::time_point now) {
    if (count_ < settings_.burst) {
        sent_[(oldest_ + count_) % settings_.burst] = now;
        ++count_;
        return;
    }
    sent_[oldest_] = now;  // the oldest has left the window: overwrite it
    oldest_ = (oldest_ + 1) % settings_.burst;
}

ChatRateLimiter::Decision ChatRateLimiter::violate(Clock::time_point now) {
    ++violations_;
    muted_messages_ = 0;
    Clock::duration timeout = timeout_for(violations_);
    muted_until_ = now + timeout;
    bool last_straw = settings_.violations_to_disconnect != 0 &&
                      violations_ >= settings_.violations_to_disconnect;
    return {last_straw ? Verdict::disconnect : Verdict::timed_out, timeout, violations_};
}

// first_timeout doubled for each violation before this one, capped. It never
// doubles past the cap, and stops there, so a large count cannot overflow.
ChatRateLimiter::Clock::duration ChatRateLimiter::timeout_for(unsigned violations) const {
    std::chrono::seconds timeout = settings_.first_timeout;
    for (unsigned i = 1; i < violations && timeout < settings_.max_timeout; ++i) {
        timeout = timeout > settings_.max_timeout / 2 ? settings_.max_timeout : timeout * 2;
    }
    return timeout;
}

}  // namespace turnpike::signal
