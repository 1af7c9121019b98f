#include "relay/worker.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>

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
    UdpSocket(Worker& worker, UniqueFd fd, bool wildcard)
        : worker_(worker), fd_(std::move(fd)), wildcard_(wildcard) {}
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
        in.prepare_receive(wildcard_);
        int received =
            recvmmsg(fd_.get(), in.headers.data(), UdpBatch::size, MSG_DONTWAIT, nullptr);
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
            SocketAddress from(static_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
            size_t answer = worker_.stun_.handle({in.data[i].data(), length}, from,
                                                 {out.data[replies].data(), UdpBatch::slot_bytes});
            if (answer == 0) {
                continue;
            }
            msghdr& o = out.headers[replies].msg_hdr;
            o.msg_name = h.msg_name;
            o.msg_namelen = h.msg_namelen;
            out.iov[replies].iov_len = answer;
            o.msg_control = nullptr;
            o.msg_controllen = 0;
            if (wildcard_) {
                size_t control =
                    reply_source(h, out.control[replies].data(), UdpBatch::control_bytes);
                if (control != 0) {
                    o.msg_control = out.control[replies].data();
                    o.msg_controllen = control;
                }
            }
            ++replies;
        }
        send_replies(replies);
        return received == static_cast<int>(UdpBatch::size);
    }

    void send_replies(unsigned count) {
        UdpBatch& out = *worker_.out_batch_;
        WorkerCounters& counters = worker_.counters_;
        unsigned sent = 0;
        while (sent < count) {
            int n = sendmmsg(fd_.get(), out.headers.data() + sent, count - sent, MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                // A full socket buffer or an unreachable client: UDP may lose
                // this answer, and the client retransmits. Skip the one that
                // failed and carry on with the rest.
                bump(counters.dropped_send_failed);
                ++sent;
                continue;
            }
            for (int i = 0; i < n; ++i) {
                bump(counters.udp_datagrams_out);
                bump(counters.bytes_out, out.iov[sent + i].iov_len);
            }
            sent += static_cast<unsigned>(n);
        }
    }

    Worker& worker_;
    UniqueFd fd_;
    bool wildcard_;
};

class Worker::TcpListener : public EventSource {
  public:
    TcpListener(Worker& worker, UniqueFd fd) : worker_(worker), fd_(std::move(fd)) {}
    int fd() const { return fd_.get(); }

    void on_events(uint32_t) override {
        for (int i = 0; i < 64; ++i) {
            sockaddr_storage peer{};
            socklen_t peer_length = sizeof(peer);
            int fd = accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
                    spdlog::warn("relay worker {}: accept: {}", worker_.index_,
                                 std::strerror(errno));
                }
                return;
            }
            bump(worker_.counters_.tcp_connections_accepted);
            worker_.adopt(std::make_unique<TcpConnection>(
                worker_, UniqueFd(fd),
                SocketAddress(reinterpret_cast<sockaddr*>(&peer), peer_length)));
        }
    }

  private:
    Worker& worker_;
    UniqueFd fd_;
};

// An eventfd that tells the loop to stop.
class Worker::Wakeup : public EventSource {
  public:
    explicit Wakeup(Worker& worker) : worker_(worker), fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (!fd_) {
            throw std::system_error(errno, std::generic_category(), "eventfd");
        }
    }
    int fd() const { return fd_.get(); }
    void signal() {
        uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd_.get(), &one, sizeof(one));
    }
    void on_events(uint32_t) override { worker_.running_ = false; }

  private:
    Worker& worker_;
    UniqueFd fd_;
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
        worker_.close_idle_connections();
    }

  private:
    Worker& worker_;
    UniqueFd fd_;
};

Worker::Worker(unsigned index, const RelaySettings& settings)
    : index_(index),
      stun_(settings.software, counters_),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      in_batch_(std::make_unique<UdpBatch>()),
      out_batch_(std::make_unique<UdpBatch>()) {
    if (!epoll_) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    for (const auto& address : settings.listen) {
        if (address.is_v6() && address.is_unspecified() && !ipv6_available()) {
            if (index_ == 0) {
                spdlog::warn("relay: IPv6 is not available; not listening on {}",
                             address.to_string());
            }
            continue;
        }
        auto udp =
            std::make_unique<UdpSocket>(*this, open_udp_socket(address), address.is_unspecified());
        watch(udp->fd(), EPOLLIN, udp.get());
        sources_.push_back(std::move(udp));
        auto tcp = std::make_unique<TcpListener>(*this, open_tcp_listener(address));
        watch(tcp->fd(), EPOLLIN, tcp.get());
        sources_.push_back(std::move(tcp));
    }
    wakeup_ = std::make_unique<Wakeup>(*this);
    watch(wakeup_->fd(), EPOLLIN, wakeup_.get());
    auto ticker = std::make_unique<Ticker>(*this);
    watch(ticker->fd(), EPOLLIN, ticker.get());
    sources_.push_back(std::move(ticker));
}

Worker::~Worker() {
    stop();
}

void Worker::start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
}

void Worker::stop() {
    if (thread_.joinable()) {
        wakeup_->signal();
        thread_.join();
    }
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
        if (connections_.erase(fd) != 0) {
            drop(counters_.tcp_connections_open);
        }
    }
    retired_.clear();
}

void Worker::close_idle_connections() {
    auto deadline = TcpConnection::Clock::now() - tcp_idle_timeout;
    for (auto& [fd, connection] : connections_) {
        if (!connection->closed() && connection->last_activity() < deadline) {
            bump(counters_.tcp_connections_closed_idle);
            connection->close();
        }
    }
}

void Worker::run() {
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
        for (int i = 0; i < n; ++i) {
            static_cast<EventSource*>(events[i].data.ptr)->on_events(events[i].events);
        }
        reap_retired();
    }
}

}  // namespace turnpike::relay
