#pragma once

#include <algorithm>
#include <chrono>

namespace turnpike::signal {

// A token bucket counting frames: `burst` at once, refilled at `per_second`.
class FrameBudget {
  public:
    using Clock = std::chrono::steady_clock;

    FrameBudget(double burst, double per_second, Clock::time_point now)
        : burst_(burst), rate_(per_second), tokens_(burst), last_(now) {}

    bool take(Clock::time_point now) {
        std::chrono::duration<double> elapsed = now - last_;
        last_ = now;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
        if (tokens_ < 1) {
            return false;
        }
        tokens_ -= 1;
        return true;
    }

  private:
    double burst_;
    double rate_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace turnpike::signal
