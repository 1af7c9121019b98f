#include "relay/relay.hpp"

#include <spdlog/spdlog.h>

#include "relay/worker.hpp"

namespace turnpike::relay {

Relay::Relay(const Config& config) : config_(config) {
    for (unsigned i = 0; i < config.relay.threads; ++i) {
        workers_.push_back(std::make_unique<Worker>(i, config.relay));
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
}

void Relay::stop() {
    for (auto& worker : workers_) {
        worker->stop();
    }
}

std::vector<std::string> Relay::reload(const Config& config) {
    std::vector<std::string> needs_restart;
    if (!(config.relay.listen == config_.relay.listen)) {
        needs_restart.emplace_back("[relay] listen");
    }
    if (config.relay.threads != config_.relay.threads) {
        needs_restart.emplace_back("[relay] threads");
    }
    if (config.relay.software != config_.relay.software) {
        needs_restart.emplace_back("[relay] software");
    }
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
        total.tcp_connections_accepted += read(c.tcp_connections_accepted);
        total.tcp_connections_open += read(c.tcp_connections_open);
    }
    return total;
}

}  // namespace turnpike::relay
