#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/cidr.hpp"
#include "common/config.hpp"

namespace turnpike::relay {

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
    uint64_t tcp_connections_accepted = 0;
    uint64_t tcp_connections_open = 0;
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

class Worker;
struct RelayShared;

// The STUN/TURN server: the public control API of the relay. Constructing it
// opens every listening socket (throwing std::system_error naming the
// address); start() runs the workers; destruction stops them.
class Relay {
  public:
    explicit Relay(const Config& config);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    void start();
    void stop();
    // Applies what can change without a restart; returns what could not.
    std::vector<std::string> reload(const Config& config);
    RelayStats stats() const;
    unsigned worker_count() const;
    // Banned client addresses (the admin component's bans): their Allocates
    // get 403, and their allocations end on each worker's next turn of its
    // loop. nullptr: nobody is banned.
    void set_bans(std::shared_ptr<const CidrSet> bans);

  private:
    Config config_;
    std::unique_ptr<RelayShared> shared_;
    std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace turnpike::relay
