#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/address.hpp"
#include "common/cidr.hpp"
#include "common/unique_fd.hpp"
#include "signal/http_request.hpp"

namespace turnpike::signal {

// A WebSocket server (RFC 6455) on one epoll set behind a single GLib source.
//
// Why not libsoup's: it gives every connection its own GSources (the socket,
// a keepalive timer), and every wake-up of a GLib main loop walks all of
// them, so one event costs O(sessions) and idle sessions' pongs cost O(n^2):
// with 15,000 sessions 80% of the CPU went to GLib's bookkeeping. Here a
// wake-up costs what is ready, and keepalive is one sweep a second.
//
// Text and binary messages up to max_message bytes (fragments reassembled),
// ping/pong, the close handshake, and a cap on what may wait to be sent to a
// client that does not read.
class WebSocketConnection {
  public:
    enum class State { handshake, open, closing, closed };

    void send_text(std::string_view text);
    // Sends a close frame; the socket closes when the peer answers, or after
    // a few seconds.
    void close(uint16_t code, std::string_view reason);
    bool is_open() const { return state_ == State::open; }

    const std::string& ip() const { return ip_; }
    const std::string& host() const { return host_; }

    void* user = nullptr;  // the owner's, e.g. its Session

  private:
    friend class WebSocketServer;

    WebSocketConnection(class WebSocketServer& server, UniqueFd fd, std::string ip);

    void on_readable();
    void on_writable();
    bool read_handshake();
    bool read_frames();
    bool handle_frame(uint8_t opcode, bool fin, std::string_view payload);
    bool deliver(uint8_t opcode, std::string_view payload);
    void send_frame(uint8_t opcode, std::string_view payload);
    void write_pending();
    void fail(uint16_t code, std::string_view reason);
    void shut();

    WebSocketServer& server_;
    UniqueFd fd_;
    std::string ip_;
    std::string host_;
    State state_ = State::handshake;
    bool close_after_write_ = false;  // a plain HTTP answer: closed once sent
    std::string in_;
    std::string out_;
    size_t out_sent_ = 0;
    std::string fragments_;
    uint8_t fragment_opcode_ = 0;
    bool want_write_ = false;
    std::chrono::steady_clock::time_point accepted_at_{};
    std::chrono::steady_clock::time_point last_ping_{};
    std::chrono::steady_clock::time_point close_deadline_{};
};

// What the owner says about a handshake: 0 accepts it, otherwise the HTTP
// status and a line of text to refuse it with.
struct Admission {
    int status = 0;
    std::string reason;
};

struct HandshakeRequest {
    std::string_view path;
    std::string_view host;
    std::string_view origin;
    std::string_view ip;
};

class WebSocketServer {
  public:
    struct Handlers {
        std::function<Admission(const HandshakeRequest&)> admit;
        std::function<void(WebSocketConnection&)> opened;
        std::function<void(WebSocketConnection&, bool text, std::string_view payload)> message;
        std::function<void(WebSocketConnection&)> pong;
        std::function<void(WebSocketConnection&)> closed;  // once, for opened ones only
        // Requests for any other path than the WebSocket's: a complete HTTP
        // response. Unset: 404.
        std::function<std::string(const HttpRequest&)> http;
    };

    static constexpr size_t max_handshake = 8192;
    static constexpr size_t max_queued_out = 4 << 20;  // then the reader is too slow: dropped

    WebSocketServer(std::string path, size_t max_message, Handlers handlers);
    ~WebSocketServer();
    WebSocketServer(const WebSocketServer&) = delete;
    WebSocketServer& operator=(const WebSocketServer&) = delete;

    // Throws std::runtime_error naming the address.
    void listen(const SocketAddress& address, int backlog);
    // Connections from these addresses are proxies: the client is the last
    // address in X-Forwarded-For that is not one of them.
    void trust_proxies(CidrSet proxies) { trusted_proxies_ = std::move(proxies); }
    // Pings open connections every `interval`; call about once a second.
    void keepalive(std::chrono::steady_clock::time_point now, std::chrono::seconds interval);
    void close_all(uint16_t code, std::string_view reason);
    size_t size() const { return connections_.size(); }

  private:
    friend class WebSocketConnection;

    static int on_epoll(int fd, unsigned condition, void* data);
    void poll_once();
    void accept_all(int listener);
    void pause_listener(int listener);
    void resume_listeners();
    void update_events(WebSocketConnection& connection);
    void retire(WebSocketConnection& connection);
    void deliver_closed();
    void bury();

    std::string client_behind(std::string_view peer, std::string_view forwarded_for) const;

    std::string path_;
    size_t max_message_;
    CidrSet trusted_proxies_;
    Handlers handlers_;
    UniqueFd epoll_;
    unsigned source_ = 0;
    std::vector<UniqueFd> listeners_;
    std::vector<int> paused_listeners_;
    std::unordered_map<int, std::unique_ptr<WebSocketConnection>> connections_;
    unsigned flush_source_ = 0;
    std::vector<int> closing_;  // no longer open; the owner is still to hear of it
    std::vector<int> doomed_;   // shut; freed at the end of the pass
};

}  // namespace turnpike::signal
