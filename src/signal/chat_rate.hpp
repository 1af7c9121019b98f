#pragma once

#include <array>
#include <chrono>
#include <cstddef>

namespace turnpike::signal {

struct ChatRateSettings {
    unsigned burst = 5;  // at most 64
    std::chrono::seconds window{5};
    std::chrono::seconds first_timeout{10};
    std::chrono::seconds max_timeout{300};
    unsigned violations_to_disconnect = 4;
};

// The chat rate limit of one session (and, in the switchboard, of one client
// IP, so a new session does not escape a time-out). At most `burst` messages
// in any sliding `window`; the message that would exceed it is a violation
// and starts a time-out of first_timeout, doubling with each further
// violation up to max_timeout. Messages during a time-out are refused but are
// not violations themselves: a client that keeps typing while muted is told
// so and stays muted, no worse. The violation that reaches
// violations_to_disconnect asks for the session to be closed. A user who
// keeps quiet for max_timeout after a time-out ends is forgiven: the count
// starts again. No allocation: a fixed ring of send times.
class ChatRateLimiter {
  public:
    using Clock = std::chrono::steady_clock;

    enum class Verdict {
        allow,
        timed_out,   // this message broke the limit; a time-out starts
        muted,       // a time-out is running
        disconnect,  // too many violations
    };

    struct Decision {
        Verdict verdict = Verdict::allow;
        Clock::duration retry_after{};  // for timed_out and muted
        unsigned violations = 0;
    };

    static constexpr size_t max_burst = 64;

    explicit ChatRateLimiter(const ChatRateSettings& settings = {});

    Decision check(Clock::time_point now);
    // Nothing left to remember: no time-out, no violations, nothing in the window.
    bool idle(Clock::time_point now) const;

  private:
    void forgive_if_quiet(Clock::time_point now);
    void forget_older_than_window(Clock::time_point now);
    Clock::duration timeout_for(unsigned violations) const;

    ChatRateSettings settings_;
    std::array<Clock::time_point, max_burst> sent_{};  // ring, oldest at head_
    size_t head_ = 0;
    size_t count_ = 0;
    Clock::time_point muted_until_{};
    unsigned violations_ = 0;
};

}  // namespace turnpike::signal
