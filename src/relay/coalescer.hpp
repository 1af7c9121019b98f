#pragma once

#include <chrono>
#include <cstdint>

namespace turnpike::relay {

// When a worker waits before it looks for more datagrams ([relay]
// coalesce-us, coalesce-min-pps). Zero wait: never.
struct CoalesceSettings {
    std::chrono::microseconds wait{100};
    // Datagrams per second one worker sends. At 20,000 a second a 100 us wait
    // gathers two datagrams of steady traffic, enough to pay for the timer
    // wakeup it costs; bursty traffic of that rate (a video frame's packets,
    // a client's batch) gathers more.
    uint64_t min_rate = 20000;
};

// Interrupt moderation for one worker's event loop, as a NIC does it for its
// interrupts. A busy relay that goes back to epoll as soon as it has sent
// what it read wakes for a handful of datagrams at a time, and pays the
// system calls, the wakeup and the kernel's send path for every handful. So
// once a worker has sent at least min_rate datagrams per second over the
// last measuring period, it waits `wait` after each wakeup: the datagrams
// that arrive meanwhile are read in one recvmmsg and leave in larger UDP GSO
// groups. That costs a datagram at most `wait` more in the relay, and only
// under load; below min_rate everything goes through at once.
class Coalescer {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds period{1};

    explicit Coalescer(CoalesceSettings settings = {}) : settings_(settings) {}
    void configure(CoalesceSettings settings);

    // Whether to wait after this wakeup. `now` is the loop's clock, `sent`
    // the worker's count of datagrams sent so far.
    bool should_wait(Clock::time_point now, uint64_t sent);
    // should_wait, and the wait itself (a monotonic sleep).
    bool after_wakeup(Clock::time_point now, uint64_t sent);

    bool engaged() const { return engaged_; }

  private:
    CoalesceSettings settings_;
    bool engaged_ = false;
    bool started_ = false;
    Clock::time_point period_start_{};
    uint64_t sent_at_period_start_ = 0;
};

}  // namespace turnpike::relay
