// The turnpike binary: reads the config, starts the roles it names, and runs
// until SIGTERM or SIGINT. SIGHUP reloads what can change without a restart.
#include <glib-unix.h>
#include <glib.h>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "admin/admin_server.hpp"
#include "admin/password.hpp"
#include "admin/redis_store.hpp"
#include "admin/sqlite_store.hpp"
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
    "       turnpike --version\n"
    "       turnpike admin add-user NAME --role superadmin|moderator [--config FILE]\n"
    "                                        (the password is read from stdin)\n"
    "       turnpike admin remove-user NAME [--config FILE]\n"
    "       turnpike admin list-users [--config FILE]\n";

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
    signal::MemoryReportStore memory_reports;
    std::unique_ptr<admin::Store> store;  // with the admin role: reports go here
    std::unique_ptr<signal::SignalServer> signal;
    std::unique_ptr<admin::AdminServer> admin;
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
    signal::ReportStore& reports =
        daemon.store ? static_cast<signal::ReportStore&>(*daemon.store) : daemon.memory_reports;
    daemon.signal = std::make_unique<signal::SignalServer>(config, *daemon.matcher, reports);
    daemon.signal->start();
    if (config.auth.static_auth_secret.empty()) {
        spdlog::warn(
            "signal: no [auth] static-auth-secret and no relay role here: browsers get no TURN "
            "credentials");
    }
}

// The durable store [store] names. The default file lives in the state
// directory, made here if missing (0700: it holds password hashes).
std::unique_ptr<admin::Store> open_store(const Config& config) {
    if (config.store.backend == StoreBackend::redis) {
        // The cluster's Redis: [matcher] redis-url, checked when the config loaded.
        return std::make_unique<admin::RedisStore>(
            std::get<RedisEndpoint>(parse_redis_url(config.matcher.redis_url)));
    }
    if (config.store.path.empty()) {
        g_mkdir_with_parents(config.server.state_dir.c_str(), 0700);
    }
    return std::make_unique<admin::SqliteStore>(config.store.resolved_path(config.server));
}

std::optional<std::string> reload(Daemon& daemon);

void start_admin(Daemon& daemon) {
    admin::AdminHooks hooks;
    if (daemon.relay) {
        hooks.relay_stats = [&daemon] { return daemon.relay->stats(); };
        hooks.allocations = [&daemon] { return daemon.relay->allocations(); };
        hooks.kill_allocations = [&daemon](const SocketAddress& client) {
            return daemon.relay->kill(client);
        };
    }
    if (daemon.signal) {
        hooks.signal_stats = [&daemon] { return daemon.signal->stats(); };
        hooks.sessions = [&daemon] { return daemon.signal->sessions(); };
        hooks.disconnect = [&daemon](std::string_view id) {
            return daemon.signal->disconnect(id, "disconnected by a moderator");
        };
    }
    hooks.apply_bans = [&daemon](std::shared_ptr<const CidrSet> bans) {
        if (daemon.signal) {
            daemon.signal->set_bans(bans);
        }
        if (daemon.relay) {
            daemon.relay->set_bans(bans);
        }
    };
    if (daemon.matcher) {
        hooks.ip_blocks = [&daemon](matcher::Matcher::IpBlocksHandler done) {
            daemon.matcher->ip_blocks(std::move(done));
        };
        hooks.unblock_ips = [&daemon](std::string_view a, std::string_view b) {
            daemon.matcher->unblock_ips(a, b);
        };
    }
    hooks.reload = [&daemon] { return reload(daemon); };
    hooks.quotas = [&daemon] { return daemon.config.quotas; };
    daemon.admin = std::make_unique<admin::AdminServer>(daemon.config, *daemon.store, hooks);
    daemon.admin->start();
}

// `turnpike admin ...`: accounts, straight in the store (the daemon may run).
int admin_command(std::span<char*> args, const std::optional<std::string>& config_path) {
    Config config;
    try {
        config = load(config_path);
    } catch (const ConfigError& e) {
        fmt::print(stderr, "turnpike: {}\n", e.what());
        return 1;
    }
    try {
        admin::init_crypto();
        auto store = open_store(config);
        std::string_view verb = args.empty() ? "" : args[0];
        if (verb == "list-users" && args.size() == 1) {
            for (const auto& a : store->admins()) {
                fmt::print("{} {}\n", a.name, admin::to_string(a.role));
            }
            return 0;
        }
        if (verb == "remove-user" && args.size() == 2) {
            if (!store->remove_admin(args[1])) {
                fmt::print(stderr, "turnpike: no admin named '{}'\n", args[1]);
                return 1;
            }
            store->audit("(command line)", "remove-admin", args[1]);
            fmt::print("removed {}; its tokens are revoked\n", args[1]);
            return 0;
        }
        if (verb == "add-user" && args.size() == 4 && std::string_view(args[2]) == "--role") {
            auto role = admin::parse_role(args[3]);
            std::string_view name = args[1];
            if (!role || name.empty() || name.size() > 64) {
                fmt::print(stderr,
                           "turnpike: --role is superadmin or moderator, and NAME 1 to 64 "
                           "characters\n");
                return 2;
            }
            std::string password;
            if (!std::getline(std::cin, password)) {
                fmt::print(stderr, "turnpike: give the password on stdin\n");
                return 2;
            }
            if (auto problem = admin::password_problem(password); !problem.empty()) {
                fmt::print(stderr, "turnpike: {}\n", problem);
                return 2;
            }
            if (!store->add_admin({std::string(name), *role, admin::hash_password(password)})) {
                fmt::print(stderr, "turnpike: an admin named '{}' exists already\n", name);
                return 1;
            }
            store->audit("(command line)", "add-admin",
                         fmt::format("{} {}", name, admin::to_string(*role)));
            fmt::print("added {} ({})\n", name, admin::to_string(*role));
            return 0;
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "turnpike: {}\n", e.what());
        return 1;
    }
    fmt::print(stderr, "{}", usage);
    return 2;
}

// Re-reads the config file; the problem, if it was refused.
std::optional<std::string> reload(Daemon& daemon) {
    try {
        Config fresh =
            with_turn_secret(load(daemon.config.source == "<embedded defaults>"
                                      ? std::nullopt
                                      : std::optional<std::string>(daemon.config.source)),
                             daemon.boot_secret);
        // The files first: a certificate or a word list that will not load
        // refuses the whole reload before anything has changed.
        auto tls = daemon.relay ? relay::TlsContext::load(fresh) : nullptr;
        if (daemon.signal) {
            for (const auto& key : daemon.signal->reload(fresh)) {
                spdlog::warn("reload: {} changed; it takes effect at the next restart", key);
            }
        }
        set_log_level(fresh.server.log_level);
        if (daemon.relay) {
            for (const auto& key : daemon.relay->reload(fresh, tls)) {
                spdlog::warn("reload: {} changed; it takes effect at the next restart", key);
            }
        }
        daemon.config = std::move(fresh);
        spdlog::info("reload: applied {}", daemon.config.source);
        return std::nullopt;
    } catch (const ConfigError& e) {
        spdlog::error("reload refused, keeping the running config: {}", e.what());
        return std::string(e.what());
    }
}

gboolean on_reload(gpointer data) {
    sd_notify(0, "RELOADING=1");
    reload(*static_cast<Daemon*>(data));
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
            "tcp_connections_open={} tcp_buffer_bytes={} tcp_accept_paused={} "
            "tcp_refused_per_ip={} "
            "tcp_refused_rate={} "
            "tcp_connections_closed_bad_input={} tcp_connections_closed_idle={} "
            "tcp_connections_closed_slow={} "
            "tls_connections_accepted={} tls_handshakes_failed={} "
            "udp_datagrams_out={} "
            "udp_segmented_sends={} udp_datagrams_segmented={} udp_datagrams_fragmented={} "
            "coalesced_waits={}",
            s.allocations_active, s.allocations_created, s.allocations_expired, s.auth_failures,
            s.relayed_to_peer_packets, s.relayed_to_peer_bytes, s.relayed_to_client_packets,
            s.relayed_to_client_bytes, s.stun_requests, s.binding_responses, s.error_responses,
            s.dropped_not_stun, s.dropped_malformed, s.dropped_oversized, s.dropped_no_allocation,
            s.dropped_no_permission, s.dropped_rate_limited, s.dropped_send_failed, s.peer_denied,
            s.tcp_connections_open, s.tcp_buffer_bytes, s.tcp_accept_paused, s.tcp_refused_per_ip,
            s.tcp_refused_rate, s.tcp_connections_closed_bad_input, s.tcp_connections_closed_idle,
            s.tcp_connections_closed_slow, s.tls_connections_accepted, s.tls_handshakes_failed,
            s.udp_datagrams_out, s.udp_segmented_sends, s.udp_datagrams_segmented,
            s.udp_datagrams_fragmented, s.coalesced_waits);
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
    // OpenSSL writes to a TLS client's socket with write(2), which raises
    // SIGPIPE once the client has gone; every other write passes MSG_NOSIGNAL.
    std::signal(SIGPIPE, SIG_IGN);
    Daemon daemon;
    std::shared_ptr<const relay::TlsContext> tls;
    try {
        daemon.config = with_turn_secret(load(options.config_path), daemon.boot_secret);
        // The files a config names are part of it: a word list that will not
        // load fails the check, not the next start.
        signal::chat_filter_for(daemon.config);
        if (daemon.config.server.has_role(Role::relay)) {
            tls = relay::TlsContext::load(daemon.config);
        }
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
        if (daemon.config.server.has_role(Role::admin)) {
            admin::init_crypto();
            try {
                daemon.store = open_store(daemon.config);
            } catch (const std::exception& e) {
                // The rest of the appliance runs; say loudly what is missing.
                spdlog::error("admin: not started: cannot open the store: {}", e.what());
            }
        }
        if (daemon.config.server.has_role(Role::relay)) {
            daemon.relay = std::make_unique<relay::Relay>(daemon.config, std::move(tls));
            daemon.relay->start();
        }
        if (daemon.config.server.has_role(Role::signal)) {
            start_signal(daemon);
        }
        if (daemon.store) {
            start_admin(daemon);
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
    daemon.admin.reset();
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
    if (argc >= 2 && std::string_view(argv[1]) == "admin") {
        std::vector<char*> rest;
        std::optional<std::string> config_path;
        for (int i = 2; i < argc; ++i) {
            if (std::string_view(argv[i]) == "--config" && i + 1 < argc) {
                config_path = argv[++i];
            } else {
                rest.push_back(argv[i]);
            }
        }
        return admin_command(rest, config_path);
    }
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
