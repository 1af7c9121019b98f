#pragma once

#include <atomic>
#include <cstdint>

namespace turnpike::relay {

// One worker's counters. Only that worker writes them, so an increment is a
// relaxed load and store (no locked instruction on the hot path); the control
// thread reads them whenever it likes and sees each value whole.
struct alignas(64) WorkerCounters {
    std::atomic<uint64_t> udp_datagrams_in{0};
    std::atomic<uint64_t> udp_datagrams_out{0};
    std::atomic<uint64_t> bytes_in{0};
    std::atomic<uint64_t> bytes_out{0};
    std::atomic<uint64_t> stun_requests{0};
    std::atomic<uint64_t> binding_responses{0};
    std::atomic<uint64_t> error_responses{0};
    std::atomic<uint64_t> dropped_not_stun{0};
    std::atomic<uint64_t> dropped_malformed{0};
    std::atomic<uint64_t> dropped_oversized{0};
    std::atomic<uint64_t> dropped_send_failed{0};
    // UDP GSO: sends that carried several datagrams, and the datagrams in them.
    std::atomic<uint64_t> udp_segmented_sends{0};
    std::atomic<uint64_t> udp_datagrams_segmented{0};
    // Datagrams above the route's MTU, to clients or peers, sent fragmented
    // (outbox.hpp, may_fragment).
    std::atomic<uint64_t> udp_datagrams_fragmented{0};
    // Wakeups after which the worker waited for more datagrams (coalescer.hpp).
    std::atomic<uint64_t> coalesced_waits{0};
    std::atomic<uint64_t> tcp_connections_accepted{0};
    std::atomic<uint64_t> tcp_connections_open{0};
    // Bytes the streams' input and output buffers hold, as of the last tick.
    std::atomic<uint64_t> tcp_buffer_bytes{0};
    std::atomic<uint64_t> tcp_connections_closed_bad_input{0};
    std::atomic<uint64_t> tcp_connections_closed_idle{0};
    // No whole message (TLS handshake included) within the first-message timeout.
    std::atomic<uint64_t> tcp_connections_closed_slow{0};
    std::atomic<uint64_t> tcp_accept_paused{0};   // accept failed (EMFILE...): a second's pause
    std::atomic<uint64_t> tcp_refused_per_ip{0};  // [quotas] max-tcp-per-ip reached
    std::atomic<uint64_t> tcp_refused_rate{0};    // [quotas] tcp-accepts-per-ip reached
    std::atomic<uint64_t> tls_connections_accepted{0};  // of tcp_connections_accepted
    std::atomic<uint64_t> tls_handshakes_failed{0};     // closed before the handshake ended

    // TURN
    std::atomic<uint64_t> allocations_created{0};
    std::atomic<uint64_t> allocations_active{0};
    std::atomic<uint64_t> allocations_expired{0};
    std::atomic<uint64_t> auth_failures{0};
    std::atomic<uint64_t> relayed_to_peer_packets{0};
    std::atomic<uint64_t> relayed_to_peer_bytes{0};
    std::atomic<uint64_t> relayed_to_client_packets{0};
    std::atomic<uint64_t> relayed_to_client_bytes{0};
    std::atomic<uint64_t> dropped_no_allocation{0};
    std::atomic<uint64_t> dropped_no_permission{0};
    std::atomic<uint64_t> dropped_rate_limited{0};
    std::atomic<uint64_t> peer_denied{0};
    std::atomic<uint64_t> banned_refused{0};  // Allocates from banned addresses
};

inline void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

inline void drop(std::atomic<uint64_t>& counter, uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) - by, std::memory_order_relaxed);
}

}  // namespace turnpike::relay
