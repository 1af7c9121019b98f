#pragma once

#include <array>
#include <chrono>

namespace turnpike::signal {

struct ChatRateSettings {
    unsigned burst = 5;  // messages allowed in any sliding window, 1 to 64
    std::chrono::seconds window{5};
    std::chrono::seconds first_timeout{10};
    std::chrono::seconds max_timeout{300};
    unsigned violations_to_disconnect = 4;  // 0: never disconnect
};

// How fast one sender may chat. The server keeps one per session and one per
// client IP, so reconnecting does not shake off a time-out.
//
// The rules:
//   - At most `burst` messages in any sliding `window`: a message is allowed
//     when fewer than `burst` allowed messages fall in (now - window, now].
//     Refused messages do not count towards the window.
//   - The message that would exceed it is a violation: the sender is timed out
//     for first_timeout, doubling with each further violation, up to
//     max_timeout (10 s, 20 s, 40 s ... 300 s by default).
//   - During a time-out every message is refused as `muted`, with the time
//     left. Those are not violations, except that more than `burst` of them in
//     one time-out (a client that keeps sending regardless) make one, which
//     starts a new, longer time-out from then.
//   - The violation that brings the count to violations_to_disconnect gives
//     `disconnect`. It also starts a time-out, as long as the next one would
//     have been, so the per-IP limiter keeps a reconnecting sender quiet.
//   - A sender who stays out of trouble for max_timeout after a time-out ends
//     is forgiven: the violation count starts again from zero.
//
// check() does no allocation: the window is a ring of `burst` timestamps.
// Not thread-safe; one owner calls it.
class ChatRateLimiter {
  public:
    using Clock = std::chrono::steady_clock;

    enum class Verdict { allow, timed_out, muted, disconnect };

    struct Decision {
        Verdict verdict = Verdict::allow;
        Clock::duration retry_after{};  // until the time-out ends; zero when allowed
        unsigned violations = 0;        // the count after this message
    };

    static constexpr unsigned max_burst = 64;

    // Throws std::invalid_argument when burst is 0 or above max_burst, the
    // window or first_timeout is not positive, or max_timeout < first_timeout.
    explicit ChatRateLimiter(const ChatRateSettings& settings = {});

    // Called once per chat message.
    Decision check(Clock::time_point now);

    // True when the limiter remembers nothing that could change a future
    // verdict (no time-out, no unforgiven violation, nothing in the window),
    // so the server may drop it: a fresh one would behave the same.
    bool idle(Clock::time_point now) const;

  private:
    bool forgiven(Clock::time_point now) const;
    bool window_full(Clock::time_point now) const;
    void record(Clock::time_point now);
    Decision violate(Clock::time_point now);
    Clock::duration timeout_for(unsigned violations) const;

    ChatRateSettings settings_;
    std::array<Clock::time_point, max_burst> sent_{};  // ring of allowed messages' times
    unsigned oldest_ = 0;                              // index of the oldest in the ring
    unsigned count_ = 0;                               // times in the ring
    unsigned violations_ = 0;
    unsigned muted_messages_ = 0;  // refused during the current time-out
    Clock::time_point muted_until_ = Clock::time_point::min();
};

}  // namespace turnpike::signal
