// The turnpike binary: reads the config, starts the roles it names, and runs
// until SIGTERM or SIGINT. SIGHUP reloads what can change without a restart.
#include <glib-unix.h>
#include <glib.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "build_config.hpp"
#include "common/config.hpp"
#include "common/credentials.hpp"
#include "common/log.hpp"
#include "common/redis_url.hpp"
#include "matcher/memory_matcher.hpp"
#include "matcher/redis_matcher.hpp"
#include "relay/relay.hpp"
#include "signal/chat_filter.hpp"
#include "signal/report_store.hpp"
#include "signal/signal_server.hpp"

namespace {

using namespace turnpike;

constexpr std::string_view usage =
    "usage: turnpike [--config FILE]     run in the foreground (embedded defaults without FILE)\n"
    "       turnpike --check-config FILE validate FILE and exit\n"
    "       turnpike --print-defaults    print every key with its embedded default\n"
    "       turnpike --version\n";

void print_defaults() {
    std::string_view section;
    for (const auto& key : config_keys()) {
        if (key.section != section) {
            fmt::print("{}[{}]\n", section.empty() ? "" : "\n", key.section);
            section = key.section;
        }
        fmt::print("{} ={}{}\n", key.key, key.default_value.empty() ? "" : " ", key.default_value);
    }
}

struct Options {
    std::optional<std::string> config_path;
    bool check_only = false;
};

struct Daemon {
    Config config;
    std::string boot_secret;  // see with_turn_secret()
    std::unique_ptr<relay::Relay> relay;
    std::unique_ptr<matcher::Matcher> matcher;
    signal::MemoryReportStore reports;
    std::unique_ptr<signal::SignalServer> signal;
    GMainLoop* loop = nullptr;
};

Config load(const std::optional<std::string>& path) {
    return path ? load_config_file(*path) : embedded_defaults();
}

// With no [auth] static-auth-secret, a node that is both relay and signal
// server still hands browsers working TURN credentials: both roles share a
// random secret made at boot, which never leaves the process.
Config with_turn_secret(Config config, std::string& boot_secret) {
    bool both = config.server.has_role(Role::relay) && config.server.has_role(Role::signal);
    if (config.auth.static_auth_secret.empty() && both) {
        if (boot_secret.empty()) {
            boot_secret = random_secret();
        }
        config.auth.static_auth_secret = boot_secret;
    }
    return config;
}

matcher::MatcherSettings matcher_settings(const Config& config) {
    return {.interest_wait = config.matcher.interest_wait,
            .ip_block_ttl = config.matcher.block_ttl};
}

void start_signal(Daemon& daemon) {
    const Config& config = daemon.config;
    if (config.matcher.backend == MatcherBackend::redis) {
        // The URL was checked when the config loaded.
        auto endpoint = std::get<RedisEndpoint>(parse_redis_url(config.matcher.redis_url));
        daemon.matcher =
            std::make_unique<matcher::RedisMatcher>(matcher_settings(config), std::move(endpoint));
    } else {
        daemon.matcher = std::make_unique<matcher::MemoryMatcher>(matcher_settings(config));
    }
    daemon.signal = std::make_unique<signal::SignalServer>(config, *daemon.matcher, daemon.reports);
    daemon.signal->start();
    if (config.auth.static_auth_secret.empty()) {
        spdlog::warn(
            "signal: no [auth] static-auth-secret and no relay role here: browsers get no TURN "
            "credentials");
    }
}

gboolean on_reload(gpointer data) {
    auto& daemon = *static_cast<Daemon*>(data);
    sd_notify(0, "RELOADING=1");
    try {
        Config fresh =
            with_turn_secret(load(daemon.config.source == "<embedded defaults>"
                                      ? std::nullopt
                                      : std::optional<std::string>(daemon.config.source)),
                             daemon.boot_secret);
        // The signal server goes first: a word list that will not load
        // refuses the whole reload before anything has changed.
        if (daemon.signal) {
            for (const auto& key : daemon.signal->reload(fresh)) {
                spdlog::warn("reload: {} changed; it takes effect at the next restart", key);
            }
        }
        set_log_level(fresh.server.log_level);
        if (daemon.relay) {
            for (const auto& key : daemon.relay->reload(fresh)) {
                spdlog::warn("reload: {} changed; it takes effect at the next restart", key);
            }
        }
        daemon.config = std::move(fresh);
        spdlog::info("reload: applied {}", daemon.config.source);
    } catch (const ConfigError& e) {
        spdlog::error("reload refused, keeping the running config: {}", e.what());
    }
    sd_notify(0, "READY=1");
    return G_SOURCE_CONTINUE;
}

// SIGUSR1: one log line with the relay's counters, summed over its workers
// (the admin API's /metrics will serve the same numbers).
gboolean on_dump_stats(gpointer data) {
    auto& daemon = *static_cast<Daemon*>(data);
    if (daemon.relay) {
        relay::RelayStats s = daemon.relay->stats();
        spdlog::info(
            "stats: allocations_active={} allocations_created={} allocations_expired={} "
            "auth_failures={} relayed_to_peer_packets={} relayed_to_peer_bytes={} "
            "relayed_to_client_packets={} relayed_to_client_bytes={} stun_requests={} "
            "binding_responses={} error_responses={} dropped_not_stun={} dropped_malformed={} "
            "dropped_oversized={} dropped_no_allocation={} dropped_no_permission={} "
            "dropped_rate_limited={} dropped_send_failed={} peer_denied={} "
            "tcp_connections_open={}",
            s.allocations_active, s.allocations_created, s.allocations_expired, s.auth_failures,
            s.relayed_to_peer_packets, s.relayed_to_peer_bytes, s.relayed_to_client_packets,
            s.relayed_to_client_bytes, s.stun_requests, s.binding_responses, s.error_responses,
            s.dropped_not_stun, s.dropped_malformed, s.dropped_oversized, s.dropped_no_allocation,
            s.dropped_no_permission, s.dropped_rate_limited, s.dropped_send_failed, s.peer_denied,
            s.tcp_connections_open);
    }
    if (daemon.signal) {
        signal::SignalStats s = daemon.signal->stats();
        spdlog::info(
            "signal stats: sessions_open={} sessions_total={} sessions_waiting={} "
            "sessions_paired={} matches={} frames_in={} errors_sent={} signals_forwarded={} "
            "candidates_withheld={} chat_messages={} chat_filtered={} chat_rate_limited={} "
            "blocks={} reports={} path_p2p={} path_relay={} path_unknown={} rejected_origin={} "
            "rejected_ip_limit={} rejected_capacity={} closed_idle={} closed_flood={} "
            "closed_chat_abuse={}",
            s.sessions_open, s.sessions_total, s.sessions_waiting, s.sessions_paired, s.matches,
            s.frames_in, s.errors_sent, s.signals_forwarded, s.candidates_withheld, s.chat_messages,
            s.chat_filtered, s.chat_rate_limited, s.blocks, s.reports, s.path_p2p, s.path_relay,
            s.path_unknown, s.rejected_origin, s.rejected_ip_limit, s.rejected_capacity,
            s.closed_idle, s.closed_flood, s.closed_chat_abuse);
    }
    return G_SOURCE_CONTINUE;
}

gboolean quit_loop(gpointer data) {
    g_main_loop_quit(static_cast<Daemon*>(data)->loop);
    return G_SOURCE_REMOVE;
}

// Sessions get a close frame first; the loop runs a moment longer to send it.
gboolean on_terminate(gpointer data) {
    auto& daemon = *static_cast<Daemon*>(data);
    spdlog::info("shutting down");
    if (daemon.signal) {
        daemon.signal->stop();
        g_timeout_add(200, quit_loop, &daemon);
    } else {
        g_main_loop_quit(daemon.loop);
    }
    return G_SOURCE_REMOVE;
}

int run(const Options& options) {
    Daemon daemon;
    try {
        daemon.config = with_turn_secret(load(options.config_path), daemon.boot_secret);
        // The files a config names are part of it: a word list that will not
        // load fails the check, not the next start.
        signal::chat_filter_for(daemon.config);
    } catch (const ConfigError& e) {
        fmt::print(stderr, "turnpike: {}\n", e.what());
        return 1;
    }
    if (options.check_only) {
        fmt::print("{}: OK\n", daemon.config.source);
        return 0;
    }

    init_logging(daemon.config.server.log_level);
    spdlog::info("turnpike {} starting with {}", TURNPIKE_VERSION, daemon.config.source);
    try {
        if (daemon.config.server.has_role(Role::relay)) {
            daemon.relay = std::make_unique<relay::Relay>(daemon.config);
            daemon.relay->start();
        }
        if (daemon.config.server.has_role(Role::signal)) {
            start_signal(daemon);
        }
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        return 1;
    }

    daemon.loop = g_main_loop_new(nullptr, FALSE);
    g_unix_signal_add(SIGHUP, on_reload, &daemon);
    g_unix_signal_add(SIGTERM, on_terminate, &daemon);
    g_unix_signal_add(SIGINT, on_terminate, &daemon);
    g_unix_signal_add(SIGUSR1, on_dump_stats, &daemon);
    sd_notify(0, "READY=1\nSTATUS=running");
    spdlog::info("ready");
    g_main_loop_run(daemon.loop);

    sd_notify(0, "STOPPING=1");
    daemon.signal.reset();
    if (daemon.relay) {
        daemon.relay->stop();
    }
    g_main_loop_unref(daemon.loop);
    spdlog::info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--version") {
            fmt::print("turnpike {}\n", TURNPIKE_VERSION);
            return 0;
        }
        if (arg == "--print-defaults") {
            print_defaults();
            return 0;
        }
        if (arg == "--help" || arg == "-h") {
            fmt::print("{}", usage);
            return 0;
        }
        if ((arg == "--config" || arg == "--check-config") && i + 1 < argc) {
            options.config_path = argv[++i];
            options.check_only = options.check_only || arg == "--check-config";
            continue;
        }
        fmt::print(stderr, "turnpike: unexpected argument '{}'\n{}", arg, usage);
        return 2;
    }
    if (options.check_only && !options.config_path) {
        fmt::print(stderr, "turnpike: --check-config needs a FILE\n{}", usage);
        return 2;
    }
    return run(options);
}
