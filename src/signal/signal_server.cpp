#include "signal/signal_server.hpp"

#include <netinet/in.h>

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "signal/origin.hpp"
#include "signal/static_files.hpp"
#include "signal/switchboard.hpp"
#include "signal/websocket_server.hpp"

namespace turnpike::signal {

namespace {

constexpr guint tick_ms = 100;
constexpr int sweep_every_ticks = 10;

}  // namespace

ChatFilter chat_filter_for(const Config& config) {
    if (config.signal.word_list.empty()) {
        return ChatFilter::built_in();
    }
    try {
        return ChatFilter::load_file(config.signal.word_list, "[signal] word-list");
    } catch (const ConfigError& e) {
        // Named from the config that points at the list, then the list itself.
        throw ConfigError(config.source, e.key(), fmt::format("{}: {}", e.file(), e.problem()));
    }
}

// A configured web root must be there (the server does not start without
// it); the default one may be missing, as on a node that serves no page.
static std::unique_ptr<StaticFiles> open_web_root(const std::string& configured) {
    if (!configured.empty()) {
        return std::make_unique<StaticFiles>(configured);
    }
    try {
        return std::make_unique<StaticFiles>(StaticFiles::default_root());
    } catch (const std::runtime_error& e) {
        spdlog::warn("signal: no chat page to serve: {}", e.what());
        return nullptr;
    }
}

struct SignalServer::Impl {
    Config config;
    matcher::Matcher& matcher;
    std::unique_ptr<Switchboard> switchboard;
    std::unique_ptr<WebSocketServer> websockets;
    std::unique_ptr<StaticFiles> files;  // null: no page to serve
    guint tick_source = 0;
    int ticks = 0;
    uint64_t rejected_origin = 0;
    uint64_t rejected_ip_limit = 0;
    uint64_t rejected_capacity = 0;
    uint64_t rejected_banned = 0;
    std::shared_ptr<const CidrSet> bans;

    Impl(const Config& initial, matcher::Matcher& shared_matcher, ReportStore& reports)
        : config(initial), matcher(shared_matcher) {
        switchboard = std::make_unique<Switchboard>(matcher, reports, IceServers(config),
                                                    chat_filter_for(config),
                                                    SwitchboardSettings::from(config));
        WebSocketServer::Handlers handlers;
        handlers.admit = [this](const HandshakeRequest& request) { return admit(request); };
        handlers.opened = [this](WebSocketConnection& c) { switchboard->admit(c); };
        handlers.message = [this](WebSocketConnection& c, bool text, std::string_view m) {
            switchboard->receive(c, text, m);
        };
        handlers.pong = [this](WebSocketConnection& c) { switchboard->pong(c); };
        handlers.closed = [this](WebSocketConnection& c) { switchboard->closed(c); };
        files = open_web_root(config.signal.web_root);
        if (files) {
            handlers.http = [this](const HttpRequest& r) { return files->respond(r); };
        }
        websockets = std::make_unique<WebSocketServer>("/ws", max_frame_bytes, std::move(handlers));
        websockets->trust_proxies(config.signal.trusted_proxies);
    }

    ~Impl() {
        if (tick_source != 0) {
            g_source_remove(tick_source);
        }
    }

    // Runs before the WebSocket handshake is answered: a status refuses it.
    Admission admit(const HandshakeRequest& request) {
        const auto& signal = config.signal;
        if (bans) {
            auto ip = IpAddress::parse(request.ip);
            if (ip && bans->contains(*ip)) {
                ++rejected_banned;
                return {403, "your address is banned from this service\n"};
            }
        }
        if (!origin_allowed(request.origin, request.host, signal.allowed_origins)) {
            ++rejected_origin;
            return {403, "origin not allowed\n"};
        }
        if (switchboard->size() >= signal.max_sessions) {
            ++rejected_capacity;
            return {503, "server full, try again later\n"};
        }
        if (switchboard->sessions_from(request.ip) >= signal.max_sessions_per_ip) {
            ++rejected_ip_limit;
            return {429, "too many sessions from your address\n"};
        }
        return {};
    }

    static gboolean on_tick(gpointer data) {
        auto& self = *static_cast<Impl*>(data);
        auto now = Clock::now();
        self.matcher.tick(now);
        if (++self.ticks % sweep_every_ticks == 0) {
            self.websockets->keepalive(now, self.config.signal.ping_interval);
            self.switchboard->sweep(now);
        }
        return G_SOURCE_CONTINUE;
    }
};

SignalServer::SignalServer(const Config& config, matcher::Matcher& matcher, ReportStore& reports)
    : impl_(std::make_unique<Impl>(config, matcher, reports)) {}

SignalServer::~SignalServer() = default;

// The kernel caps it at net.core.somaxconn; a crowd arriving at once (a page
// reload wave, a benchmark) otherwise waits out TCP's SYN retransmits.
constexpr int listen_backlog = 4096;

void SignalServer::start() {
    for (const auto& address : impl_->config.signal.listen) {
        impl_->websockets->listen(address, listen_backlog);
        spdlog::info("signal: listening on http://{}/ws", address.to_string());
    }
    if (impl_->files) {
        spdlog::info("signal: serving the chat page from {}", impl_->files->root());
    }
    impl_->tick_source = g_timeout_add(tick_ms, Impl::on_tick, impl_.get());
}

void SignalServer::stop() {
    impl_->switchboard->close_all(close_going_away, "server shutting down");
}

std::vector<std::string> SignalServer::reload(const Config& config) {
    ChatFilter filter = chat_filter_for(config);
    std::vector<std::string> restart;
    if (config.signal.listen != impl_->config.signal.listen) {
        restart.emplace_back("[signal] listen");
    }
    if (config.signal.web_root != impl_->config.signal.web_root) {
        restart.emplace_back("[signal] web-root");
    }
    impl_->websockets->trust_proxies(config.signal.trusted_proxies);
    impl_->switchboard->reload(IceServers(config), std::move(filter),
                               SwitchboardSettings::from(config));
    auto listen = impl_->config.signal.listen;
    auto web_root = impl_->config.signal.web_root;
    impl_->config = config;
    impl_->config.signal.listen = listen;  // still what the sockets are bound to
    impl_->config.signal.web_root = web_root;
    return restart;
}

SignalStats SignalServer::stats() const {
    SignalStats stats = impl_->switchboard->stats();
    stats.rejected_origin = impl_->rejected_origin;
    stats.rejected_ip_limit = impl_->rejected_ip_limit;
    stats.rejected_capacity = impl_->rejected_capacity;
    stats.rejected_banned = impl_->rejected_banned;
    return stats;
}

void SignalServer::set_bans(std::shared_ptr<const CidrSet> bans) {
    impl_->bans = std::move(bans);
    if (impl_->bans) {
        impl_->switchboard->close_banned(*impl_->bans);
    }
}

std::vector<SessionSummary> SignalServer::sessions() const {
    return impl_->switchboard->summaries();
}

bool SignalServer::disconnect(std::string_view id, std::string_view reason) {
    return impl_->switchboard->disconnect(id, reason);
}

}  // namespace turnpike::signal
