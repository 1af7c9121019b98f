#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "common/unique_fd.hpp"
#include "relay/coalescer.hpp"
#include "relay/counters.hpp"
#include "relay/event_source.hpp"
#include "relay/outbox.hpp"
#include "relay/quota.hpp"
#include "relay/relay.hpp"
#include "relay/relay_socket_pool.hpp"
#include "relay/stun_server.hpp"
#include "relay/tls_context.hpp"
#include "relay/turn_state.hpp"
#include "relay/udp_batch.hpp"

namespace turnpike::relay {

class TcpConnection;

// One data-plane thread: its own epoll loop, its own SO_REUSEPORT socket on
// every listening address, its own allocations. Workers share nothing on the
// packet path, so it takes no lock; the control thread reaches a worker only
// through its mailbox.
class Worker {
  public:
    // `tls`: the context of [relay] tls-listen, nullptr when it is empty.
    Worker(unsigned index, const RelaySettings& settings, RelayShared& shared,
           std::shared_ptr<const TurnSettings> turn_settings,
           std::shared_ptr<const TlsContext> tls);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void start();
    void stop();  // asks the loop to end and joins it

    // Runs `command` on the worker thread, between two batches of events.
    void post(std::function<void(Worker&)> command);

    const WorkerCounters& counters() const { return counters_; }
    unsigned index() const { return index_; }

    // For the worker's own event sources and request handlers.
    StunServer& stun() { return stun_; }
    TurnState& turn() { return turn_; }
    WorkerCounters& mutable_counters() { return counters_; }
    UdpBatch& receive_buffers() { return *in_batch_; }
    Outbox& outbox() { return outbox_; }
    Clock::time_point now() const { return now_; }
    // The wall clock in whole seconds, for nonces and REST usernames.
    std::chrono::sys_seconds wall_now() const { return wall_now_; }
    TokenBucket& to_peer_budget() { return to_peer_budget_; }
    TokenBucket& to_client_budget() { return to_client_budget_; }
    void apply(std::shared_ptr<const TurnSettings> settings);
    // A reloaded certificate: for connections accepted from now on.
    void use_tls(std::shared_ptr<const TlsContext> tls) { tls_ = std::move(tls); }
    // New bans: allocations of banned clients end now.
    void ban(std::shared_ptr<const CidrSet> bans);
    std::vector<AllocationSummary> allocation_summaries() const;
    size_t end_allocations_of(const SocketAddress& client);
    size_t end_allocations_where(const std::function<bool(const FiveTuple&)>& doomed);
    // Once a second from the worker's timer: ends what is due at `now`
    // (allocations, permissions, channels, reservations, idle TCP streams).
    void housekeeping(Clock::time_point now);

    void watch(int fd, uint32_t events, EventSource* source);
    void rewatch(int fd, uint32_t events, EventSource* source);
    void forget(int fd);
    // Relay sockets between allocations (relay_socket_pool.hpp).
    RelaySocketPool& relay_sockets() { return relay_sockets_; }
    void recycle(std::unique_ptr<RelaySocket> socket);
    void retire(TcpConnection* connection);
    void adopt(std::unique_ptr<TcpConnection> connection);

  private:
    class UdpSocket;
    class TcpListener;
    class Mailbox;
    class Ticker;

    void run();
    // Once per wakeup, not per packet.
    void read_clocks();
    void reap_retired();

    unsigned index_;
    WorkerCounters counters_;
    TurnState turn_;
    StunServer stun_;
    UniqueFd epoll_;
    std::unique_ptr<UdpBatch> in_batch_;
    std::unique_ptr<UdpBatch> out_batch_;
    Outbox outbox_;
    Coalescer coalescer_;
    Clock::time_point now_;
    std::chrono::sys_seconds wall_now_;
    TokenBucket to_peer_budget_;
    TokenBucket to_client_budget_;
    std::shared_ptr<const TlsContext> tls_;
    std::vector<std::unique_ptr<EventSource>> sources_;
    std::unordered_map<int, std::unique_ptr<TcpConnection>> connections_;
    std::vector<TcpListener*> paused_listeners_;  // out of descriptors: back at the next tick
    std::vector<int> retired_;
    RelaySocketPool relay_sockets_;
    std::unique_ptr<Mailbox> mailbox_;
    std::thread thread_;
    bool running_ = false;
};

}  // namespace turnpike::relay
