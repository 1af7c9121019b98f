#include "signal/signal_server.hpp"

#include <libsoup/soup.h>

#include <netinet/in.h>

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "signal/origin.hpp"
#include "signal/switchboard.hpp"

namespace turnpike::signal {

namespace {

constexpr guint tick_ms = 100;
constexpr int sweep_every_ticks = 10;

// A listener on [::] reports IPv4 clients as ::ffff:a.b.c.d; limits and
// blocks key on the plain IPv4 form.
std::string client_ip(SoupServerMessage* message) {
    std::string ip = soup_server_message_get_remote_host(message);
    constexpr std::string_view mapped = "::ffff:";
    if (ip.starts_with(mapped) && ip.find('.') != std::string::npos) {
        ip.erase(0, mapped.size());
    }
    return ip;
}

const char* header(SoupServerMessage* message, const char* name) {
    const char* value =
        soup_message_headers_get_one(soup_server_message_get_request_headers(message), name);
    return value != nullptr ? value : "";
}

void refuse(SoupServerMessage* message, guint status, std::string_view why) {
    soup_server_message_set_status(message, status, nullptr);
    soup_server_message_set_response(message, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                     why.data(), why.size());
}

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

struct SignalServer::Impl {
    Config config;
    matcher::Matcher& matcher;
    GObjectPtr<SoupServer> server;
    std::unique_ptr<Switchboard> switchboard;
    guint tick_source = 0;
    int ticks = 0;
    uint64_t rejected_origin = 0;
    uint64_t rejected_ip_limit = 0;
    uint64_t rejected_capacity = 0;

    Impl(const Config& c, matcher::Matcher& m, ReportStore& reports)
        : config(c), matcher(m), server(soup_server_new("server-header", "turnpike", nullptr)) {
        switchboard = std::make_unique<Switchboard>(matcher, reports, IceServers(config),
                                                    chat_filter_for(config),
                                                    SwitchboardSettings::from(config));
        // permessage-deflate costs a zlib context per socket and invites
        // decompression bombs; these messages are small.
        soup_server_remove_websocket_extension(server.get(), SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
        soup_server_add_handler(server.get(), "/ws", on_ws_request, this, nullptr);
        soup_server_add_websocket_handler(server.get(), "/ws", nullptr, nullptr, on_websocket, this,
                                          nullptr);
    }

    ~Impl() {
        if (tick_source != 0) {
            g_source_remove(tick_source);
        }
        soup_server_disconnect(server.get());
    }

    // Runs before the WebSocket handshake: a status set here refuses it.
    static void on_ws_request(SoupServer*, SoupServerMessage* message, const char*, GHashTable*,
                              gpointer data) {
        auto& self = *static_cast<Impl*>(data);
        const auto& signal = self.config.signal;
        if (!origin_allowed(header(message, "Origin"), header(message, "Host"),
                            signal.allowed_origins)) {
            ++self.rejected_origin;
            refuse(message, SOUP_STATUS_FORBIDDEN, "origin not allowed\n");
        } else if (self.switchboard->size() >= signal.max_sessions) {
            ++self.rejected_capacity;
            refuse(message, SOUP_STATUS_SERVICE_UNAVAILABLE, "server full, try again later\n");
        } else if (self.switchboard->sessions_from(client_ip(message)) >=
                   signal.max_sessions_per_ip) {
            ++self.rejected_ip_limit;
            refuse(message, 429 /* Too Many Requests: libsoup 3.2 has no name for it */,
                   "too many sessions from your address\n");
        }
    }

    static void on_websocket(SoupServer*, SoupServerMessage* message, const char*,
                             SoupWebsocketConnection* connection, gpointer data) {
        auto& self = *static_cast<Impl*>(data);
        soup_websocket_connection_set_max_incoming_payload_size(connection, max_frame_bytes);
        soup_websocket_connection_set_keepalive_interval(
            connection, static_cast<guint>(self.config.signal.ping_interval.count()));
        self.switchboard->admit(connection, client_ip(message), header(message, "Host"));
    }

    static gboolean on_tick(gpointer data) {
        auto& self = *static_cast<Impl*>(data);
        auto now = Clock::now();
        self.matcher.tick(now);
        if (++self.ticks % sweep_every_ticks == 0) {
            self.switchboard->sweep(now);
        }
        return G_SOURCE_CONTINUE;
    }
};

SignalServer::SignalServer(const Config& config, matcher::Matcher& matcher, ReportStore& reports)
    : impl_(std::make_unique<Impl>(config, matcher, reports)) {}

SignalServer::~SignalServer() = default;

namespace {

// GSocket's default backlog of 10 drops the SYNs of a crowd arriving at once
// (a page reload wave, a benchmark), which then wait out TCP's retransmit
// timers; libsoup's own listen() does not expose it.
constexpr int listen_backlog = 4096;

GObjectPtr<GSocket> listening_socket(const SocketAddress& address) {
    GError* error = nullptr;
    auto family = address.is_v6() ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
    GObjectPtr<GSocket> socket(
        g_socket_new(family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error));
    GObjectPtr<GSocketAddress> native(g_socket_address_new_from_native(
        const_cast<sockaddr*>(address.sockaddr_ptr()), address.length()));
    if (socket) {
        if (address.is_v6()) {
            g_socket_set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, TRUE, nullptr);
        }
        g_socket_set_listen_backlog(socket.get(), listen_backlog);
        if (!g_socket_bind(socket.get(), native.get(), TRUE, &error) ||
            !g_socket_listen(socket.get(), &error)) {
            socket.reset();
        }
    }
    if (!socket) {
        std::string message = fmt::format("cannot listen for WebSocket clients on {}: {}",
                                          address.to_string(), error->message);
        g_error_free(error);
        throw std::runtime_error(message);
    }
    return socket;
}

}  // namespace

void SignalServer::start() {
    for (const auto& address : impl_->config.signal.listen) {
        auto socket = listening_socket(address);
        GError* error = nullptr;
        if (!soup_server_listen_socket(impl_->server.get(), socket.get(), SoupServerListenOptions{},
                                       &error)) {
            std::string message = fmt::format("cannot listen for WebSocket clients on {}: {}",
                                              address.to_string(), error->message);
            g_error_free(error);
            throw std::runtime_error(message);
        }
        spdlog::info("signal: listening on http://{}/ws", address.to_string());
    }
    impl_->tick_source = g_timeout_add(tick_ms, Impl::on_tick, impl_.get());
}

void SignalServer::stop() {
    impl_->switchboard->close_all(close_going_away, "server shutting down");
    soup_server_disconnect(impl_->server.get());
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
    return stats;
}

}  // namespace turnpike::signal
