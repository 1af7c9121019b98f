#pragma once

#include <cstdint>

namespace turnpike::signal {

// Counters of the signal server, read by SIGUSR1's log line and /metrics.
struct SignalStats {
    uint64_t sessions_open = 0;
    uint64_t sessions_total = 0;
    uint64_t sessions_waiting = 0;
    uint64_t sessions_paired = 0;
    uint64_t matches = 0;
    uint64_t frames_in = 0;
    uint64_t errors_sent = 0;
    uint64_t signals_forwarded = 0;
    uint64_t candidates_withheld = 0;  // privacy mode: non-relay candidates not forwarded
    uint64_t chat_messages = 0;
    uint64_t chat_filtered = 0;
    uint64_t chat_rate_limited = 0;
    uint64_t blocks = 0;
    uint64_t reports = 0;
    uint64_t path_p2p = 0;
    uint64_t path_relay = 0;
    uint64_t path_unknown = 0;
    uint64_t rejected_origin = 0;
    uint64_t rejected_ip_limit = 0;
    uint64_t rejected_capacity = 0;
    uint64_t closed_idle = 0;
    uint64_t closed_flood = 0;
    uint64_t closed_chat_abuse = 0;
};

}  // namespace turnpike::signal
