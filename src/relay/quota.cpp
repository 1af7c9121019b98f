#include "relay/quota.hpp"

namespace turnpike::relay {

AllocationLedger::Verdict AllocationLedger::acquire(std::string_view user, unsigned user_quota,
                                                    unsigned total_quota) {
    std::lock_guard lock(mutex_);
    if (total_quota != 0 && total_.load(std::memory_order_relaxed) >= total_quota) {
        return Verdict::total_quota;
    }
    auto [it, inserted] = per_user_.try_emplace(std::string(user), 0);
    if (user_quota != 0 && it->second >= user_quota) {
        return Verdict::user_quota;
    }
    ++it->second;
    total_.fetch_add(1, std::memory_order_relaxed);
    return Verdict::granted;
}

void AllocationLedger::release(std::string_view user) {
    std::lock_guard lock(mutex_);
    auto it = per_user_.find(std::string(user));
    if (it == per_user_.end()) {
        return;
    }
    if (--it->second == 0) {
        per_user_.erase(it);
    }
    total_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace turnpike::relay
