#include "relay/relay.hpp"

#include <condition_variable>
#include <mutex>

#include <spdlog/spdlog.h>

#include "relay/sockets.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

Relay::Relay(const Config& config, std::shared_ptr<const TlsContext> tls)
    : config_(config), shared_(std::make_unique<RelayShared>(config.auth.nonce_lifetime)) {
    // Before any worker binds: the workers' shared sockets cannot tell.
    for (const auto& address : config.relay.listen) {
        if (listenable(address)) {
            check_listen_address_free(address);
        }
    }
    for (const auto& address : config.relay.tls_listen) {
        if (listenable(address)) {
            check_tls_address_free(address);
        }
    }
    auto settings = TurnSettings::from(config);
    for (unsigned i = 0; i < config.relay.threads; ++i) {
        workers_.push_back(std::make_unique<Worker>(i, config.relay, *shared_, settings, tls));
    }
}

Relay::~Relay() {
    stop();
}

void Relay::start() {
    for (auto& worker : workers_) {
        worker->start();
    }
    for (const auto& address : config_.relay.listen) {
        spdlog::info("relay: STUN on {} (UDP and TCP), {} worker threads", address.to_string(),
                     workers_.size());
    }
    for (const auto& address : config_.relay.tls_listen) {
        if (listenable(address)) {
            spdlog::info("relay: STUN on {} (TLS)", address.to_string());
        }
    }
    if (config_.relay.udp_gso && !udp_segmentation_available()) {
        spdlog::info(
            "relay: this kernel has no UDP segmentation (UDP_SEGMENT); datagrams go "
            "out one by one");
    }
}

void Relay::stop() {
    for (auto& worker : workers_) {
        worker->stop();
    }
}

std::vector<std::string> Relay::reload(const Config& config,
                                       std::shared_ptr<const TlsContext> tls) {
    std::vector<std::string> needs_restart;
    if (!(config.relay.listen == config_.relay.listen)) {
        needs_restart.emplace_back("[relay] listen");
    }
    if (!(config.relay.tls_listen == config_.relay.tls_listen)) {
        needs_restart.emplace_back("[relay] tls-listen");
    } else if (tls) {
        // cert and pkey: new TLS connections get the files as they are now.
        for (auto& worker : workers_) {
            worker->post([tls](Worker& w) { w.use_tls(tls); });
        }
    }
    if (config.relay.threads != config_.relay.threads) {
        needs_restart.emplace_back("[relay] threads");
    }
    if (config.relay.software != config_.relay.software) {
        needs_restart.emplace_back("[relay] software");
    }
    if (config.relay.udp_gso != config_.relay.udp_gso) {
        needs_restart.emplace_back("[relay] udp-gso");
    }
    if (config.relay.min_port != config_.relay.min_port ||
        config.relay.max_port != config_.relay.max_port) {
        // Applied: new allocations use the new range at once.
    }
    if (config.auth.nonce_lifetime != config_.auth.nonce_lifetime) {
        needs_restart.emplace_back("[auth] nonce-lifetime");
    }
    // Quotas, users, the REST secret, the peer policy, relay and external
    // addresses: a new snapshot for every worker; live allocations stay.
    auto settings = TurnSettings::from(config);
    for (auto& worker : workers_) {
        worker->post([settings](Worker& w) { w.apply(settings); });
    }
    config_ = config;
    return needs_restart;
}

unsigned Relay::worker_count() const {
    return static_cast<unsigned>(workers_.size());
}

RelayStats Relay::stats() const {
    RelayStats total;
    auto read = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    for (const auto& worker : workers_) {
        const WorkerCounters& c = worker->counters();
        total.udp_datagrams_in += read(c.udp_datagrams_in);
        total.udp_datagrams_out += read(c.udp_datagrams_out);
        total.bytes_in += read(c.bytes_in);
        total.bytes_out += read(c.bytes_out);
        total.stun_requests += read(c.stun_requests);
        total.binding_responses += read(c.binding_responses);
        total.error_responses += read(c.error_responses);
        total.dropped_not_stun += read(c.dropped_not_stun);
        total.dropped_malformed += read(c.dropped_malformed);
        total.dropped_oversized += read(c.dropped_oversized);
        total.dropped_send_failed += read(c.dropped_send_failed);
        total.udp_segmented_sends += read(c.udp_segmented_sends);
        total.udp_datagrams_segmented += read(c.udp_datagrams_segmented);
        total.udp_datagrams_fragmented += read(c.udp_datagrams_fragmented);
        total.coalesced_waits += read(c.coalesced_waits);
        total.tcp_connections_accepted += read(c.tcp_connections_accepted);
        total.tcp_connections_open += read(c.tcp_connections_open);
        total.tcp_buffer_bytes += read(c.tcp_buffer_bytes);
        total.tcp_accept_paused += read(c.tcp_accept_paused);
        total.tcp_refused_per_ip += read(c.tcp_refused_per_ip);
        total.tcp_connections_closed_bad_input += read(c.tcp_connections_closed_bad_input);
        total.tcp_connections_closed_idle += read(c.tcp_connections_closed_idle);
        total.tcp_connections_closed_slow += read(c.tcp_connections_closed_slow);
        total.tcp_refused_rate += read(c.tcp_refused_rate);
        total.tls_connections_accepted += read(c.tls_connections_accepted);
        total.tls_handshakes_failed += read(c.tls_handshakes_failed);
        total.allocations_created += read(c.allocations_created);
        total.allocations_active += read(c.allocations_active);
        total.allocations_expired += read(c.allocations_expired);
        total.auth_failures += read(c.auth_failures);
        total.relayed_to_peer_packets += read(c.relayed_to_peer_packets);
        total.relayed_to_peer_bytes += read(c.relayed_to_peer_bytes);
        total.relayed_to_client_packets += read(c.relayed_to_client_packets);
        total.relayed_to_client_bytes += read(c.relayed_to_client_bytes);
        total.dropped_no_allocation += read(c.dropped_no_allocation);
        total.dropped_no_permission += read(c.dropped_no_permission);
        total.dropped_rate_limited += read(c.dropped_rate_limited);
        total.peer_denied += read(c.peer_denied);
        total.banned_refused += read(c.banned_refused);
    }
    return total;
}

namespace {

// Answers from every worker, gathered under a lock (the control path, not
// the packet path) until all have answered or the wait is over.
template <typename Item>
struct Gathering {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<Item> items;
    size_t missing = 0;

    void add(std::vector<Item> more) {
        std::lock_guard lock(mutex);
        items.insert(items.end(), std::make_move_iterator(more.begin()),
                     std::make_move_iterator(more.end()));
        if (--missing == 0) {
            done.notify_all();
        }
    }
    std::vector<Item> wait(std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex);
        done.wait_for(lock, limit, [this] { return missing == 0; });
        return items;
    }
};

}  // namespace

std::vector<AllocationSummary> Relay::allocations(std::chrono::milliseconds wait) {
    auto gathering = std::make_shared<Gathering<AllocationSummary>>();
    gathering->missing = workers_.size();
    for (auto& worker : workers_) {
        worker->post([gathering](Worker& w) { gathering->add(w.allocation_summaries()); });
    }
    return gathering->wait(wait);
}

size_t Relay::kill(const SocketAddress& client, std::chrono::milliseconds wait) {
    auto gathering = std::make_shared<Gathering<int>>();
    gathering->missing = workers_.size();
    for (auto& worker : workers_) {
        worker->post([gathering, client](Worker& w) {
            gathering->add(std::vector<int>(w.end_allocations_of(client), 1));
        });
    }
    return gathering->wait(wait).size();
}

void Relay::set_bans(std::shared_ptr<const CidrSet> bans) {
    for (auto& worker : workers_) {
        worker->post([bans](Worker& w) { w.ban(bans); });
    }
}

}  // namespace turnpike::relay
