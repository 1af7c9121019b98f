#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "relay/permission.hpp"

namespace turnpike::relay {

// Allocation counts shared by all workers: per username and in total. Taken
// on Allocate and on deletion only, never per packet, so a mutex is fine.
class AllocationLedger {
  public:
    enum class Verdict { granted, user_quota, total_quota };

    // Counts one more allocation for `user` if the limits (0 = none) allow.
    Verdict acquire(std::string_view user, unsigned user_quota, unsigned total_quota);
    void release(std::string_view user);
    uint64_t total() const { return total_.load(std::memory_order_relaxed); }

  private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, unsigned> per_user_;
    std::atomic<uint64_t> total_{0};
};

// A byte budget that refills continuously at `rate` bytes per second, with
// one second's worth of burst. Rate 0 means unlimited. Owned by one thread.
class TokenBucket {
  public:
    void set_rate(uint64_t bytes_per_second) {
        rate_ = bytes_per_second;
        if (tokens_ > rate_) {
            tokens_ = rate_;
        }
    }
    bool take(size_t bytes, Clock::time_point now) {
        if (rate_ == 0) {
            return true;
        }
        refill(now);
        if (tokens_ < bytes) {
            return false;
        }
        tokens_ -= bytes;
        return true;
    }

  private:
    void refill(Clock::time_point now) {
        if (last_ == Clock::time_point{}) {
            last_ = now;
            tokens_ = rate_;
            return;
        }
        auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count();
        if (elapsed <= 0) {
            return;
        }
        uint64_t add = rate_ * static_cast<uint64_t>(elapsed) / 1'000'000;
        if (add == 0) {
            return;  // keep last_ so small slices accumulate
        }
        tokens_ = std::min(rate_, tokens_ + add);
        last_ = now;
    }

    uint64_t rate_ = 0;
    uint64_t tokens_ = 0;
    Clock::time_point last_{};
};

}  // namespace turnpike::relay
