// stun_load: a closed-loop STUN Binding load generator for loopback benchmarks.
//
// N client UDP sockets, each connected to the server and keeping a window of
// outstanding Binding requests (RFC 8489). Requests leave in sendmmsg batches,
// answers arrive in recvmmsg batches, epoll says which socket is ready. Every
// answer is checked: success class (0x0101), a transaction ID we have
// outstanding, a well-formed attribute list, and an XOR-MAPPED-ADDRESS equal to
// the socket's own local address. Nothing is retransmitted: a request
// unanswered after --timeout-ms counts as lost and its window slot is reused.
//
// The result is one JSON line on stdout. Traffic goes only to loopback
// addresses (127.0.0.0/8, ::1); anything else is refused.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "common/unique_fd.hpp"
#include "run_all.hpp"
#include "stun_wire.hpp"

namespace {

using turnpike::UniqueFd;

constexpr uint16_t binding_request = 0x0001;
constexpr uint16_t binding_success = 0x0101;
constexpr uint32_t magic_cookie = 0x2112A442;
constexpr uint16_t attr_xor_mapped_address = 0x0020;
constexpr uint16_t attr_fingerprint = 0x8028;
constexpr uint32_t fingerprint_xor = 0x5354554E;
constexpr size_t header_bytes = 20;
constexpr size_t fingerprint_bytes = 8;
constexpr size_t max_request_bytes = header_bytes + fingerprint_bytes;
constexpr size_t receive_slot_bytes = 1500;

constexpr std::string_view usage = R"(usage: stun_load --server IP:PORT [options]
  --server IP:PORT     STUN server; loopback only (127.0.0.0/8 or [::1])
  --seconds S          measuring time (default 5)
  --sockets N          client UDP sockets (default 8)
  --window W           outstanding requests per socket (default 32)
  --batch B            most datagrams per sendmmsg/recvmmsg (default 32)
  --threads T          load threads; sockets are split among them (default 1)
  --timeout-ms MS      a request unanswered this long is lost (default 1000)
  --fingerprint        add a FINGERPRINT attribute to every request
Prints one JSON line with the counts and the answered rate.
)";

// ---------------------------------------------------------------------------
// Small helpers: bench/stun_wire.hpp
using namespace bench;

// MurmurHash3's 64-bit finaliser is a bijection; its inverse lets an answer's
// transaction ID lead straight back to its window slot, while every ID still
// looks random on the wire.
constexpr uint64_t inverse_mod_2_64(uint64_t a) {
    uint64_t x = a;  // correct to 3 bits for odd a; each Newton step doubles that
    for (int i = 0; i < 6; ++i) {
        x *= 2 - a * x;
    }
    return x;
}

constexpr uint64_t mix_k1 = 0xFF51AFD7ED558CCDull;
constexpr uint64_t mix_k2 = 0xC4CEB9FE1A85EC53ull;
static_assert(mix_k1 * inverse_mod_2_64(mix_k1) == 1);
static_assert(mix_k2 * inverse_mod_2_64(mix_k2) == 1);

constexpr uint64_t unshift33(uint64_t x) {
    return x ^ (x >> 33);  // x ^ (x >> s) is its own inverse when s >= 32
}

constexpr uint64_t mix(uint64_t x) {
    x = unshift33(x) * mix_k1;
    x = unshift33(x) * mix_k2;
    return unshift33(x);
}

constexpr uint64_t unmix(uint64_t x) {
    x = unshift33(x) * inverse_mod_2_64(mix_k2);
    x = unshift33(x) * inverse_mod_2_64(mix_k1);
    return unshift33(x);
}
static_assert(unmix(mix(0x0123456789ABCDEFull)) == 0x0123456789ABCDEFull);

[[noreturn]] void fail_errno(std::string_view what) {
    throw std::system_error(errno, std::generic_category(), std::string(what));
}

// ---------------------------------------------------------------------------
// Options

struct Endpoint {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* ptr() const { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* ptr() { return reinterpret_cast<sockaddr*>(&storage); }
};

struct Options {
    Endpoint server;
    std::string server_text;
    double seconds = 5.0;
    unsigned sockets = 8;
    unsigned window = 32;
    unsigned batch = 32;
    unsigned threads = 1;
    unsigned timeout_ms = 1000;
    bool fingerprint = false;
};

template <typename T>
T parse_number(std::string_view text, std::string_view name, T low, T high) {
    T value{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
        throw std::invalid_argument(
            fmt::format("{} must be a number from {} to {}, not '{}'", name, low, high, text));
    }
    return value;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    std::string host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    uint16_t port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0) {
        return std::nullopt;
    }
    Endpoint e;
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        std::memcpy(&e.storage, &v4, sizeof(v4));
        e.length = sizeof(v4);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        std::memcpy(&e.storage, &v6, sizeof(v6));
        e.length = sizeof(v6);
    } else {
        return std::nullopt;
    }
    return e;
}

bool is_loopback(const Endpoint& e) {
    if (e.family() == AF_INET) {
        sockaddr_in v4{};
        std::memcpy(&v4, &e.storage, sizeof(v4));
        return (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
    }
    sockaddr_in6 v6{};
    std::memcpy(&v6, &e.storage, sizeof(v6));
    return IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr);
}

Options parse_options(int argc, char** argv) {
    Options o;
    bool have_server = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            fmt::print("{}", usage);
            std::exit(0);
        }
        if (arg == "--fingerprint") {
            o.fingerprint = true;
            continue;
        }
        if (i + 1 >= argc) {
            throw std::invalid_argument(fmt::format("unknown option or missing value: {}", arg));
        }
        std::string_view value = argv[++i];
        if (arg == "--server") {
            auto endpoint = parse_endpoint(value);
            if (!endpoint) {
                throw std::invalid_argument(fmt::format("bad --server '{}'", value));
            }
            if (!is_loopback(*endpoint)) {
                throw std::invalid_argument(
                    fmt::format("--server {} is not a loopback address; this tool sends only to "
                                "127.0.0.0/8 or ::1",
                                value));
            }
            o.server = *endpoint;
            o.server_text = std::string(value);
            have_server = true;
        } else if (arg == "--seconds") {
            std::string text(value);
            char* end = nullptr;
            o.seconds = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || !(o.seconds > 0) || o.seconds > 3600) {
                throw std::invalid_argument(fmt::format("bad --seconds '{}'", value));
            }
        } else if (arg == "--sockets") {
            o.sockets = parse_number<unsigned>(value, "--sockets", 1, 1024);
        } else if (arg == "--window") {
            o.window = parse_number<unsigned>(value, "--window", 1, 65535);
        } else if (arg == "--batch") {
            o.batch = parse_number<unsigned>(value, "--batch", 1, 1024);
        } else if (arg == "--threads") {
            o.threads = parse_number<unsigned>(value, "--threads", 1, 64);
        } else if (arg == "--timeout-ms") {
            o.timeout_ms = parse_number<unsigned>(value, "--timeout-ms", 1, 60000);
        } else {
            throw std::invalid_argument(fmt::format("unknown option {}", arg));
        }
    }
    if (!have_server) {
        throw std::invalid_argument("--server is required");
    }
    o.threads = std::min(o.threads, o.sockets);
    return o;
}

// ---------------------------------------------------------------------------
// Load

struct Counts {
    uint64_t sent = 0;
    uint64_t answered = 0;            // valid answers, including those in the drain
    uint64_t answered_in_window = 0;  // valid answers that arrived within --seconds
    uint64_t bad = 0;                 // answers to our requests that failed a check
    uint64_t stray = 0;               // datagrams matching no outstanding request
    uint64_t timed_out = 0;           // lost while the load ran (slot reused)
    uint64_t outstanding_at_end = 0;  // still unanswered after the drain
    uint64_t send_errors = 0;
    uint64_t receive_errors = 0;
    int64_t rtt_ns_sum = 0;

    Counts& operator+=(const Counts& o) {
        sent += o.sent;
        answered += o.answered;
        answered_in_window += o.answered_in_window;
        bad += o.bad;
        stray += o.stray;
        timed_out += o.timed_out;
        outstanding_at_end += o.outstanding_at_end;
        send_errors += o.send_errors;
        receive_errors += o.receive_errors;
        rtt_ns_sum += o.rtt_ns_sum;
        return *this;
    }
};

struct Slot {
    std::array<uint8_t, 12> transaction{};
    int64_t sent_ns = 0;
    bool busy = false;
};

class Client {
  public:
    Client(const Options& options, uint64_t seed)
        : fd_(socket(options.server.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)),
          slots_(options.window),
          key_(SplitMix64(seed).next()) {
        if (!fd_) {
            fail_errno("socket");
        }
        int size = 1 << 20;
        setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        if (connect(fd_.get(), options.server.ptr(), options.server.length) != 0) {
            fail_errno(fmt::format("connect to {}", options.server_text));
        }
        local_.length = sizeof(local_.storage);
        if (getsockname(fd_.get(), local_.ptr(), &local_.length) != 0) {
            fail_errno("getsockname");
        }
        free_.reserve(options.window);
        for (unsigned i = options.window; i-- > 0;) {
            free_.push_back(static_cast<uint16_t>(i));
        }
    }

    int fd() const { return fd_.get(); }
    const Endpoint& local() const { return local_; }
    std::vector<uint16_t>& free_slots() { return free_; }
    Slot& slot(uint16_t i) { return slots_[i]; }
    size_t window() const { return slots_.size(); }

    // Writes a fresh transaction ID for slot i: 4 random bytes, then 8 bytes
    // that are a keyed bijection of (serial, slot).
    void new_transaction(uint16_t i, SplitMix64& rng, uint8_t* out) {
        uint64_t sequence = (serial_++ << 16) | i;
        store32(out, static_cast<uint32_t>(rng.next()));
        store64(out + 4, mix(sequence ^ key_));
        std::memcpy(slots_[i].transaction.data(), out, 12);
    }

    // The slot an answer's transaction ID names, if it is outstanding.
    std::optional<uint16_t> lookup(const uint8_t* transaction) const {
        uint64_t sequence = unmix(load64(transaction + 4)) ^ key_;
        auto i = static_cast<uint16_t>(sequence & 0xFFFF);
        if (i >= slots_.size() || !slots_[i].busy ||
            std::memcmp(slots_[i].transaction.data(), transaction, 12) != 0) {
            return std::nullopt;
        }
        return i;
    }

    void release(uint16_t i) {
        slots_[i].busy = false;
        free_.push_back(i);
    }

    size_t outstanding() const { return slots_.size() - free_.size(); }

  private:
    UniqueFd fd_;
    Endpoint local_;
    std::vector<Slot> slots_;
    std::vector<uint16_t> free_;
    uint64_t key_;
    uint64_t serial_ = 0;
};

// Does the XOR-MAPPED-ADDRESS value name this endpoint?
bool mapped_matches(std::span<const uint8_t> value, const uint8_t* header, const Endpoint& local) {
    if (value.size() < 8) {
        return false;
    }
    uint16_t port = load16(value.data() + 2) ^ static_cast<uint16_t>(magic_cookie >> 16);
    if (value[1] == 0x01 && local.family() == AF_INET && value.size() == 8) {
        sockaddr_in v4{};
        std::memcpy(&v4, &local.storage, sizeof(v4));
        uint32_t address = load32(value.data() + 4) ^ magic_cookie;
        return port == ntohs(v4.sin_port) && address == ntohl(v4.sin_addr.s_addr);
    }
    if (value[1] == 0x02 && local.family() == AF_INET6 && value.size() == 20) {
        sockaddr_in6 v6{};
        std::memcpy(&v6, &local.storage, sizeof(v6));
        // XORed with the cookie and the transaction ID: header bytes 4..19.
        std::array<uint8_t, 16> address{};
        for (size_t k = 0; k < 16; ++k) {
            address[k] = value[4 + k] ^ header[4 + k];
        }
        return port == ntohs(v6.sin6_port) &&
               std::memcmp(address.data(), v6.sin6_addr.s6_addr, 16) == 0;
    }
    return false;
}

// Checks a Binding success response (the transaction ID already matched).
bool valid_answer(std::span<const uint8_t> packet, const Endpoint& local) {
    const uint8_t* h = packet.data();
    if (load16(h) != binding_success || load32(h + 4) != magic_cookie ||
        load16(h + 2) != packet.size() - header_bytes || (packet.size() & 3) != 0) {
        return false;
    }
    bool mapped = false;
    size_t at = header_bytes;
    while (at < packet.size()) {
        if (packet.size() - at < 4) {
            return false;
        }
        uint16_t type = load16(h + at);
        size_t length = load16(h + at + 2);
        size_t padded = (length + 3) & ~size_t{3};
        if (packet.size() - at - 4 < padded) {
            return false;
        }
        if (type == attr_xor_mapped_address && !mapped) {
            if (!mapped_matches(packet.subspan(at + 4, length), h, local)) {
                return false;
            }
            mapped = true;
        }
        at += 4 + padded;
    }
    return mapped;
}

// One load thread: its own sockets, epoll set, buffers and counts.
class LoadThread {
  public:
    LoadThread(const Options& options, unsigned first_socket, unsigned socket_count, uint64_t seed)
        : options_(options),
          rng_(seed),
          epoll_(epoll_create1(EPOLL_CLOEXEC)),
          request_bytes_(options.fingerprint ? max_request_bytes : header_bytes),
          timeout_ns_(int64_t{options.timeout_ms} * 1'000'000),
          out_(options.batch),
          out_iov_(options.batch),
          out_headers_(options.batch),
          in_(options.batch),
          in_iov_(options.batch),
          in_headers_(options.batch),
          taken_(options.batch) {
        if (!epoll_) {
            fail_errno("epoll_create1");
        }
        clients_.reserve(socket_count);
        for (unsigned i = 0; i < socket_count; ++i) {
            clients_.emplace_back(options, seed ^ ((first_socket + i + 1) * 0x2545F4914F6CDD1Dull));
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = i;
            if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, clients_.back().fd(), &ev) != 0) {
                fail_errno("epoll_ctl");
            }
        }
        for (unsigned i = 0; i < options.batch; ++i) {
            out_iov_[i] = {out_[i].data(), request_bytes_};
            out_headers_[i].msg_hdr.msg_iov = &out_iov_[i];
            out_headers_[i].msg_hdr.msg_iovlen = 1;
            in_iov_[i] = {in_[i].data(), in_[i].size()};
            in_headers_[i].msg_hdr.msg_iov = &in_iov_[i];
            in_headers_[i].msg_hdr.msg_iovlen = 1;
        }
    }

    // Runs the load until end_ns, then drains answers for up to the timeout.
    void run(int64_t start_ns, int64_t end_ns) {
        now_ = start_ns;
        end_ns_ = end_ns;
        for (auto& c : clients_) {
            fill(c);
        }
        int64_t next_expiry = now_ + expiry_interval_ns;
        std::array<epoll_event, 64> events{};
        int64_t drain_end = end_ns + timeout_ns_;
        while (true) {
            now_ = now_ns();
            bool draining = now_ >= end_ns;
            if (draining && (now_ >= drain_end || outstanding() == 0)) {
                break;
            }
            if (now_ >= next_expiry) {
                expire();
                next_expiry = now_ + expiry_interval_ns;
            }
            int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 2);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                fail_errno("epoll_wait");
            }
            now_ = now_ns();
            for (int e = 0; e < n; ++e) {
                Client& c = clients_[events[e].data.u32];
                receive(c);
                fill(c);
            }
            if (n == 0) {
                // Nothing arrived: a send may have failed for lack of buffer.
                for (auto& c : clients_) {
                    fill(c);
                }
            }
        }
        for (auto& c : clients_) {
            counts_.outstanding_at_end += c.outstanding();
        }
    }

    const Counts& counts() const { return counts_; }

  private:
    static constexpr int64_t expiry_interval_ns = 20'000'000;

    size_t outstanding() const {
        size_t total = 0;
        for (const auto& c : clients_) {
            total += c.outstanding();
        }
        return total;
    }

    // Sends new requests into every free window slot (none once time is up).
    void fill(Client& c) {
        auto& free_slots = c.free_slots();
        while (!free_slots.empty() && now_ < end_ns_) {
            unsigned count = std::min<unsigned>(options_.batch, free_slots.size());
            std::span<uint16_t> taken(taken_.data(), count);
            for (unsigned k = 0; k < count; ++k) {
                taken[k] = free_slots.back();
                free_slots.pop_back();
                build_request(c, taken[k], out_[k].data());
            }
            int n = sendmmsg(c.fd(), out_headers_.data(), count, MSG_DONTWAIT);
            unsigned done = n > 0 ? static_cast<unsigned>(n) : 0;
            for (unsigned k = 0; k < done; ++k) {
                Slot& s = c.slot(taken[k]);
                s.busy = true;
                s.sent_ns = now_;
            }
            counts_.sent += done;
            // What the kernel refused goes back to the free list, to be tried
            // again on the next pass.
            for (unsigned k = count; k-- > done;) {
                free_slots.push_back(taken[k]);
            }
            if (done < count) {
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                    ++counts_.send_errors;
                }
                return;
            }
        }
    }

    void build_request(Client& c, uint16_t slot, uint8_t* p) {
        store16(p, binding_request);
        store16(p + 2, static_cast<uint16_t>(request_bytes_ - header_bytes));
        store32(p + 4, magic_cookie);
        c.new_transaction(slot, rng_, p + 8);
        if (options_.fingerprint) {
            store16(p + 20, attr_fingerprint);
            store16(p + 22, 4);
            store32(p + 24, crc32({p, header_bytes}) ^ fingerprint_xor);
        }
    }

    void receive(Client& c) {
        // A bounded number of batches per wakeup keeps the other sockets served.
        for (int round = 0; round < 4; ++round) {
            for (unsigned i = 0; i < options_.batch; ++i) {
                in_iov_[i].iov_len = in_[i].size();
                in_headers_[i].msg_hdr.msg_flags = 0;
            }
            int n = recvmmsg(c.fd(), in_headers_.data(), options_.batch, MSG_DONTWAIT, nullptr);
            if (n <= 0) {
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    ++counts_.receive_errors;  // e.g. ECONNREFUSED: nobody listens
                }
                return;
            }
            for (int i = 0; i < n; ++i) {
                answer(c, {in_[i].data(), in_headers_[i].msg_len},
                       (in_headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
            }
            if (static_cast<unsigned>(n) < options_.batch) {
                return;
            }
        }
    }

    void answer(Client& c, std::span<const uint8_t> packet, bool truncated) {
        if (packet.size() < header_bytes) {
            ++counts_.stray;
            return;
        }
        auto slot = c.lookup(packet.data() + 8);
        if (!slot) {
            ++counts_.stray;  // a late answer to a timed-out request, or noise
            return;
        }
        int64_t sent_ns = c.slot(*slot).sent_ns;
        c.release(*slot);
        if (truncated || !valid_answer(packet, c.local())) {
            ++counts_.bad;
            return;
        }
        ++counts_.answered;
        counts_.rtt_ns_sum += now_ - sent_ns;
        if (now_ < end_ns_) {
            ++counts_.answered_in_window;
        }
    }

    // Frees the slots of requests older than the timeout; they are lost.
    void expire() {
        int64_t deadline = now_ - timeout_ns_;
        for (auto& c : clients_) {
            for (uint16_t i = 0; i < c.window(); ++i) {
                if (c.slot(i).busy && c.slot(i).sent_ns < deadline) {
                    c.release(i);
                    ++counts_.timed_out;
                }
            }
        }
    }

    const Options& options_;
    SplitMix64 rng_;
    UniqueFd epoll_;
    std::vector<Client> clients_;
    size_t request_bytes_;
    int64_t timeout_ns_;
    int64_t now_ = 0;
    int64_t end_ns_ = 0;
    Counts counts_;

    std::vector<std::array<uint8_t, max_request_bytes>> out_;
    std::vector<iovec> out_iov_;
    std::vector<mmsghdr> out_headers_;
    std::vector<std::array<uint8_t, receive_slot_bytes>> in_;
    std::vector<iovec> in_iov_;
    std::vector<mmsghdr> in_headers_;
    std::vector<uint16_t> taken_;  // the slots of the batch being sent
};

double cpu_seconds() {
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return seconds(self.ru_utime) + seconds(self.ru_stime);
}

int run(const Options& options) {
    uint64_t seed = std::random_device{}();
    seed = (seed << 32) ^ std::random_device{}();

    std::vector<LoadThread> threads;
    threads.reserve(options.threads);
    unsigned first = 0;
    for (unsigned t = 0; t < options.threads; ++t) {
        unsigned count =
            options.sockets / options.threads + (t < options.sockets % options.threads);
        threads.emplace_back(options, first, count, seed + t);
        first += count;
    }

    double cpu_before = cpu_seconds();
    int64_t start = now_ns();
    int64_t end = start + static_cast<int64_t>(options.seconds * 1e9);
    run_all(threads, [start, end](LoadThread& t) { t.run(start, end); });
    double cpu = cpu_seconds() - cpu_before;

    Counts total;
    for (const auto& t : threads) {
        total += t.counts();
    }
    uint64_t lost = total.timed_out + total.outstanding_at_end;
    double rate = double(total.answered_in_window) / options.seconds;
    double loss_pct = total.sent ? 100.0 * double(lost) / double(total.sent) : 0.0;
    double rtt_us = total.answered ? double(total.rtt_ns_sum) / double(total.answered) / 1e3 : 0.0;
    fmt::print(
        "{{\"server\":\"{}\",\"seconds\":{},\"sockets\":{},\"window\":{},\"batch\":{},"
        "\"threads\":{},\"fingerprint\":{},\"sent\":{},\"answered\":{},"
        "\"answered_in_window\":{},\"bad\":{},\"stray\":{},\"lost\":{},\"timed_out\":{},"
        "\"outstanding_at_end\":{},\"send_errors\":{},\"receive_errors\":{},"
        "\"rate\":{:.1f},\"loss_pct\":{:.4f},\"rtt_avg_us\":{:.1f},\"client_cpu_s\":{:.3f}}}\n",
        options.server_text, options.seconds, options.sockets, options.window, options.batch,
        options.threads, options.fingerprint, total.sent, total.answered, total.answered_in_window,
        total.bad, total.stray, lost, total.timed_out, total.outstanding_at_end, total.send_errors,
        total.receive_errors, rate, loss_pct, rtt_us, cpu);
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse_options(argc, argv));
    } catch (const std::invalid_argument& e) {
        fmt::print(stderr, "stun_load: {}\n{}", e.what(), usage);
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "stun_load: {}\n", e.what());
        return 1;
    }
}
