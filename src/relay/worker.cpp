#include "relay/worker.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>

#include "relay/channel_data.hpp"
#include "relay/sockets.hpp"
#include "relay/tcp_connection.hpp"

namespace turnpike::relay {

namespace {

// Turns the destination address a wildcard socket received on (IP_PKTINFO)
// into the source address to answer from. Returns the control length to send.
size_t reply_source(const msghdr& received, uint8_t* out, size_t out_size) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&received); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&received), c)) {
        msghdr reply{};
        reply.msg_control = out;
        reply.msg_controllen = out_size;
        cmsghdr* r = CMSG_FIRSTHDR(&reply);
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo got;
            std::memcpy(&got, CMSG_DATA(c), sizeof(got));
            in_pktinfo send{};
            send.ipi_spec_dst = got.ipi_addr;
            r->cmsg_level = IPPROTO_IP;
            r->cmsg_type = IP_PKTINFO;
            r->cmsg_len = CMSG_LEN(sizeof(send));
            std::memcpy(CMSG_DATA(r), &send, sizeof(send));
            return CMSG_SPACE(sizeof(send));
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            r->cmsg_level = IPPROTO_IPV6;
            r->cmsg_type = IPV6_PKTINFO;
            r->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
            std::memcpy(CMSG_DATA(r), CMSG_DATA(c), sizeof(in6_pktinfo));
            return CMSG_SPACE(sizeof(in6_pktinfo));
        }
    }
    return 0;
}

}  // namespace

class Worker::UdpSocket : public EventSource {
  public:
    UdpSocket(Worker& worker, UniqueFd fd, const SocketAddress& bound)
        : worker_(worker), fd_(std::move(fd)), bound_(bound), wildcard_(bound.is_unspecified()) {}
    int fd() const { return fd_.get(); }

    void on_events(uint32_t) override {
        // A bounded number of batches per wakeup keeps other sockets served.
        for (int round = 0; round < 8; ++round) {
            if (!receive_batch()) {
                return;
            }
        }
    }

  private:
    // Returns whether the socket may hold more datagrams.
    bool receive_batch() {
        UdpBatch& in = *worker_.in_batch_;
        UdpBatch& out = *worker_.out_batch_;
        WorkerCounters& counters = worker_.counters_;
        int received = in.receive(fd_.get(), wildcard_, 0);
        if (received <= 0) {
            return false;
        }
        unsigned replies = 0;
        for (int i = 0; i < received; ++i) {
            const msghdr& h = in.headers[i].msg_hdr;
            size_t length = in.headers[i].msg_len;
            bump(counters.udp_datagrams_in);
            bump(counters.bytes_in, length);
            if (h.msg_flags & MSG_TRUNC) {
                bump(counters.dropped_oversized);
                continue;
            }
            ClientLink link{
                .client = SocketAddress(static_cast<const sockaddr*>(h.msg_name), h.msg_namelen),
                .local = wildcard_ ? local_address(h) : bound_,
                .udp_fd = fd_.get(),
                .tcp = nullptr,
                .answer_from_local = wildcard_,
            };
            std::span<const uint8_t> packet{in.data[i].data(), length};
            if (channel_data::looks_like(packet)) {
                worker_.stun_.handle_channel_data(packet, link);
                continue;
            }
            size_t answer = worker_.stun_.handle(packet, link,
                                                 {out.data[replies].data(), UdpBatch::slot_bytes});
            if (answer == 0) {
                continue;
            }
            size_t control = 0;
            if (wildcard_) {
                control = reply_source(h, out.control[replies].data(), UdpBatch::control_bytes);
            }
            worker_.outbox_.add(fd_.get(), out.data[replies].data(), answer,
                                static_cast<const sockaddr*>(h.msg_name), h.msg_namelen,
                                control ? out.control[replies].data() : nullptr, control,
                                bound_.is_v4());
            ++replies;
        }
        worker_.outbox_.flush();
        return received == static_cast<int>(UdpBatch::size);
    }

    // The address a datagram on a wildcard socket was sent to (IP_PKTINFO).
    SocketAddress local_address(const msghdr& h) const {
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
             c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                in_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof(info));
                sockaddr_in sin{};
                sin.sin_family = AF_INET;
                sin.sin_addr = info.ipi_addr;
                sin.sin_port = htons(bound_.port());
                return SocketAddress(reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
            }
            if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                in6_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof(info));
                sockaddr_in6 sin6{};
                sin6.sin6_family = AF_INET6;
                sin6.sin6_addr = info.ipi6_addr;
                sin6.sin6_port = htons(bound_.port());
                return SocketAddress(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6));
            }
        }
        return bound_;
    }

    Worker& worker_;
    UniqueFd fd_;
    SocketAddress bound_;
    bool wildcard_;
};

class Worker::TcpListener : public EventSource {
  public:
    TcpListener(Worker& worker, UniqueFd fd, bool tls)
        : worker_(worker), fd_(std::move(fd)), tls_(tls) {}
    int fd() const { return fd_.get(); }

    void on_events(uint32_t) override {
        for (int i = 0; i < 64; ++i) {
            sockaddr_storage peer{};
            socklen_t peer_length = sizeof(peer);
            int fd = accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == ECONNABORTED || errno == EINTR) {
                    continue;
                }
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    pause(errno);
                }
                return;
            }
            UniqueFd connection(fd);
            SocketAddress source(reinterpret_cast<sockaddr*>(&peer), peer_length);
            IpAddress source_ip(source);
            const auto& quotas = worker_.turn_.settings->quotas;
            if (!worker_.turn_.shared.tcp_accepts.admit(source_ip, quotas.tcp_accepts_per_ip,
                                                        worker_.now())) {
                refuse(connection.get(), worker_.counters_.tcp_refused_rate);
                continue;
            }
            auto slot = worker_.turn_.shared.tcp_sources.acquire(source_ip, quotas.max_tcp_per_ip);
            if (!slot) {
                refuse(connection.get(), worker_.counters_.tcp_refused_per_ip);
                continue;
            }
            SslSession session;
            if (tls_) {
                session = worker_.tls_ ? worker_.tls_->accept(fd) : nullptr;
                if (!session) {
                    continue;  // OpenSSL out of memory: closed unanswered
                }
                bump(worker_.counters_.tls_connections_accepted);
            }
            bump(worker_.counters_.tcp_connections_accepted);
            sockaddr_storage local{};
            socklen_t local_length = sizeof(local);
            getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length);
            worker_.adopt(std::make_unique<TcpConnection>(
                worker_, std::move(connection), source,
                SocketAddress(reinterpret_cast<sockaddr*>(&local), local_length), std::move(*slot),
                std::move(session)));
        }
    }

  private:
    // Over [quotas] max-tcp-per-ip or tcp-accepts-per-ip: closed with a
    // reset, before any TLS, so that a flood leaves no TIME_WAIT behind on
    // this side, costs no handshake, and the client learns at once. Not
    // logged: the counter says it without a line per connection.
    void refuse(int fd, std::atomic<uint64_t>& counter) {
        linger reset{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
        bump(counter);
    }

    // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), or any
    // other error that would repeat: a level-triggered listener would wake
    // the loop for ever with a connection it cannot take, and log each time.
    // It sleeps until the next housekeeping tick, said once per pause; the
    // connections wait in the backlog meanwhile.
    void pause(int error) {
        spdlog::warn("relay worker {}: accept: {}; not accepting TCP for a second", worker_.index_,
                     std::strerror(error));
        bump(worker_.counters_.tcp_accept_paused);
        worker_.forget(fd_.get());
        worker_.paused_listeners_.push_back(this);
    }

    Worker& worker_;
    UniqueFd fd_;
    bool tls_;
};

// Commands from the control thread: a locked queue and an eventfd. The lock
// is taken only when a command arrives, never per packet.
class Worker::Mailbox : public EventSource {
  public:
    explicit Mailbox(Worker& worker)
        : worker_(worker), fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (!fd_) {
            throw std::system_error(errno, std::generic_category(), "eventfd");
        }
    }
    int fd() const { return fd_.get(); }
    void post(std::function<void(Worker&)> command) {
        {
            std::lock_guard lock(mutex_);
            commands_.push_back(std::move(command));
        }
        uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd_.get(), &one, sizeof(one));
    }
    void on_events(uint32_t) override {
        uint64_t count = 0;
        [[maybe_unused]] auto n = ::read(fd_.get(), &count, sizeof(count));
        std::vector<std::function<void(Worker&)>> pending;
        {
            std::lock_guard lock(mutex_);
            pending.swap(commands_);
        }
        for (auto& command : pending) {
            command(worker_);
        }
    }

  private:
    Worker& worker_;
    UniqueFd fd_;
    std::mutex mutex_;
    std::vector<std::function<void(Worker&)>> commands_;
};

// Once a second: housekeeping that must not run per packet.
class Worker::Ticker : public EventSource {
  public:
    explicit Ticker(Worker& worker)
        : worker_(worker), fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
        if (!fd_) {
            throw std::system_error(errno, std::generic_category(), "timerfd_create");
        }
        itimerspec every_second{{1, 0}, {1, 0}};
        timerfd_settime(fd_.get(), 0, &every_second, nullptr);
    }
    int fd() const { return fd_.get(); }
    void on_events(uint32_t) override {
        uint64_t expirations = 0;
        [[maybe_unused]] auto n = ::read(fd_.get(), &expirations, sizeof(expirations));
        worker_.housekeeping(Clock::now());
    }

  private:
    Worker& worker_;
    UniqueFd fd_;
};

Worker::Worker(unsigned index, const RelaySettings& settings, RelayShared& shared,
               std::shared_ptr<const TurnSettings> turn_settings,
               std::shared_ptr<const TlsContext> tls)
    : index_(index),
      turn_(shared, std::move(turn_settings)),
      stun_(settings.software, counters_, this),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      in_batch_(std::make_unique<UdpBatch>()),
      out_batch_(std::make_unique<UdpBatch>()),
      outbox_(counters_, settings.udp_gso && udp_segmentation_available()),
      tls_(std::move(tls)) {
    read_clocks();
    if (!epoll_) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    apply(turn_.settings);
    for (const auto& address : settings.listen) {
        if (!listenable(address)) {
            if (index_ == 0) {
                spdlog::warn("relay: IPv6 is not available; not listening on {}",
                             address.to_string());
            }
            continue;
        }
        auto udp = std::make_unique<UdpSocket>(*this, open_udp_socket(address), address);
        watch(udp->fd(), EPOLLIN, udp.get());
        sources_.push_back(std::move(udp));
        auto tcp = std::make_unique<TcpListener>(*this, open_tcp_listener(address), false);
        watch(tcp->fd(), EPOLLIN, tcp.get());
        sources_.push_back(std::move(tcp));
    }
    for (const auto& address : settings.tls_listen) {
        if (listenable(address)) {
            auto listener = std::make_unique<TcpListener>(*this, open_tcp_listener(address), true);
            watch(listener->fd(), EPOLLIN, listener.get());
            sources_.push_back(std::move(listener));
        }
    }
    mailbox_ = std::make_unique<Mailbox>(*this);
    watch(mailbox_->fd(), EPOLLIN, mailbox_.get());
    auto ticker = std::make_unique<Ticker>(*this);
    watch(ticker->fd(), EPOLLIN, ticker.get());
    sources_.push_back(std::move(ticker));
}

Worker::~Worker() {
    stop();
    // Relay sockets unregister from epoll as they go: before epoll_ closes.
    while (!turn_.allocations.empty()) {
        turn_.remove(turn_.allocations.begin()->first);
    }
    relay_sockets_.drop_all();
    relay_sockets_.reap();
}

void Worker::start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
}

void Worker::stop() {
    if (thread_.joinable()) {
        post([](Worker& w) { w.running_ = false; });
        thread_.join();
    }
}

void Worker::post(std::function<void(Worker&)> command) {
    mailbox_->post(std::move(command));
}

void Worker::apply(std::shared_ptr<const TurnSettings> settings) {
    turn_.settings = std::move(settings);
    coalescer_.configure(turn_.settings->coalescing);
    const QuotaSettings& q = turn_.settings->quotas;
    // The server-wide budget is shared out evenly: no counter is shared
    // between threads on the packet path.
    uint64_t share = q.bps_capacity / std::max(1u, turn_.settings->workers);
    to_peer_budget_.set_rate(q.bps_capacity != 0 ? std::max<uint64_t>(share, 1) : 0);
    to_client_budget_.set_rate(q.bps_capacity != 0 ? std::max<uint64_t>(share, 1) : 0);
    for (auto& [tuple, allocation] : turn_.allocations) {
        allocation->set_rate(q.max_bps);
    }
    relay_sockets_.drop_all();
}

void Worker::watch(int fd, uint32_t events, EventSource* source) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = source;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_ctl add");
    }
}

void Worker::rewatch(int fd, uint32_t events, EventSource* source) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = source;
    epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
}

void Worker::forget(int fd) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void Worker::ban(std::shared_ptr<const CidrSet> bans) {
    turn_.banned = std::move(bans);
    end_allocations_where([this](const FiveTuple& tuple) { return turn_.is_banned(tuple.client); });
}

size_t Worker::end_allocations_where(const std::function<bool(const FiveTuple&)>& doomed) {
    size_t ended = 0;
    for (auto it = turn_.allocations.begin(); it != turn_.allocations.end();) {
        auto next = std::next(it);
        if (doomed(it->first)) {
            bump(counters_.allocations_expired);
            drop(counters_.allocations_active);
            turn_.remove(it->first);
            ++ended;
        }
        it = next;
    }
    return ended;
}

std::vector<AllocationSummary> Worker::allocation_summaries() const {
    std::vector<AllocationSummary> out;
    out.reserve(turn_.allocations.size());
    for (const auto& [tuple, allocation] : turn_.allocations) {
        const Allocation& a = *allocation;
        out.push_back(
            {.client = a.link().client.to_string(),
             .relayed = a.reported().to_string(),
             .username = a.username(),
             .transport = a.link().is_udp()        ? "udp"
                          : a.link().tcp->is_tls() ? "tls"
                                                   : "tcp",
             .expires_in =
                 std::chrono::duration_cast<std::chrono::seconds>(a.expires - Clock::now()).count(),
             .permissions = a.permission_count(),
             .channels = a.channel_count(),
             .worker = index_});
    }
    return out;
}

size_t Worker::end_allocations_of(const SocketAddress& client) {
    return end_allocations_where(
        [&client](const FiveTuple& tuple) { return tuple.client == client; });
}

void Worker::recycle(std::unique_ptr<RelaySocket> socket) {
    const TurnSettings& s = *turn_.settings;
    relay_sockets_.give(std::move(socket),
                        RelaySocketPool::capacity_for(s.min_port, s.max_port, s.workers));
}

void Worker::adopt(std::unique_ptr<TcpConnection> connection) {
    int fd = connection->fd();
    try {
        watch(fd, EPOLLIN | EPOLLRDHUP, connection.get());
    } catch (const std::system_error& e) {
        spdlog::warn("relay worker {}: {}", index_, e.what());
        return;
    }
    bump(counters_.tcp_connections_open);
    connections_.emplace(fd, std::move(connection));
}

void Worker::retire(TcpConnection* connection) {
    // Deleted after the current batch of epoll events: a later event in the
    // same batch may still point at it.
    forget(connection->fd());
    retired_.push_back(connection->fd());
}

void Worker::reap_retired() {
    for (int fd : retired_) {
        auto it = connections_.find(fd);
        if (it == connections_.end()) {
            continue;
        }
        // RFC 8656 section 3.1: a TCP allocation ends with its connection.
        FiveTuple tuple{it->second->peer(), it->second->local(), false};
        if (turn_.find(tuple) != nullptr) {
            turn_.remove(tuple);
            drop(counters_.allocations_active);
        }
        connections_.erase(it);
        drop(counters_.tcp_connections_open);
    }
    retired_.clear();
}

void Worker::housekeeping(Clock::time_point now) {
    for (TcpListener* listener : paused_listeners_) {
        watch(listener->fd(), EPOLLIN, listener);
    }
    paused_listeners_.clear();
    auto idle_deadline = now - tcp_idle_timeout;
    auto first_message_deadline = now - tcp_first_message_timeout;
    uint64_t buffer_bytes = 0;
    for (auto& [fd, connection] : connections_) {
        if (connection->closed()) {
            continue;
        }
        buffer_bytes += connection->trim_buffers();
        if (!connection->has_framed_a_message()) {
            if (connection->accepted_at() < first_message_deadline) {
                connection->close_as_slow();
            }
            continue;
        }
        bool holds_allocation =
            turn_.find(FiveTuple{connection->peer(), connection->local(), false}) != nullptr;
        if (!holds_allocation && connection->last_activity() < idle_deadline) {
            bump(counters_.tcp_connections_closed_idle);
            connection->close();
        }
    }
    counters_.tcp_buffer_bytes.store(buffer_bytes, std::memory_order_relaxed);
    for (auto it = turn_.allocations.begin(); it != turn_.allocations.end();) {
        Allocation& allocation = *it->second;
        if (allocation.expires <= now) {
            turn_.shared.ledger.release(allocation.username());
            it = turn_.allocations.erase(it);
            drop(counters_.allocations_active);
            bump(counters_.allocations_expired);
            continue;
        }
        allocation.expire_entries(now);
        ++it;
    }
    if (index_ == 0) {
        turn_.shared.reservations.expire(now);
    }
}

void Worker::read_clocks() {
    now_ = Clock::now();
    wall_now_ =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

void Worker::run() {
    // Timer slack of 1 us instead of the default 50: a coalescing wait then
    // ends when [relay] coalesce-us says, not up to 50 us later.
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    std::array<epoll_event, 64> events{};
    while (running_) {
        int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            spdlog::critical("relay worker {}: epoll_wait: {}", index_, std::strerror(errno));
            return;
        }
        read_clocks();
        for (int i = 0; i < n; ++i) {
            static_cast<EventSource*>(events[i].data.ptr)->on_events(events[i].events);
        }
        outbox_.flush();
        reap_retired();
        relay_sockets_.reap();
        if (coalescer_.after_wakeup(now_,
                                    counters_.udp_datagrams_out.load(std::memory_order_relaxed))) {
            bump(counters_.coalesced_waits);
        }
    }
}

}  // namespace turnpike::relay
