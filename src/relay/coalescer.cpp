#include "relay/coalescer.hpp"

#include <time.h>

namespace turnpike::relay {

void Coalescer::configure(CoalesceSettings settings) {
    settings_ = settings;
    if (settings_.wait.count() == 0) {
        engaged_ = false;
    }
}

bool Coalescer::should_wait(Clock::time_point now, uint64_t sent) {
    if (settings_.wait.count() == 0) {
        return false;
    }
    if (!started_) {
        started_ = true;
        period_start_ = now;
        sent_at_period_start_ = sent;
        return false;
    }
    auto elapsed = now - period_start_;
    if (elapsed >= period) {
        double seconds = std::chrono::duration<double>(elapsed).count();
        engaged_ = static_cast<double>(sent - sent_at_period_start_) >=
                   static_cast<double>(settings_.min_rate) * seconds;
        period_start_ = now;
        sent_at_period_start_ = sent;
    }
    return engaged_;
}

bool Coalescer::after_wakeup(Clock::time_point now, uint64_t sent) {
    if (!should_wait(now, sent)) {
        return false;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.wait).count();
    timespec wait{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    // A signal cuts the wait short; the loop then simply reads sooner.
    clock_nanosleep(CLOCK_MONOTONIC, 0, &wait, nullptr);
    return true;
}

}  // namespace turnpike::relay
