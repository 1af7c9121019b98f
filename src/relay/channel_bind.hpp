#pragma once

#include <chrono>
#include <cstdint>

#include "common/address.hpp"
#include "relay/permission.hpp"

namespace turnpike::relay {

// RFC 8656 section 12: a channel number standing for one peer transport
// address, so data moves with a 4-byte header instead of a 36-byte one.
struct ChannelBinding {
    static constexpr std::chrono::seconds lifetime{600};
    static constexpr uint16_t first_number = 0x4000;
    // RFC 8656 narrowed the range to 0x4FFF; RFC 5766 clients (coturn's own
    // turnutils_uclient among them) still pick up to 0x7FFF, and ChannelData
    // demultiplexing is the same for all of them, so accept the old range.
    static constexpr uint16_t last_number = 0x7FFF;

    uint16_t number = 0;
    SocketAddress peer;
    Clock::time_point expires;

    static bool valid_number(uint16_t n) { return n >= first_number && n <= last_number; }
};

}  // namespace turnpike::relay
