#include "signal/websocket_server.hpp"

#include <arpa/inet.h>
#include <glib-unix.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "common/credentials.hpp"

namespace turnpike::signal {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint8_t op_continuation = 0x0;
constexpr uint8_t op_text = 0x1;
constexpr uint8_t op_binary = 0x2;
constexpr uint8_t op_close = 0x8;
constexpr uint8_t op_ping = 0x9;
constexpr uint8_t op_pong = 0xA;

constexpr uint16_t close_protocol_error = 1002;
constexpr uint16_t close_invalid_data = 1007;
constexpr uint16_t close_too_big = 1009;
constexpr auto close_wait = std::chrono::seconds(5);
constexpr auto handshake_time = std::chrono::seconds(10);  // slowloris

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && g_ascii_strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool icontains_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        auto comma = list.find(',');
        if (iequals(trim(list.substr(0, comma)), token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return false;
}

struct Request {
    std::string_view method;
    std::string_view path;
    std::unordered_map<std::string, std::string_view> headers;  // names lowercased

    std::string_view header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string_view{} : it->second;
    }
};

bool parse_request(std::string_view head, Request& request) {
    auto line_end = head.find("\r\n");
    auto line = head.substr(0, line_end);
    auto space = line.find(' ');
    auto second = line.find(' ', space + 1);
    if (space == std::string_view::npos || second == std::string_view::npos ||
        !line.substr(second + 1).starts_with("HTTP/1.")) {
        return false;
    }
    request.method = line.substr(0, space);
    request.path = line.substr(space + 1, second - space - 1);
    request.path = request.path.substr(0, request.path.find('?'));
    head.remove_prefix(line_end + 2);
    while (!head.empty()) {
        auto end = head.find("\r\n");
        auto field = head.substr(0, end);
        head.remove_prefix(end == std::string_view::npos ? head.size() : end + 2);
        if (field.empty()) {
            break;
        }
        auto colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return false;
        }
        std::string name(field.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(g_ascii_tolower(c)); });
        request.headers[name] = trim(field.substr(colon + 1));
    }
    return true;
}

std::string accept_key(std::string_view key) {
    std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::array<uint8_t, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
    return base64_encode(digest);
}

std::string status_text(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 426:
            return "Upgrade Required";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        default:
            return "Service Unavailable";
    }
}

std::string http_refusal(int status, std::string_view body) {
    return fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
        "Connection: close\r\nServer: turnpike\r\n\r\n{}",
        status, status_text(status), body.size(), body);
}

std::string peer_ip(const sockaddr_storage& peer) {
    char text[INET6_ADDRSTRLEN] = {};
    if (peer.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(peer);
        inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        std::string ip = text;
        if (ip.starts_with("::ffff:") && ip.find('.') != std::string::npos) {
            ip.erase(0, 7);  // IPv4 through a dual-stack socket
        }
        return ip;
    }
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(peer);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    return text;
}

}  // namespace

// --- connection ---

WebSocketConnection::WebSocketConnection(WebSocketServer& server, UniqueFd fd, std::string ip)
    : server_(server), fd_(std::move(fd)), ip_(std::move(ip)) {}

void WebSocketConnection::send_frame(uint8_t opcode, std::string_view payload) {
    if (state_ == State::closed) {
        return;
    }
    char header[10];
    size_t length = 2;
    header[0] = static_cast<char>(0x80 | opcode);
    if (payload.size() < 126) {
        header[1] = static_cast<char>(payload.size());
    } else if (payload.size() <= 0xFFFF) {
        header[1] = 126;
        header[2] = static_cast<char>(payload.size() >> 8);
        header[3] = static_cast<char>(payload.size() & 0xFF);
        length = 4;
    } else {
        header[1] = 127;
        for (int i = 0; i < 8; ++i) {
            header[2 + i] =
                static_cast<char>((static_cast<uint64_t>(payload.size()) >> (56 - 8 * i)) & 0xFF);
        }
        length = 10;
    }
    out_.append(header, length).append(payload);
    write_pending();
}

void WebSocketConnection::send_text(std::string_view text) {
    if (state_ == State::open) {
        send_frame(op_text, text);
    }
}

void WebSocketConnection::close(uint16_t code, std::string_view reason) {
    if (state_ != State::open) {
        return;
    }
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    payload += reason.substr(0, 123);
    send_frame(op_close, payload);
    close_deadline_ = Clock::now() + close_wait;
    server_.retire(*this);  // the socket lingers for the peer's answer
}

void WebSocketConnection::fail(uint16_t code, std::string_view reason) {
    close(code, reason);
    in_.clear();
}

void WebSocketConnection::write_pending() {
    while (out_sent_ < out_.size()) {
        ssize_t n = ::send(fd_.get(), out_.data() + out_sent_, out_.size() - out_sent_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            if (errno == EINTR) {
                continue;
            }
            shut();
            return;
        }
        out_sent_ += static_cast<size_t>(n);
    }
    if (out_sent_ == out_.size()) {
        out_.clear();
        out_sent_ = 0;
        if (close_after_write_) {
            shut();
            return;
        }
    } else if (out_.size() - out_sent_ > WebSocketServer::max_queued_out) {
        shut();  // a client that does not read is not held in memory without end
        return;
    }
    bool want = out_sent_ < out_.size();
    if (want != want_write_) {
        want_write_ = want;
        server_.update_events(*this);
    }
}

void WebSocketConnection::on_writable() {
    write_pending();
}

void WebSocketConnection::shut() {
    if (state_ == State::closed) {
        return;
    }
    server_.retire(*this);
    state_ = State::closed;
    server_.doomed_.push_back(fd_.get());
}

void WebSocketConnection::on_readable() {
    char buffer[16384];
    while (state_ != State::closed) {
        ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n == 0) {
            shut();
            return;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                shut();
            }
            return;
        }
        if (close_after_write_) {
            continue;  // answered: whatever else it sends is not read
        }
        in_.append(buffer, static_cast<size_t>(n));
        bool ok = state_ == State::handshake ? read_handshake() : read_frames();
        if (!ok) {
            return;
        }
    }
}

bool WebSocketConnection::read_handshake() {
    auto end = in_.find("\r\n\r\n");
    if (end == std::string::npos || end + 4 > WebSocketServer::max_handshake) {
        if (end != std::string::npos || in_.size() > WebSocketServer::max_handshake) {
            out_ = http_refusal(431, "request headers too large\n");
            write_pending();
            shut();
            return false;
        }
        return true;
    }
    Request request;
    auto refuse = [&](int status, std::string_view why) {
        out_ = http_refusal(status, why);
        write_pending();
        shut();
        return false;
    };
    if (!parse_request(std::string_view(in_).substr(0, end + 2), request)) {
        return refuse(400, "not an HTTP request\n");
    }
    if (request.path != server_.path_) {
        if (!server_.handlers_.http) {
            return refuse(404, "not found\n");
        }
        HttpRequest http{request.method, request.path, request.header("host"),
                         request.header("if-none-match"), request.header("if-modified-since")};
        out_ = server_.handlers_.http(http);
        close_after_write_ = true;
        write_pending();
        return false;
    }
    auto key = request.header("sec-websocket-key");
    if (request.method != "GET" || !iequals(request.header("upgrade"), "websocket") ||
        !icontains_token(request.header("connection"), "upgrade") ||
        request.header("sec-websocket-version") != "13" || key.size() != 24) {
        return refuse(426, "a WebSocket handshake (version 13) is expected here\n");
    }
    host_ = request.header("host");
    ip_ = server_.client_behind(ip_, request.header("x-forwarded-for"));
    HandshakeRequest handshake{request.path, host_, request.header("origin"), ip_};
    if (Admission admission = server_.handlers_.admit(handshake); admission.status != 0) {
        return refuse(admission.status, admission.reason);
    }
    out_ = fmt::format(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: {}\r\nServer: turnpike\r\n\r\n",
        accept_key(key));
    in_.erase(0, end + 4);
    state_ = State::open;
    last_ping_ = Clock::now();
    write_pending();
    if (state_ == State::open) {
        server_.handlers_.opened(*this);
    }
    return state_ != State::closed && (in_.empty() || read_frames());
}

bool WebSocketConnection::read_frames() {
    size_t at = 0;
    while (state_ == State::open || state_ == State::closing) {
        std::string_view data = std::string_view(in_).substr(at);
        if (data.size() < 2) {
            break;
        }
        auto b0 = static_cast<uint8_t>(data[0]);
        auto b1 = static_cast<uint8_t>(data[1]);
        bool fin = (b0 & 0x80) != 0;
        uint8_t opcode = b0 & 0x0F;
        if ((b0 & 0x70) != 0 || (b1 & 0x80) == 0) {
            fail(close_protocol_error, "frames must be masked and use no extension");
            return false;
        }
        uint64_t length = b1 & 0x7F;
        size_t header = 2;
        if (length == 126 || length == 127) {
            size_t bytes = length == 126 ? 2 : 8;
            if (data.size() < 2 + bytes) {
                break;
            }
            length = 0;
            for (size_t i = 0; i < bytes; ++i) {
                length = (length << 8) | static_cast<uint8_t>(data[2 + i]);
            }
            header += bytes;
        }
        if (length > server_.max_message_ || fragments_.size() + length > server_.max_message_) {
            fail(close_too_big, "message too big");
            return false;
        }
        if (data.size() < header + 4 + length) {
            break;
        }
        const char* mask = data.data() + header;
        char* payload = in_.data() + at + header + 4;
        for (uint64_t i = 0; i < length; ++i) {
            payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
        }
        at += header + 4 + length;
        if (!handle_frame(opcode, fin, std::string_view(payload, length))) {
            return false;
        }
    }
    if (state_ == State::closed) {
        return false;
    }
    in_.erase(0, at);
    return true;
}

bool WebSocketConnection::handle_frame(uint8_t opcode, bool fin, std::string_view payload) {
    if (opcode >= op_close) {
        if (!fin || payload.size() > 125) {
            fail(close_protocol_error, "bad control frame");
            return false;
        }
        if (opcode == op_ping) {
            send_frame(op_pong, payload);
        } else if (opcode == op_pong) {
            if (state_ == State::open && server_.handlers_.pong) {
                server_.handlers_.pong(*this);
            }
        } else if (opcode == op_close) {
            if (state_ == State::open) {
                std::string echo(payload.substr(0, std::min<size_t>(payload.size(), 2)));
                send_frame(op_close, echo);
            }
            shut();
            return false;
        } else {
            fail(close_protocol_error, "unknown opcode");
            return false;
        }
        return true;
    }
    if (state_ != State::open) {
        return true;  // closing: data is no longer read
    }
    if (opcode == op_continuation) {
        if (fragment_opcode_ == 0) {
            fail(close_protocol_error, "continuation without a message");
            return false;
        }
        fragments_.append(payload);
        if (!fin) {
            return true;
        }
        opcode = fragment_opcode_;
        fragment_opcode_ = 0;
        std::string message = std::move(fragments_);
        fragments_.clear();
        return deliver(opcode, message);
    }
    if (opcode != op_text && opcode != op_binary) {
        fail(close_protocol_error, "unknown opcode");
        return false;
    }
    if (fragment_opcode_ != 0) {
        fail(close_protocol_error, "a new message inside a fragmented one");
        return false;
    }
    if (!fin) {
        fragment_opcode_ = opcode;
        fragments_.assign(payload);
        return true;
    }
    return deliver(opcode, payload);
}

bool WebSocketConnection::deliver(uint8_t opcode, std::string_view payload) {
    if (opcode == op_text &&
        !g_utf8_validate(payload.data(), static_cast<gssize>(payload.size()), nullptr)) {
        fail(close_invalid_data, "text must be UTF-8");
        return false;
    }
    server_.handlers_.message(*this, opcode == op_text, payload);
    return state_ != State::closed;
}

// --- server ---

WebSocketServer::WebSocketServer(std::string path, size_t max_message, Handlers handlers)
    : path_(std::move(path)),
      max_message_(max_message),
      handlers_(std::move(handlers)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    source_ =
        g_unix_fd_add(epoll_.get(), G_IO_IN,
                      reinterpret_cast<GUnixFDSourceFunc>(+[](int fd, GIOCondition c, gpointer d) {
                          return on_epoll(fd, static_cast<unsigned>(c), d);
                      }),
                      this);
}

WebSocketServer::~WebSocketServer() {
    if (source_ != 0) {
        g_source_remove(source_);
    }
    if (flush_source_ != 0) {
        g_source_remove(flush_source_);
    }
}

void WebSocketServer::listen(const SocketAddress& address, int backlog) {
    UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int one = 1;
    auto failed = [&](const char* what) {
        throw std::runtime_error(fmt::format("cannot listen for WebSocket clients on {}: {}: {}",
                                             address.to_string(), what, std::strerror(errno)));
    };
    if (!fd) {
        failed("socket");
    }
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (address.is_v6()) {
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (::bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) {
        failed("bind");
    }
    if (::listen(fd.get(), backlog) != 0) {
        failed("listen");
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<uint64_t>(fd.get()) | (1ull << 32);  // marks a listener
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &event);
    listeners_.push_back(std::move(fd));
}

// X-Forwarded-For lists the addresses each proxy saw, the nearest last: the
// client is the first from the right that is not a trusted proxy. Anything
// before it was written by the client itself and proves nothing.
std::string WebSocketServer::client_behind(std::string_view peer,
                                           std::string_view forwarded_for) const {
    auto peer_ip = IpAddress::parse(peer);
    if (trusted_proxies_.empty() || !peer_ip || !trusted_proxies_.contains(*peer_ip)) {
        return std::string(peer);
    }
    std::string client(peer);
    while (!forwarded_for.empty()) {
        auto comma = forwarded_for.rfind(',');
        auto item =
            trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
        forwarded_for =
            comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
        auto ip = IpAddress::parse(item);
        if (!ip) {
            break;  // garbage: stop at the last address we could trust
        }
        client = item;
        if (!trusted_proxies_.contains(*ip)) {
            break;
        }
    }
    return client;
}

int WebSocketServer::on_epoll(int, unsigned, void* data) {
    static_cast<WebSocketServer*>(data)->poll_once();
    return G_SOURCE_CONTINUE;
}

void WebSocketServer::poll_once() {
    std::array<epoll_event, 256> events{};
    int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 0);
    for (int i = 0; i < n; ++i) {
        int fd = static_cast<int>(events[i].data.u64 & 0xFFFFFFFF);
        if ((events[i].data.u64 >> 32) != 0) {
            accept_all(fd);
            continue;
        }
        auto it = connections_.find(fd);
        if (it == connections_.end() || it->second->state_ == WebSocketConnection::State::closed) {
            continue;
        }
        WebSocketConnection& connection = *it->second;
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            connection.on_readable();
        }
        if (connection.state_ != WebSocketConnection::State::closed &&
            (events[i].events & EPOLLOUT)) {
            connection.on_writable();
        }
    }
    deliver_closed();
    bury();
}

void WebSocketServer::accept_all(int listener) {
    for (;;) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                pause_listener(listener);
            }
            return;  // EAGAIN, or out of resources: the backlog waits
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto connection = std::unique_ptr<WebSocketConnection>(
            new WebSocketConnection(*this, UniqueFd(fd), peer_ip(peer)));
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP;
        event.data.u64 = static_cast<uint64_t>(fd);
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event);
        connection->accepted_at_ = Clock::now();
        connections_.emplace(fd, std::move(connection));
    }
}

// Out of descriptors, a level-triggered listener would wake the loop for ever
// with a connection it cannot take: it sleeps until the next keepalive sweep.
void WebSocketServer::pause_listener(int listener) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener, nullptr);
    paused_listeners_.push_back(listener);
}

void WebSocketServer::resume_listeners() {
    for (int listener : paused_listeners_) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = static_cast<uint64_t>(listener) | (1ull << 32);
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener, &event);
    }
    paused_listeners_.clear();
}

void WebSocketServer::update_events(WebSocketConnection& connection) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (connection.want_write_ ? EPOLLOUT : 0u);
    event.data.u64 = static_cast<uint64_t>(connection.fd_.get());
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, connection.fd_.get(), &event);
}

// The owner hears `closed` once, when the connection stops being open (a
// close frame either way, an error, EOF), and never from inside its own call
// to close(): notices wait for the end of the current event pass. The socket
// itself goes when it is shut, or when the close handshake times out.
void WebSocketServer::retire(WebSocketConnection& connection) {
    if (connection.state_ == WebSocketConnection::State::open) {
        connection.state_ = WebSocketConnection::State::closing;
        closing_.push_back(connection.fd_.get());
        if (flush_source_ == 0) {
            flush_source_ = g_idle_add(
                +[](gpointer data) -> gboolean {
                    auto& self = *static_cast<WebSocketServer*>(data);
                    self.flush_source_ = 0;
                    self.deliver_closed();
                    self.bury();
                    return G_SOURCE_REMOVE;
                },
                this);
        }
    }
}

void WebSocketServer::deliver_closed() {
    while (!closing_.empty()) {
        std::vector<int> batch;
        batch.swap(closing_);
        for (int fd : batch) {
            auto it = connections_.find(fd);
            if (it != connections_.end() && handlers_.closed) {
                handlers_.closed(*it->second);
            }
        }
    }
}

void WebSocketServer::bury() {
    std::vector<int> doomed;
    doomed.swap(doomed_);
    for (int fd : doomed) {
        auto it = connections_.find(fd);
        if (it != connections_.end()) {
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
            connections_.erase(it);
        }
    }
}

void WebSocketServer::keepalive(Clock::time_point now, std::chrono::seconds interval) {
    for (auto& [fd, connection] : connections_) {
        auto& c = *connection;
        if (c.state_ == WebSocketConnection::State::open && now - c.last_ping_ >= interval) {
            c.last_ping_ = now;
            c.send_frame(op_ping, "");
        } else if ((c.state_ == WebSocketConnection::State::closing && now >= c.close_deadline_) ||
                   (c.state_ == WebSocketConnection::State::handshake &&
                    now - c.accepted_at_ > handshake_time)) {
            c.shut();
        }
    }
    deliver_closed();
    bury();
    resume_listeners();
}

void WebSocketServer::close_all(uint16_t code, std::string_view reason) {
    for (auto& [fd, connection] : connections_) {
        connection->close(code, reason);
    }
    deliver_closed();
}

}  // namespace turnpike::signal
