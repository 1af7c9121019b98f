#include "signal/chat_rate.hpp"

#include <algorithm>

namespace turnpike::signal {

ChatRateLimiter::ChatRateLimiter(const ChatRateSettings& settings) : settings_(settings) {
    settings_.burst = std::clamp<unsigned>(settings_.burst, 1, max_burst);
    settings_.violations_to_disconnect = std::max(1u, settings_.violations_to_disconnect);
}

ChatRateLimiter::Clock::duration ChatRateLimiter::timeout_for(unsigned violations) const {
    Clock::duration timeout = settings_.first_timeout;
    for (unsigned i = 1; i < violations && timeout < settings_.max_timeout; ++i) {
        timeout *= 2;
    }
    return std::min<Clock::duration>(timeout, settings_.max_timeout);
}

void ChatRateLimiter::forgive_if_quiet(Clock::time_point now) {
    if (violations_ > 0 && now >= muted_until_ + settings_.max_timeout) {
        violations_ = 0;
    }
}

void ChatRateLimiter::forget_older_than_window(Clock::time_point now) {
    while (count_ > 0 && now - sent_[head_] >= settings_.window) {
        head_ = (head_ + 1) % max_burst;
        --count_;
    }
}

ChatRateLimiter::Decision ChatRateLimiter::check(Clock::time_point now) {
    forgive_if_quiet(now);
    if (now < muted_until_) {
        return {Verdict::muted, muted_until_ - now, violations_};
    }
    forget_older_than_window(now);
    if (count_ >= settings_.burst) {
        ++violations_;
        count_ = 0;
        if (violations_ >= settings_.violations_to_disconnect) {
            return {Verdict::disconnect, {}, violations_};
        }
        auto timeout = timeout_for(violations_);
        muted_until_ = now + timeout;
        return {Verdict::timed_out, timeout, violations_};
    }
    sent_[(head_ + count_) % max_burst] = now;
    ++count_;
    return {Verdict::allow, {}, violations_};
}

bool ChatRateLimiter::idle(Clock::time_point now) const {
    bool forgiven = violations_ == 0 || now >= muted_until_ + settings_.max_timeout;
    bool window_empty =
        count_ == 0 || now - sent_[(head_ + count_ - 1) % max_burst] >= settings_.window;
    return forgiven && now >= muted_until_ && window_empty;
}

}  // namespace turnpike::signal
