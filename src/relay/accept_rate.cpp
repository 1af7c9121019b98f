#include "relay/accept_rate.hpp"

#include <algorithm>

namespace turnpike::relay {

bool AcceptRate::admit(const IpAddress& source, unsigned per_second, Clock::time_point now) {
    if (per_second == 0) {
        return true;
    }
    constexpr auto window = std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1));
    const auto interval = window / per_second;
    std::lock_guard lock(mutex_);
    if (now - swept_ >= window) {
        sweep(now);
    }
    // A new source starts at `now`: one interval ahead is always within the window.
    auto it = due_.try_emplace(SourceLedger::key_of(source), now).first;
    Clock::time_point next = std::max(it->second, now) + interval;
    if (next - now > window) {
        return false;
    }
    it->second = next;
    return true;
}

size_t AcceptRate::tracked() const {
    std::lock_guard lock(mutex_);
    return due_.size();
}

void AcceptRate::sweep(Clock::time_point now) {
    std::erase_if(due_, [now](const auto& entry) { return entry.second <= now; });
    swept_ = now;
}

}  // namespace turnpike::relay
