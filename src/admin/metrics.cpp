#include "admin/metrics.hpp"

#include <fmt/format.h>

namespace turnpike::admin {

namespace {

class Exposition {
  public:
    void metric(std::string_view name, std::string_view type, std::string_view help) {
        out_ +=
            fmt::format("# HELP turnpike_{} {}\n# TYPE turnpike_{} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::string_view labels, double value) {
        out_ += labels.empty() ? fmt::format("turnpike_{} {}\n", name, value)
                               : fmt::format("turnpike_{}{{{}}} {}\n", name, labels, value);
    }
    void counter(std::string_view name, std::string_view help, uint64_t value) {
        metric(name, "counter", help);
        sample(name, "", static_cast<double>(value));
    }
    void gauge(std::string_view name, std::string_view help, uint64_t value) {
        metric(name, "gauge", help);
        sample(name, "", static_cast<double>(value));
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

void relay_metrics(Exposition& e, const relay::RelayStats& r) {
    e.gauge("relay_allocations_active", "TURN allocations now", r.allocations_active);
    e.counter("relay_allocations_total", "TURN allocations created", r.allocations_created);
    e.counter("relay_allocations_ended_total", "TURN allocations ended by expiry, deletion or ban",
              r.allocations_expired);
    e.metric("relay_packets_total", "counter", "Packets relayed, by direction");
    e.sample("relay_packets_total", R"(direction="to_peer")",
             static_cast<double>(r.relayed_to_peer_packets));
    e.sample("relay_packets_total", R"(direction="to_client")",
             static_cast<double>(r.relayed_to_client_packets));
    e.metric("relay_bytes_total", "counter", "Payload bytes relayed, by direction");
    e.sample("relay_bytes_total", R"(direction="to_peer")",
             static_cast<double>(r.relayed_to_peer_bytes));
    e.sample("relay_bytes_total", R"(direction="to_client")",
             static_cast<double>(r.relayed_to_client_bytes));
    e.metric("relay_dropped_total", "counter", "Datagrams dropped, by reason");
    const std::pair<const char*, uint64_t> drops[] = {
        {"not_stun", r.dropped_not_stun},           {"malformed", r.dropped_malformed},
        {"oversized", r.dropped_oversized},         {"send_failed", r.dropped_send_failed},
        {"no_allocation", r.dropped_no_allocation}, {"no_permission", r.dropped_no_permission},
        {"rate_limited", r.dropped_rate_limited},   {"peer_denied", r.peer_denied},
    };
    for (auto [reason, value] : drops) {
        e.sample("relay_dropped_total", fmt::format(R"(reason="{}")", reason),
                 static_cast<double>(value));
    }
    e.counter("relay_auth_failures_total", "Requests refused for their credentials",
              r.auth_failures);
    e.counter("relay_banned_refused_total", "Allocates refused from banned addresses",
              r.banned_refused);
    e.counter("relay_stun_requests_total", "STUN and TURN requests", r.stun_requests);
    e.counter("relay_udp_datagrams_in_total", "UDP datagrams received", r.udp_datagrams_in);
    e.counter("relay_udp_datagrams_out_total", "UDP datagrams sent", r.udp_datagrams_out);
    e.counter("relay_udp_segmented_sends_total", "UDP GSO sends carrying several datagrams",
              r.udp_segmented_sends);
    e.counter("relay_udp_datagrams_segmented_total", "UDP datagrams sent inside GSO sends",
              r.udp_datagrams_segmented);
    e.counter("relay_udp_datagrams_fragmented_total",
              "UDP datagrams above the route's MTU, to clients or peers, sent fragmented",
              r.udp_datagrams_fragmented);
    e.counter("relay_coalesced_waits_total",
              "Wakeups after which a busy worker waited for more datagrams ([relay] coalesce-us)",
              r.coalesced_waits);
    e.gauge("relay_tcp_connections_open", "TCP and TLS streams open", r.tcp_connections_open);
    e.gauge("relay_tcp_buffer_bytes",
            "Bytes the TCP and TLS streams' input and output buffers hold (updated each second)",
            r.tcp_buffer_bytes);
    e.counter("relay_tcp_accept_paused_total",
              "Times a TCP listener stopped accepting for a second (out of descriptors)",
              r.tcp_accept_paused);
    e.counter("relay_tcp_refused_per_ip_total",
              "TCP connections refused at once: [quotas] max-tcp-per-ip open from their source",
              r.tcp_refused_per_ip);
    e.counter("relay_tcp_refused_rate_total",
              "TCP connections refused at once: their source opened [quotas] "
              "tcp-accepts-per-ip in the last second",
              r.tcp_refused_rate);
    e.counter("relay_tcp_closed_bad_input_total",
              "TCP and TLS streams closed for bytes that are neither STUN nor ChannelData",
              r.tcp_connections_closed_bad_input);
    e.counter("relay_tcp_closed_idle_total",
              fmt::format("TCP and TLS streams without an allocation closed after {} s without "
                          "input",
                          relay::tcp_idle_timeout.count()),
              r.tcp_connections_closed_idle);
    e.counter("relay_tcp_closed_slow_total",
              fmt::format("TCP and TLS streams closed for sending no whole message (TLS "
                          "handshake included) in their first {} s",
                          relay::tcp_first_message_timeout.count()),
              r.tcp_connections_closed_slow);
    e.counter("relay_tls_connections_accepted_total",
              "TURN over TLS connections accepted (also counted in the TCP total)",
              r.tls_connections_accepted);
    e.counter("relay_tls_handshakes_failed_total",
              "TLS connections that ended before their handshake completed",
              r.tls_handshakes_failed);
}

void signal_metrics(Exposition& e, const signal::SignalStats& s) {
    e.gauge("signal_sessions", "WebSocket sessions open", s.sessions_open);
    e.gauge("signal_sessions_waiting", "Sessions waiting for a partner", s.sessions_waiting);
    e.gauge("signal_sessions_paired", "Sessions with a partner", s.sessions_paired);
    e.counter("signal_sessions_total", "Sessions opened", s.sessions_total);
    e.counter("signal_matches_total", "Pairs made", s.matches);
    e.counter("signal_messages_total", "Frames received from clients", s.frames_in);
    e.counter("signal_messages_to_other_nodes_total", "Frames for a partner on another node",
              s.messages_to_other_nodes);
    e.counter("signal_chat_messages_total", "Chat lines forwarded", s.chat_messages);
    e.counter("signal_chat_filtered_total", "Chat lines with words masked", s.chat_filtered);
    e.counter("signal_chat_rate_limited_total", "Chat rate-limit hits", s.chat_rate_limited);
    e.counter("signal_blocks_total", "Blocks", s.blocks);
    e.counter("signal_reports_total", "Reports", s.reports);
    e.counter("signal_errors_total", "Error messages sent", s.errors_sent);
    e.metric("signal_rejected_total", "counter", "Handshakes refused, by reason");
    const std::pair<const char*, uint64_t> rejected[] = {{"origin", s.rejected_origin},
                                                         {"ip_limit", s.rejected_ip_limit},
                                                         {"capacity", s.rejected_capacity},
                                                         {"banned", s.rejected_banned}};
    for (auto [reason, value] : rejected) {
        e.sample("signal_rejected_total", fmt::format(R"(reason="{}")", reason),
                 static_cast<double>(value));
    }
    e.metric("signal_call_path_total", "counter",
             "Calls by the path clients reported (stats {path}): the relay fraction");
    e.sample("signal_call_path_total", R"(path="p2p")", static_cast<double>(s.path_p2p));
    e.sample("signal_call_path_total", R"(path="relay")", static_cast<double>(s.path_relay));
    e.sample("signal_call_path_total", R"(path="unknown")", static_cast<double>(s.path_unknown));
    uint64_t reported = s.path_p2p + s.path_relay;
    e.metric("signal_relay_fraction", "gauge", "Relayed calls / calls reporting p2p or relay");
    e.sample(
        "signal_relay_fraction", "",
        reported == 0 ? 0.0 : static_cast<double>(s.path_relay) / static_cast<double>(reported));

    e.metric("signal_match_seconds", "histogram", "find to matched, per matched session");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < signal::match_latency_buckets; ++i) {
        cumulative += s.match_latency[i];
        std::string le = i < std::size(signal::match_latency_bounds_ms)
                             ? fmt::format("{}", signal::match_latency_bounds_ms[i] / 1000)
                             : "+Inf";
        e.sample("signal_match_seconds_bucket", fmt::format(R"(le="{}")", le),
                 static_cast<double>(cumulative));
    }
    e.sample("signal_match_seconds_sum", "", s.match_latency_sum_ms / 1000);
    e.sample("signal_match_seconds_count", "", static_cast<double>(cumulative));
}

}  // namespace

std::string render_metrics(const relay::RelayStats* relay, const signal::SignalStats* signal) {
    Exposition e;
    if (relay != nullptr) {
        relay_metrics(e, *relay);
    }
    if (signal != nullptr) {
        signal_metrics(e, *signal);
    }
    return e.take();
}

}  // namespace turnpike::admin
