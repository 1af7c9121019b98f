#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <string>

namespace turnpike::signal {

// Counters of the signal server, read by SIGUSR1's log line and /metrics.
// find -> matched, for each matched session here: a histogram with
// Prometheus's cumulative-free bucket counts (bucket i counts waits up to
// match_latency_bounds_ms[i]; the last, anything longer).
inline constexpr double match_latency_bounds_ms[] = {1,   5,    10,   25,    50,   100,
                                                     250, 1000, 5000, 15000, 60000};
inline constexpr size_t match_latency_buckets = std::size(match_latency_bounds_ms) + 1;

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
    uint64_t rejected_banned = 0;
    uint64_t closed_banned = 0;
    std::array<uint64_t, match_latency_buckets> match_latency{};
    double match_latency_sum_ms = 0;
    uint64_t messages_to_other_nodes = 0;
};

// One live session as the admin API lists it.
struct SessionSummary {
    std::string id;
    std::string ip;
    std::string state;       // idle, waiting, paired
    std::string mode;        // of its last find: text, video, or ""
    std::string partner;     // the partner's id while paired
    int64_t since_unix = 0;  // when it connected
};

}  // namespace turnpike::signal
