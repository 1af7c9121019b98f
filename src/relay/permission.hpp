#pragma once

#include <chrono>

#include "common/cidr.hpp"

namespace turnpike::relay {

using Clock = std::chrono::steady_clock;

// RFC 8656 section 9: a peer IP address (any port) the allocation may
// exchange data with, for 300 seconds after it was last installed.
struct Permission {
    static constexpr std::chrono::seconds lifetime{300};

    IpAddress peer;
    Clock::time_point expires;
};

}  // namespace turnpike::relay
