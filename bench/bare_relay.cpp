// bare_relay: the least a UDP relay can do, as a floor for bench/relay.
//
// It forwards ChannelData-framed datagrams (RFC 8656 section 12.4: a 2-byte
// channel number, a 2-byte length, the payload) between clients and peers with
// no TURN at all: no STUN, no allocation, no authentication, no permission,
// no quota, no counter. Channel 0x4000 + i is session i; its relay socket is
// port PORT + 1 + i. A session's client address is the source of the last
// ChannelData for it, its peer's address the source of the last datagram on
// its relay socket (turn_load --bare sends one first).
//
// Its threads are built like Turnpike's relay workers: one SO_REUSEPORT
// socket each on PORT, relay sockets shared out among them, epoll,
// recvmmsg/sendmmsg in batches of up to 64, datagrams for the same socket
// sent together. What it costs per relayed packet is therefore what the
// kernel and the machine charge any relay built this way; the rest of a real
// server's cost is its own. Traffic only on 127.0.0.1.
//
// With --io-uring (when built with liburing) each thread drives its sockets
// through an io_uring instead: one recvmsg in flight per socket, sends queued
// as submissions, and one io_uring_enter per wake-up for all of them. That
// asks what a data plane on io_uring would save: on a machine where a system
// call or a sleep costs microseconds, it is the other floor worth knowing.
//
//   bare_relay --port PORT --sessions N [--threads T] [--io-uring]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#ifdef BARE_RELAY_IO_URING
#include <liburing.h>
#endif

#include "common/unique_fd.hpp"

namespace {

using turnpike::UniqueFd;

constexpr uint16_t first_channel = 0x4000;
constexpr unsigned batch_size = 64;
constexpr size_t slot_bytes = 2048;
constexpr size_t channel_header = 4;

[[noreturn]] void die(std::string_view what) {
    fmt::print(stderr, "bare_relay: {}: {}\n", what, std::strerror(errno));
    std::exit(1);
}

// An IPv4 address and port in one word, so threads can share it without a lock.
uint64_t pack(const sockaddr_in& a) {
    return (uint64_t{a.sin_addr.s_addr} << 16) | a.sin_port;
}

sockaddr_in unpack(uint64_t word) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = static_cast<uint32_t>(word >> 16);
    a.sin_port = static_cast<uint16_t>(word & 0xFFFF);
    return a;
}

UniqueFd bound_socket(uint16_t port, bool reuse_port) {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        die("socket");
    }
    int one = 1;
    if (reuse_port && setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        die("SO_REUSEPORT");
    }
    int buffer = 4 << 20;
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer));
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof(buffer));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    local.sin_port = htons(port);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
        die(fmt::format("bind 127.0.0.1:{}", port));
    }
    return fd;
}

struct Session {
    UniqueFd relay;
    std::atomic<uint64_t> client{0};
    std::atomic<uint64_t> peer{0};
};

// Datagrams to send, in arrival order; a run for one socket is one sendmmsg.
class Outbox {
  public:
    void add(int fd, uint8_t* data, size_t size, uint64_t to) {
        unsigned i = count_++;
        fds_[i] = fd;
        names_[i] = unpack(to);
        iov_[i] = {data, size};
        headers_[i].msg_hdr = {};
        headers_[i].msg_hdr.msg_name = &names_[i];
        headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        headers_[i].msg_hdr.msg_iov = &iov_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
    }

    void flush() {
        for (unsigned first = 0, end = 0; first < count_; first = end) {
            end = first + 1;
            while (end < count_ && fds_[end] == fds_[first]) {
                ++end;
            }
            for (unsigned at = first; at < end;) {
                int n = sendmmsg(fds_[first], &headers_[at], end - at, MSG_DONTWAIT);
                at += n > 0 ? static_cast<unsigned>(n) : 1;  // a refused one is lost, as in UDP
            }
        }
        count_ = 0;
    }

  private:
    unsigned count_ = 0;
    std::array<int, batch_size> fds_{};
    std::array<sockaddr_in, batch_size> names_{};
    std::array<iovec, batch_size> iov_{};
    std::array<mmsghdr, batch_size> headers_{};
};

class Worker {
  public:
    Worker(uint16_t port, std::vector<Session>& sessions, unsigned index, unsigned count)
        : sessions_(sessions), listener_(bound_socket(port, true)), epoll_(epoll_create1(0)) {
        if (!epoll_) {
            die("epoll_create1");
        }
        watch(listener_.get(), listener_tag);
        for (size_t i = index; i < sessions.size(); i += count) {
            watch(sessions[i].relay.get(), i);
        }
        for (unsigned k = 0; k < batch_size; ++k) {
            iov_[k] = {slots_[k].data(), slot_bytes};
            headers_[k].msg_hdr.msg_iov = &iov_[k];
            headers_[k].msg_hdr.msg_iovlen = 1;
            headers_[k].msg_hdr.msg_name = &sources_[k];
        }
    }

    void run() {
        std::array<epoll_event, 64> events{};
        while (true) {
            int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
            for (int e = 0; e < n; ++e) {
                uint64_t tag = events[e].data.u64;
                if (tag == listener_tag) {
                    from_clients();
                } else {
                    from_peer(tag);
                }
            }
        }
    }

  private:
    static constexpr uint64_t listener_tag = ~uint64_t{0};

    void watch(int fd, uint64_t tag) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            die("epoll_ctl");
        }
    }

    int receive(int fd, size_t headroom) {
        for (unsigned k = 0; k < batch_size; ++k) {
            iov_[k] = {slots_[k].data() + headroom, slot_bytes - headroom};
            headers_[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        }
        return recvmmsg(fd, headers_.data(), batch_size, MSG_DONTWAIT, nullptr);
    }

    void from_clients() {
        int n = 0;
        do {
            n = receive(listener_.get(), 0);
            for (int k = 0; k < n; ++k) {
                const uint8_t* p = slots_[k].data();
                size_t length = headers_[k].msg_len;
                if (length < channel_header) {
                    continue;
                }
                size_t index = size_t{uint16_t(p[0] << 8 | p[1])} - first_channel;
                size_t payload = uint16_t(p[2] << 8 | p[3]);
                if (index >= sessions_.size() || channel_header + payload > length) {
                    continue;
                }
                Session& s = sessions_[index];
                s.client.store(pack(sources_[k]), std::memory_order_relaxed);
                uint64_t peer = s.peer.load(std::memory_order_relaxed);
                if (peer != 0) {
                    outbox_.add(s.relay.get(), slots_[k].data() + channel_header, payload, peer);
                }
            }
            outbox_.flush();
        } while (n == static_cast<int>(batch_size));
    }

    void from_peer(size_t index) {
        Session& s = sessions_[index];
        int n = 0;
        do {
            n = receive(s.relay.get(), channel_header);
            for (int k = 0; k < n; ++k) {
                s.peer.store(pack(sources_[k]), std::memory_order_relaxed);
                uint64_t client = s.client.load(std::memory_order_relaxed);
                if (client == 0) {
                    continue;
                }
                uint8_t* p = slots_[k].data();
                size_t payload = headers_[k].msg_len;
                auto channel = static_cast<uint16_t>(first_channel + index);
                p[0] = static_cast<uint8_t>(channel >> 8);
                p[1] = static_cast<uint8_t>(channel);
                p[2] = static_cast<uint8_t>(payload >> 8);
                p[3] = static_cast<uint8_t>(payload);
                outbox_.add(listener_.get(), p, channel_header + payload, client);
            }
            outbox_.flush();
        } while (n == static_cast<int>(batch_size));
    }

    std::vector<Session>& sessions_;
    UniqueFd listener_;
    UniqueFd epoll_;
    std::array<std::array<uint8_t, slot_bytes>, batch_size> slots_{};
    std::array<iovec, batch_size> iov_{};
    std::array<sockaddr_in, batch_size> sources_{};
    std::array<mmsghdr, batch_size> headers_{};
    Outbox outbox_;
};

#ifdef BARE_RELAY_IO_URING
// The same forwarding through an io_uring. Each socket has one recvmsg in
// flight into one of its two buffers; a datagram is sent from the buffer it
// arrived in while the next recvmsg fills the other. A UDP send on loopback
// completes while io_uring_enter submits it, so a buffer is free again by the
// time its socket's next datagram is taken.
class UringWorker {
  public:
    UringWorker(uint16_t port, std::vector<Session>& sessions, unsigned index, unsigned count)
        : sessions_(sessions), listener_(bound_socket(port, true)) {
        receivers_.push_back(std::make_unique<Receiver>(listener_.get(), 0, true));
        for (size_t i = index; i < sessions.size(); i += count) {
            receivers_.push_back(std::make_unique<Receiver>(sessions[i].relay.get(), i, false));
        }
    }

    ~UringWorker() {
        if (ring_ready_) {
            io_uring_queue_exit(&ring_);
        }
    }

    void run() {
        // A single-issuer ring belongs to the thread that made it: made here.
        io_uring_params params{};
        params.flags =
            IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL;
        if (int e = io_uring_queue_init_params(ring_entries, &ring_, &params); e < 0) {
            errno = -e;
            die("io_uring_queue_init_params");
        }
        ring_ready_ = true;
        for (auto& r : receivers_) {
            arm(*r);
        }
        while (true) {
            io_uring_submit_and_wait(&ring_, 1);
            io_uring_cqe* cqe = nullptr;
            unsigned head = 0;
            unsigned seen = 0;
            io_uring_for_each_cqe(&ring_, head, cqe) {
                ++seen;
                // Sends report only failures (IOSQE_CQE_SKIP_SUCCESS) and carry no receiver.
                if (auto* r = static_cast<Receiver*>(io_uring_cqe_get_data(cqe))) {
                    if (cqe->res > 0) {
                        forward(*r, static_cast<size_t>(cqe->res));
                    }
                    arm(*r);
                }
            }
            io_uring_cq_advance(&ring_, seen);
        }
    }

  private:
    static constexpr unsigned ring_entries = 4096;

    struct Receiver {
        Receiver(int fd_, size_t session_, bool listener_)
            : fd(fd_), session(session_), listener(listener_) {}
        int fd;
        size_t session;
        bool listener;
        std::array<std::array<uint8_t, slot_bytes>, 2> buffers{};
        unsigned current = 0;
        msghdr header{};
        iovec iov{};
        sockaddr_in source{};
    };

    struct Send {
        msghdr header{};
        iovec iov{};
        sockaddr_in to{};
    };

    io_uring_sqe* next_sqe() {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr) {  // the queue is full: hand it to the kernel first
            io_uring_submit(&ring_);
            sqe = io_uring_get_sqe(&ring_);
        }
        if (sqe == nullptr) {
            errno = EBUSY;
            die("io_uring_get_sqe");
        }
        return sqe;
    }

    void arm(Receiver& r) {
        r.current ^= 1;
        size_t headroom = r.listener ? 0 : channel_header;
        r.iov = {r.buffers[r.current].data() + headroom, slot_bytes - headroom};
        r.header = {};
        r.header.msg_name = &r.source;
        r.header.msg_namelen = sizeof(r.source);
        r.header.msg_iov = &r.iov;
        r.header.msg_iovlen = 1;
        io_uring_sqe* sqe = next_sqe();
        io_uring_prep_recvmsg(sqe, r.fd, &r.header, 0);
        io_uring_sqe_set_data(sqe, &r);
    }

    void send(int fd, uint8_t* data, size_t size, uint64_t to) {
        Send& out = sends_[next_send_++ % sends_.size()];
        out.to = unpack(to);
        out.iov = {data, size};
        out.header = {};
        out.header.msg_name = &out.to;
        out.header.msg_namelen = sizeof(out.to);
        out.header.msg_iov = &out.iov;
        out.header.msg_iovlen = 1;
        io_uring_sqe* sqe = next_sqe();
        io_uring_prep_sendmsg(sqe, fd, &out.header, 0);
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        io_uring_sqe_set_data(sqe, nullptr);
    }

    void forward(Receiver& r, size_t length) {
        uint8_t* p = r.buffers[r.current].data();
        if (r.listener) {
            if (length < channel_header) {
                return;
            }
            size_t index = size_t{uint16_t(p[0] << 8 | p[1])} - first_channel;
            size_t payload = uint16_t(p[2] << 8 | p[3]);
            if (index >= sessions_.size() || channel_header + payload > length) {
                return;
            }
            Session& s = sessions_[index];
            s.client.store(pack(r.source), std::memory_order_relaxed);
            if (uint64_t peer = s.peer.load(std::memory_order_relaxed); peer != 0) {
                send(s.relay.get(), p + channel_header, payload, peer);
            }
            return;
        }
        Session& s = sessions_[r.session];
        s.peer.store(pack(r.source), std::memory_order_relaxed);
        uint64_t client = s.client.load(std::memory_order_relaxed);
        if (client == 0) {
            return;
        }
        auto channel = static_cast<uint16_t>(first_channel + r.session);
        p[0] = static_cast<uint8_t>(channel >> 8);
        p[1] = static_cast<uint8_t>(channel);
        p[2] = static_cast<uint8_t>(length >> 8);
        p[3] = static_cast<uint8_t>(length);
        send(listener_.get(), p, channel_header + length, client);
    }

    std::vector<Session>& sessions_;
    UniqueFd listener_;
    std::vector<std::unique_ptr<Receiver>> receivers_;  // stable addresses: the kernel holds them
    std::array<Send, ring_entries> sends_{};
    unsigned next_send_ = 0;
    io_uring ring_{};
    bool ring_ready_ = false;
};
#endif

unsigned parse(std::string_view text, std::string_view name, unsigned low, unsigned high) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
        fmt::print(stderr, "bare_relay: {} must be a number from {} to {}, not '{}'\n", name, low,
                   high, text);
        std::exit(2);
    }
    return value;
}

template <typename W>
int run_workers(uint16_t port, std::vector<Session>& table, unsigned threads) {
    std::vector<std::unique_ptr<W>> workers;
    for (unsigned t = 0; t < threads; ++t) {
        workers.push_back(std::make_unique<W>(port, table, t, threads));
    }
    std::vector<std::thread> running;
    for (auto& w : workers) {
        running.emplace_back([&w] { w->run(); });
    }
    for (auto& r : running) {
        r.join();
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned port = 0;
    unsigned sessions = 0;
    unsigned threads = 2;
    bool io_uring = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--io-uring") {
            io_uring = true;
            continue;
        }
        if (i + 1 == argc) {
            fmt::print(stderr, "bare_relay: {} needs a value\n", arg);
            return 2;
        }
        ++i;
        if (arg == "--port") {
            port = parse(argv[i], arg, 1, 65535);
        } else if (arg == "--sessions") {
            sessions = parse(argv[i], arg, 1, 16384);
        } else if (arg == "--threads") {
            threads = parse(argv[i], arg, 1, 64);
        } else {
            fmt::print(stderr, "bare_relay: unknown option {}\n", arg);
            return 2;
        }
    }
    if (port == 0 || sessions == 0 || port + sessions > 65535) {
        fmt::print(stderr,
                   "usage: bare_relay --port PORT --sessions N [--threads T] [--io-uring]\n"
                   "(ports PORT .. PORT + N on 127.0.0.1)\n");
        return 2;
    }
    std::vector<Session> table(sessions);
    for (unsigned i = 0; i < sessions; ++i) {
        table[i].relay = bound_socket(static_cast<uint16_t>(port + 1 + i), false);
    }
    fmt::print("bare_relay: 127.0.0.1:{}, relay ports {}..{}, {} threads, {}\n", port, port + 1,
               port + sessions, threads, io_uring ? "io_uring" : "epoll");
    std::fflush(stdout);
    if (io_uring) {
#ifdef BARE_RELAY_IO_URING
        return run_workers<UringWorker>(port, table, threads);
#else
        fmt::print(stderr, "bare_relay: built without liburing: no --io-uring\n");
        return 2;
#endif
    }
    return run_workers<Worker>(port, table, threads);
}
