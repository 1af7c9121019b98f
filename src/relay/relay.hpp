#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/cidr.hpp"
#include "common/config.hpp"
#include "relay/tls_context.hpp"

namespace turnpike::relay {

// A TCP or TLS stream without an allocation is closed after this long
// without input.
inline constexpr std::chrono::seconds tcp_idle_timeout{60};
// A real client sends its first request (after the TLS handshake) at once; a
// stream that trickles bytes to stay short of one is holding a descriptor
// and a TLS session, and the idle timeout would never fire.
inline constexpr std::chrono::seconds tcp_first_message_timeout{10};

// Totals over all workers, read without stopping them.
struct RelayStats {
    uint64_t udp_datagrams_in = 0;
    uint64_t udp_datagrams_out = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
    uint64_t stun_requests = 0;
    uint64_t binding_responses = 0;
    uint64_t error_responses = 0;
    uint64_t dropped_not_stun = 0;
    uint64_t dropped_malformed = 0;
    uint64_t dropped_oversized = 0;
    uint64_t dropped_send_failed = 0;
    uint64_t udp_segmented_sends = 0;
    uint64_t udp_datagrams_segmented = 0;
    uint64_t udp_datagrams_fragmented = 0;
    uint64_t coalesced_waits = 0;
    uint64_t tcp_connections_accepted = 0;
    uint64_t tcp_connections_open = 0;
    uint64_t tcp_buffer_bytes = 0;
    uint64_t tcp_accept_paused = 0;
    uint64_t tcp_refused_per_ip = 0;
    uint64_t tcp_connections_closed_bad_input = 0;
    uint64_t tcp_connections_closed_idle = 0;
    uint64_t tcp_connections_closed_slow = 0;
    uint64_t tcp_refused_rate = 0;
    uint64_t tls_connections_accepted = 0;
    uint64_t tls_handshakes_failed = 0;
    uint64_t allocations_created = 0;
    uint64_t allocations_active = 0;
    uint64_t allocations_expired = 0;
    uint64_t auth_failures = 0;
    uint64_t relayed_to_peer_packets = 0;
    uint64_t relayed_to_peer_bytes = 0;
    uint64_t relayed_to_client_packets = 0;
    uint64_t relayed_to_client_bytes = 0;
    uint64_t dropped_no_allocation = 0;
    uint64_t dropped_no_permission = 0;
    uint64_t dropped_rate_limited = 0;
    uint64_t peer_denied = 0;
    uint64_t banned_refused = 0;
};

// One live allocation as the admin API lists it.
struct AllocationSummary {
    std::string client;   // the client's address and port
    std::string relayed;  // the relayed transport address given to the client
    std::string username;
    std::string transport;   // of the client link: udp, tcp or tls
    int64_t expires_in = 0;  // seconds
    size_t permissions = 0;
    size_t channels = 0;
    unsigned worker = 0;
};

class Worker;
struct RelayShared;

// The STUN/TURN server: the public control API of the relay. Constructing it
// opens every listening socket (throwing std::system_error naming the
// address); start() runs the workers; destruction stops them.
class Relay {
  public:
    // `tls` is TlsContext::load(config): the caller has loaded it already,
    // to check the files before it starts anything.
    Relay(const Config& config, std::shared_ptr<const TlsContext> tls);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    void start();
    void stop();
    // Applies what can change without a restart; returns what could not.
    // `tls` is TlsContext::load(config), loaded by the caller before it
    // changes anything, since a certificate that will not load refuses the
    // whole reload.
    std::vector<std::string> reload(const Config& config, std::shared_ptr<const TlsContext> tls);
    RelayStats stats() const;
    unsigned worker_count() const;
    // Banned client addresses (the admin component's bans): their Allocates
    // get 403, and their allocations end on each worker's next turn of its
    // loop. nullptr: nobody is banned.
    void set_bans(std::shared_ptr<const CidrSet> bans);
    // Every worker's allocations, asked for between their batches; waits at
    // most `wait` for the answers (a worker that does not answer in time is
    // left out).
    std::vector<AllocationSummary> allocations(
        std::chrono::milliseconds wait = std::chrono::milliseconds(1000));
    // Ends the allocations of `client` (address and port); how many.
    size_t kill(const SocketAddress& client,
                std::chrono::milliseconds wait = std::chrono::milliseconds(1000));

  private:
    Config config_;
    std::unique_ptr<RelayShared> shared_;
    std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace turnpike::relay
