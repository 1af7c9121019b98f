// turn_load: a TURN (RFC 8656, UDP relay) load generator for loopback benchmarks.
//
// Three modes, each printing one JSON line of results on stdout:
//
//   relay       M allocations, each on its own client UDP socket, authenticated
//               with the long-term credential mechanism (Allocate -> 401 with
//               REALM and NONCE -> Allocate with USERNAME, REALM, NONCE and
//               MESSAGE-INTEGRITY = HMAC-SHA1 keyed by MD5(user:realm:pass)),
//               then CreatePermission and ChannelBind for a peer socket of its
//               own that this program owns on loopback. ChannelData of L payload
//               bytes goes client -> relay -> peer; the peer echoes the payload
//               peer -> relay -> client, so both directions are relayed. Either
//               closed loop (a window of W packets in flight per allocation:
//               flat out) or open loop at a target rate. The payload carries its
//               send time, so every round trip gives a latency (p50/p99); what
//               does not come back within the timeout is lost. Batched with
//               sendmmsg/recvmmsg.
//   alloc-rate  C allocation cycles at once, each from a client address of its own:
//               Allocate -> 401 -> Allocate with credentials -> Refresh with
//               LIFETIME 0 (deleting it, so relay ports are not used up), for D
//               seconds: allocations completed per second.
//   bare-relay  the relay data plane against bench/bare_relay, which speaks no
//               STUN: session i uses channel 0x4000 + i and that server's relay
//               port (server port + 1 + i), whose address its peer socket
//               learns from a first datagram. The floor bench/relay compares with.
//   idle        N allocations held with no permissions and no traffic; then a
//               line {"phase":"ready",...} and a wait for a line on stdin (or
//               its end), so a runner can read the server's memory; then every
//               allocation is deleted with Refresh LIFETIME 0.
//
// With --server-pid, the server's CPU time (its process CPU-time clock)
// over the measured phase is in the result, and per relayed packet or per
// allocation. Control requests are retransmitted as RFC 8489 says (RTO doubling
// from --rto-ms) and carry FINGERPRINT, as browsers' requests do.
//
// Traffic goes only to loopback addresses (127.0.0.0/8, ::1): the server, and
// every relayed address a server hands out, are refused otherwise.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "common/hmac.hpp"
#include "common/unique_fd.hpp"
#include "run_all.hpp"
#include "stun_wire.hpp"

namespace {

using turnpike::UniqueFd;

// ---------------------------------------------------------------------------
// STUN and TURN constants (RFC 8489, RFC 8656)

constexpr uint32_t magic_cookie = 0x2112A442;
constexpr uint32_t fingerprint_xor = 0x5354554E;
constexpr size_t header_bytes = 20;

constexpr uint16_t method_allocate = 0x003;
constexpr uint16_t method_refresh = 0x004;
constexpr uint16_t method_data = 0x007;
constexpr uint16_t method_create_permission = 0x008;
constexpr uint16_t method_channel_bind = 0x009;

constexpr unsigned class_request = 0;
constexpr unsigned class_indication = 1;
constexpr unsigned class_success = 2;
constexpr unsigned class_error = 3;

constexpr uint16_t attr_username = 0x0006;
constexpr uint16_t attr_message_integrity = 0x0008;
constexpr uint16_t attr_error_code = 0x0009;
constexpr uint16_t attr_channel_number = 0x000C;
constexpr uint16_t attr_lifetime = 0x000D;
constexpr uint16_t attr_xor_peer_address = 0x0012;
constexpr uint16_t attr_data = 0x0013;
constexpr uint16_t attr_realm = 0x0014;
constexpr uint16_t attr_nonce = 0x0015;
constexpr uint16_t attr_xor_relayed_address = 0x0016;
constexpr uint16_t attr_requested_address_family = 0x0017;
constexpr uint16_t attr_requested_transport = 0x0019;
constexpr uint16_t attr_fingerprint = 0x8028;

constexpr uint8_t protocol_udp = 17;
constexpr uint16_t first_channel = 0x4000;
constexpr uint16_t channel_count = 0x1000;  // 0x4000-0x4FFF (RFC 8656 section 12)

// The payload of a relayed packet: session index, tag, send time, then a
// fixed pattern up to the chosen size.
constexpr size_t payload_header_bytes = 16;
constexpr size_t channel_header_bytes = 4;

constexpr std::string_view usage =
    R"(usage: turn_load --server IP:PORT [--mode relay|alloc-rate|idle|bare-relay] [options]
  --server IP:PORT     TURN server (UDP); loopback only (127.0.0.0/8 or [::1])
  --mode MODE          relay (default), alloc-rate, idle, or bare-relay (relay
                       against bench/bare_relay: no TURN, the same data plane)
  --user NAME          long-term credential user name (default bench)
  --password PASS      its password (default bench)
  --seconds S          measuring time of relay and alloc-rate (default 5)
  --allocations N      relay: allocations (default 32); idle: allocations held (default 10000)
  --concurrency C      control transactions in flight; in alloc-rate the number
                       of allocation cycles at once (default 32)
  --size L             relay: payload bytes per packet, 16..8192 (default 170)
  --rate R             relay: round trips per second over all allocations
                       (open loop); 0 = closed loop, flat out (default 0)
  --window W           relay, closed loop: packets in flight per allocation (default 8)
  --batch B            relay: most datagrams per sendmmsg/recvmmsg (default 32)
  --threads T          relay: data-plane threads; allocations split among them;
                       alloc-rate: threads, each with its own socket and C/T
                       of the cycles (default 1)
  --timeout-ms MS      relay: a packet not back within this is lost; also the
                       drain time after the load (default 1000)
  --rto-ms MS          control requests: first retransmission timeout, doubling (default 500)
  --max-tries N        control requests: transmissions before giving up (default 6)
  --lifetime S         LIFETIME asked for in Allocate; 0 = the server's default (default 0)
  --server-pid PID     read the server's CPU time (and, in idle, its VmRSS) from /proc
  --setup-timeout S    longest time to set up or delete all allocations (default 120)
Prints one JSON line of results (idle first prints a {"phase":"ready"} line and
waits for a line on stdin or its end). Exit status 3: no allocation succeeded.
)";

// ---------------------------------------------------------------------------
// Small helpers: bench/stun_wire.hpp
using namespace bench;

[[noreturn]] void fail_errno(std::string_view what) {
    throw std::system_error(errno, std::generic_category(), std::string(what));
}

double process_cpu_seconds() {
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return seconds(self.ru_utime) + seconds(self.ru_stime);
}

// CPU time of another process (all its threads, user and system), in seconds.
// Its CPU-time clock counts nanoseconds; /proc/PID/stat's utime and stime
// count clock ticks (10 ms), too coarse for a run of a few seconds.
std::optional<double> server_cpu_seconds(int pid) {
    clockid_t clock{};
    timespec t{};
    if (pid <= 0 || clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &t) != 0) {
        return std::nullopt;
    }
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

// VmRSS of another process, in KiB.
std::optional<long> server_rss_kib(int pid) {
    if (pid <= 0) {
        return std::nullopt;
    }
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmRSS:")) {
            return std::strtol(line.c_str() + 6, nullptr, 10);
        }
    }
    return std::nullopt;
}

std::string json_number(std::optional<double> value, int digits) {
    return value ? fmt::format("{:.{}f}", *value, digits) : "null";
}

// Raises the open-file limit to its hard maximum: idle mode holds a socket per
// allocation.
void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// ---------------------------------------------------------------------------
// Latency histogram: log-linear buckets over nanoseconds (128 per power of two
// above 128 ns, so under 1% error), cheap to add to and to merge.

class Histogram {
  public:
    Histogram() : buckets_(bucket_count, 0) {}

    void add(int64_t ns) {
        uint64_t v = ns > 0 ? static_cast<uint64_t>(ns) : 0;
        ++buckets_[index(v)];
        ++count_;
        max_ = std::max(max_, v);
    }

    void merge(const Histogram& o) {
        for (size_t i = 0; i < bucket_count; ++i) {
            buckets_[i] += o.buckets_[i];
        }
        count_ += o.count_;
        max_ = std::max(max_, o.max_);
    }

    uint64_t count() const { return count_; }

    // The value below which the fraction q of the samples lie, in microseconds.
    std::optional<double> quantile_us(double q) const {
        if (count_ == 0) {
            return std::nullopt;
        }
        auto rank = static_cast<uint64_t>(q * double(count_ - 1));
        uint64_t seen = 0;
        for (size_t i = 0; i < bucket_count; ++i) {
            seen += buckets_[i];
            if (seen > rank) {
                return std::min(double(middle(i)), double(max_)) / 1e3;
            }
        }
        return double(max_) / 1e3;
    }

    std::optional<double> max_us() const {
        return count_ ? std::optional<double>(double(max_) / 1e3) : std::nullopt;
    }

  private:
    static constexpr unsigned sub_bits = 7;
    static constexpr uint64_t sub = uint64_t{1} << sub_bits;
    static constexpr size_t bucket_count = sub + (64 - sub_bits) * sub;

    static size_t index(uint64_t v) {
        if (v < sub) {
            return v;
        }
        unsigned shift = static_cast<unsigned>(std::bit_width(v)) - sub_bits - 1;
        return sub + shift * sub + ((v >> shift) - sub);
    }

    static uint64_t middle(size_t i) {
        if (i < sub) {
            return i;
        }
        uint64_t shift = (i - sub) / sub;
        uint64_t low = ((i - sub) % sub + sub) << shift;
        return low + ((uint64_t{1} << shift) >> 1);
    }

    std::vector<uint64_t> buckets_;
    uint64_t count_ = 0;
    uint64_t max_ = 0;
};

// ---------------------------------------------------------------------------
// Addresses and options

struct Endpoint {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* ptr() const { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* ptr() { return reinterpret_cast<sockaddr*>(&storage); }

    uint16_t port() const {
        if (family() == AF_INET) {
            sockaddr_in v4{};
            std::memcpy(&v4, &storage, sizeof(v4));
            return ntohs(v4.sin_port);
        }
        sockaddr_in6 v6{};
        std::memcpy(&v6, &storage, sizeof(v6));
        return ntohs(v6.sin6_port);
    }

    // The address bytes in network order: 4 for IPv4, 16 for IPv6.
    std::vector<uint8_t> address() const {
        if (family() == AF_INET) {
            sockaddr_in v4{};
            std::memcpy(&v4, &storage, sizeof(v4));
            const auto* p = reinterpret_cast<const uint8_t*>(&v4.sin_addr);
            return {p, p + 4};
        }
        sockaddr_in6 v6{};
        std::memcpy(&v6, &storage, sizeof(v6));
        return {v6.sin6_addr.s6_addr, v6.sin6_addr.s6_addr + 16};
    }

    static Endpoint from(int family, std::span<const uint8_t> address, uint16_t port) {
        Endpoint e;
        if (family == AF_INET) {
            sockaddr_in v4{};
            v4.sin_family = AF_INET;
            v4.sin_port = htons(port);
            std::memcpy(&v4.sin_addr, address.data(), 4);
            std::memcpy(&e.storage, &v4, sizeof(v4));
            e.length = sizeof(v4);
        } else {
            sockaddr_in6 v6{};
            v6.sin6_family = AF_INET6;
            v6.sin6_port = htons(port);
            std::memcpy(&v6.sin6_addr, address.data(), 16);
            std::memcpy(&e.storage, &v6, sizeof(v6));
            e.length = sizeof(v6);
        }
        return e;
    }
};

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
    std::array<uint8_t, 16> raw{};
    if (inet_pton(AF_INET, host.c_str(), raw.data()) == 1) {
        return Endpoint::from(AF_INET, raw, port);
    }
    if (inet_pton(AF_INET6, host.c_str(), raw.data()) == 1) {
        return Endpoint::from(AF_INET6, raw, port);
    }
    return std::nullopt;
}

bool is_loopback(const Endpoint& e) {
    auto a = e.address();
    if (e.family() == AF_INET) {
        return a[0] == 127;
    }
    if (e.family() == AF_INET6) {
        static constexpr std::array<uint8_t, 16> one{0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
        return std::equal(a.begin(), a.end(), one.begin());
    }
    return false;
}

enum class Mode { relay, alloc_rate, idle, bare_relay };

struct Options {
    Mode mode = Mode::relay;
    Endpoint server;
    std::string server_text;
    std::string user = "bench";
    std::string password = "bench";
    double seconds = 5.0;
    unsigned allocations = 0;  // 0: the mode's default
    unsigned concurrency = 32;
    unsigned size = 170;
    double rate = 0;
    unsigned window = 8;
    unsigned batch = 32;
    unsigned threads = 1;
    unsigned timeout_ms = 1000;
    unsigned rto_ms = 500;
    unsigned max_tries = 6;
    unsigned lifetime = 0;
    int server_pid = 0;
    double setup_timeout = 120;
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

double parse_real(std::string_view text, std::string_view name, double low, double high) {
    std::string copy(text);
    char* end = nullptr;
    double value = std::strtod(copy.c_str(), &end);
    if (end == copy.c_str() || *end != '\0' || !(value >= low) || !(value <= high)) {
        throw std::invalid_argument(
            fmt::format("{} must be a number from {} to {}, not '{}'", name, low, high, text));
    }
    return value;
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
        } else if (arg == "--mode") {
            if (value == "relay") {
                o.mode = Mode::relay;
            } else if (value == "alloc-rate") {
                o.mode = Mode::alloc_rate;
            } else if (value == "idle") {
                o.mode = Mode::idle;
            } else if (value == "bare-relay") {
                o.mode = Mode::bare_relay;
            } else {
                throw std::invalid_argument(fmt::format("unknown --mode '{}'", value));
            }
        } else if (arg == "--user") {
            o.user = std::string(value);
        } else if (arg == "--password") {
            o.password = std::string(value);
        } else if (arg == "--seconds") {
            o.seconds = parse_real(value, "--seconds", 0.1, 280);
        } else if (arg == "--allocations") {
            o.allocations = parse_number<unsigned>(value, "--allocations", 1, 60000);
        } else if (arg == "--concurrency") {
            o.concurrency = parse_number<unsigned>(value, "--concurrency", 1, 10000);
        } else if (arg == "--size") {
            o.size = parse_number<unsigned>(value, "--size", payload_header_bytes, 8192);
        } else if (arg == "--rate") {
            o.rate = parse_real(value, "--rate", 0, 1e8);
        } else if (arg == "--window") {
            o.window = parse_number<unsigned>(value, "--window", 1, 65535);
        } else if (arg == "--batch") {
            o.batch = parse_number<unsigned>(value, "--batch", 1, 1024);
        } else if (arg == "--threads") {
            o.threads = parse_number<unsigned>(value, "--threads", 1, 64);
        } else if (arg == "--timeout-ms") {
            o.timeout_ms = parse_number<unsigned>(value, "--timeout-ms", 1, 60000);
        } else if (arg == "--rto-ms") {
            o.rto_ms = parse_number<unsigned>(value, "--rto-ms", 1, 60000);
        } else if (arg == "--max-tries") {
            o.max_tries = parse_number<unsigned>(value, "--max-tries", 1, 20);
        } else if (arg == "--lifetime") {
            o.lifetime = parse_number<unsigned>(value, "--lifetime", 0, 86400);
        } else if (arg == "--server-pid") {
            o.server_pid = parse_number<int>(value, "--server-pid", 1, 1 << 30);
        } else if (arg == "--setup-timeout") {
            o.setup_timeout = parse_real(value, "--setup-timeout", 1, 3600);
        } else {
            throw std::invalid_argument(fmt::format("unknown option {}", arg));
        }
    }
    if (!have_server) {
        throw std::invalid_argument("--server is required");
    }
    if (o.allocations == 0) {
        o.allocations = o.mode == Mode::idle ? 10000 : 32;
    }
    o.threads = std::min(o.threads, o.mode == Mode::alloc_rate ? o.concurrency : o.allocations);
    return o;
}

// ---------------------------------------------------------------------------
// Long-term credentials (RFC 8489 section 9.2)

struct EvpMdFree {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};

class Credentials {
  public:
    Credentials(std::string user, std::string password)
        : user_(std::move(user)),
          password_(std::move(password)),
          md5_(EVP_MD_fetch(nullptr, "MD5", nullptr)) {
        if (!md5_) {
            throw std::runtime_error("OpenSSL has no MD5");
        }
    }

    const std::string& user() const { return user_; }

    // MD5(user:realm:password), computed once per realm.
    const std::array<uint8_t, 16>& key(const std::string& realm) {
        if (!have_key_ || realm != key_realm_) {
            std::string text = fmt::format("{}:{}:{}", user_, realm, password_);
            unsigned length = 0;
            if (EVP_Digest(text.data(), text.size(), key_.data(), &length, md5_.get(), nullptr) !=
                    1 ||
                length != key_.size()) {
                throw std::runtime_error("MD5 failed");
            }
            key_realm_ = realm;
            have_key_ = true;
        }
        return key_;
    }

    // The MESSAGE-INTEGRITY HMAC under that key, its pads hashed once per
    // realm (common/hmac.hpp, nettle): a request then costs the HMAC of its
    // own bytes only.
    const turnpike::HmacSha1& integrity(const std::string& realm) {
        const auto& long_term = key(realm);
        if (!integrity_ || integrity_realm_ != realm) {
            integrity_.emplace(long_term);
            integrity_realm_ = realm;
        }
        return *integrity_;
    }

  private:
    std::string user_;
    std::string password_;
    std::unique_ptr<EVP_MD, EvpMdFree> md5_;
    std::string key_realm_;
    std::array<uint8_t, 16> key_{};
    bool have_key_ = false;
    std::string integrity_realm_;
    std::optional<turnpike::HmacSha1> integrity_;
};

// ---------------------------------------------------------------------------
// STUN messages

uint16_t message_type(uint16_t method, unsigned cls) {
    return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                 ((method & 0x0F80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7));
}

uint16_t method_of(uint16_t type) {
    return static_cast<uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
}

unsigned class_of(uint16_t type) {
    return ((type >> 4) & 1) | ((type >> 7) & 2);
}

// Builds a request in a byte vector, keeping the header's length field current.
class Builder {
  public:
    Builder(std::vector<uint8_t>& out, uint16_t type, std::span<const uint8_t, 12> transaction)
        : out_(out) {
        out_.assign(header_bytes, 0);
        store16(out_.data(), type);
        store32(out_.data() + 4, magic_cookie);
        std::memcpy(out_.data() + 8, transaction.data(), 12);
    }

    void add(uint16_t type, std::span<const uint8_t> value) {
        size_t at = out_.size();
        out_.resize(at + 4 + ((value.size() + 3) & ~size_t{3}), 0);
        store16(out_.data() + at, type);
        store16(out_.data() + at + 2, static_cast<uint16_t>(value.size()));
        if (!value.empty()) {
            std::memcpy(out_.data() + at + 4, value.data(), value.size());
        }
        set_length(out_.size());
    }

    void add_u32(uint16_t type, uint32_t value) {
        std::array<uint8_t, 4> bytes{};
        store32(bytes.data(), value);
        add(type, bytes);
    }

    void add_text(uint16_t type, std::string_view text) {
        add(type, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    }

    void add_xor_address(uint16_t type, const Endpoint& e) {
        auto address = e.address();
        std::vector<uint8_t> value(4 + address.size());
        value[1] = e.family() == AF_INET ? 0x01 : 0x02;
        store16(value.data() + 2, static_cast<uint16_t>(e.port() ^ (magic_cookie >> 16)));
        for (size_t k = 0; k < address.size(); ++k) {
            value[4 + k] = address[k] ^ out_[4 + k];  // cookie, then transaction ID
        }
        add(type, value);
    }

    void add_integrity(const turnpike::HmacSha1& key) {
        size_t at = out_.size();
        set_length(at + 24);
        const auto mac = key.mac({out_.data(), at});
        add(attr_message_integrity, mac);
    }

    void add_fingerprint() {
        size_t at = out_.size();
        set_length(at + 8);
        add_u32(attr_fingerprint, crc32({out_.data(), at}) ^ fingerprint_xor);
    }

  private:
    void set_length(size_t total) {
        store16(out_.data() + 2, static_cast<uint16_t>(total - header_bytes));
    }

    std::vector<uint8_t>& out_;
};

// A parsed view of a STUN message whose framing has been checked.
class Message {
  public:
    static std::optional<Message> parse(std::span<const uint8_t> raw) {
        if (raw.size() < header_bytes || (raw[0] & 0xC0) != 0 ||
            load32(raw.data() + 4) != magic_cookie ||
            load16(raw.data() + 2) != raw.size() - header_bytes || (raw.size() & 3) != 0) {
            return std::nullopt;
        }
        for (size_t at = header_bytes; at < raw.size();) {
            if (raw.size() - at < 4) {
                return std::nullopt;
            }
            size_t padded = (size_t{load16(raw.data() + at + 2)} + 3) & ~size_t{3};
            if (raw.size() - at - 4 < padded) {
                return std::nullopt;
            }
            at += 4 + padded;
        }
        return Message(raw);
    }

    uint16_t type() const { return load16(raw_.data()); }
    const uint8_t* transaction() const { return raw_.data() + 8; }

    std::optional<std::span<const uint8_t>> find(uint16_t wanted) const {
        for (size_t at = header_bytes; at < raw_.size();) {
            uint16_t type = load16(raw_.data() + at);
            size_t length = load16(raw_.data() + at + 2);
            if (type == wanted) {
                return raw_.subspan(at + 4, length);
            }
            at += 4 + ((length + 3) & ~size_t{3});
        }
        return std::nullopt;
    }

    std::string text(uint16_t wanted) const {
        auto value = find(wanted);
        return value ? std::string(value->begin(), value->end()) : std::string();
    }

    // The ERROR-CODE number, or 0 when absent or malformed.
    int error_code() const {
        auto value = find(attr_error_code);
        if (!value || value->size() < 4) {
            return 0;
        }
        return ((*value)[2] & 0x07) * 100 + (*value)[3];
    }

    std::optional<Endpoint> xor_address(uint16_t wanted) const {
        auto value = find(wanted);
        if (!value || value->size() < 8) {
            return std::nullopt;
        }
        const auto& v = *value;
        int family = v[1] == 0x01 ? AF_INET : v[1] == 0x02 ? AF_INET6 : AF_UNSPEC;
        size_t size = family == AF_INET ? 4 : 16;
        if (family == AF_UNSPEC || v.size() != 4 + size) {
            return std::nullopt;
        }
        std::array<uint8_t, 16> address{};
        for (size_t k = 0; k < size; ++k) {
            address[k] = v[4 + k] ^ raw_[4 + k];
        }
        auto port = static_cast<uint16_t>(load16(v.data() + 2) ^ (magic_cookie >> 16));
        return Endpoint::from(family, {address.data(), size}, port);
    }

  private:
    explicit Message(std::span<const uint8_t> raw) : raw_(raw) {}
    std::span<const uint8_t> raw_;
};

// ---------------------------------------------------------------------------
// Sessions: one client socket and its allocation

enum class Step : uint8_t {
    fresh,            // nothing sent yet
    allocate_unauth,  // Allocate without credentials, expecting 401
    allocate,         // Allocate with credentials
    permission,       // CreatePermission for the peer
    channel_bind,     // ChannelBind for the peer
    ready,            // allocated (and bound, in relay mode)
    remove,           // Refresh LIFETIME 0
    deleted,
    failed,
};

bool in_flight(Step s) {
    return s != Step::fresh && s != Step::ready && s != Step::deleted && s != Step::failed;
}

// What a session does once allocated: bind a channel for relaying, or hold.
enum class Plan { relay, hold };

struct Slot {
    int64_t sent_ns = 0;
    uint16_t generation = 0;
    bool busy = false;
};

// The long-term credential exchange of one client (RFC 8489 section 9.2):
// the REALM and NONCE a server's 401 or 438 handed over, and how to sign
// with them.
struct Challenge {
    enum class Reply {
        send,    // 401 taken: send the request again, now with credentials
        resend,  // 438 taken: a fresh nonce; send the same request again
        fail,    // a 401 or 438 without what it must carry
        other,   // not an answer to credentials
    };

    std::string realm;
    std::string nonce;
    unsigned stale = 0;

    void reset() {
        realm.clear();
        nonce.clear();
        stale = 0;
    }

    // `had_credentials`: the refused request was signed.
    Reply take(int code, const Message& m, bool had_credentials) {
        if (code == 401 && !had_credentials) {
            realm = m.text(attr_realm);
            nonce = m.text(attr_nonce);
            return realm.empty() || nonce.empty() ? Reply::fail : Reply::send;
        }
        if (code == 438 && stale < 3) {
            ++stale;
            std::string fresh = m.text(attr_nonce);
            if (fresh.empty()) {
                return Reply::fail;
            }
            nonce = std::move(fresh);
            if (std::string changed = m.text(attr_realm); !changed.empty()) {
                realm = std::move(changed);
            }
            return Reply::resend;
        }
        return Reply::other;
    }

    // USERNAME, REALM, NONCE and MESSAGE-INTEGRITY, once a 401 gave a realm.
    void sign(Builder& b, Credentials& credentials) const {
        if (realm.empty()) {
            return;
        }
        b.add_text(attr_username, credentials.user());
        b.add_text(attr_realm, realm);
        b.add_text(attr_nonce, nonce);
        b.add_integrity(credentials.integrity(realm));
    }
};

// An Allocate's own attributes: UDP, an IPv6 relay for an IPv6 server, and
// the lifetime asked for.
void add_allocate_attributes(Builder& b, const Options& options) {
    std::array<uint8_t, 4> transport{protocol_udp, 0, 0, 0};
    b.add(attr_requested_transport, transport);
    if (options.server.family() == AF_INET6) {
        std::array<uint8_t, 4> family{0x02, 0, 0, 0};
        b.add(attr_requested_address_family, family);
    }
    if (options.lifetime != 0) {
        b.add_u32(attr_lifetime, options.lifetime);
    }
}

// The retransmission timer of one outstanding request (RFC 8489 section
// 6.2.1): the RTO doubles with each try, up to a number of tries.
struct Retransmission {
    enum class Due { not_yet, again, give_up };

    unsigned tries = 0;
    int64_t rto_ns = 0;
    int64_t deadline_ns = 0;

    void start(int64_t now, unsigned rto_ms) {
        tries = 1;
        rto_ns = int64_t{rto_ms} * 1'000'000;
        deadline_ns = now + rto_ns;
    }

    // `again` when the request is to be sent once more, now.
    Due check(int64_t now, unsigned max_tries) {
        if (now < deadline_ns) {
            return Due::not_yet;
        }
        if (tries >= max_tries) {
            return Due::give_up;
        }
        ++tries;
        rto_ns *= 2;
        deadline_ns = now + rto_ns;
        return Due::again;
    }
};

struct Session {
    UniqueFd fd;
    UniqueFd peer_fd;  // relay mode: the peer socket this program owns
    Endpoint peer;
    Endpoint relayed;
    Step step = Step::fresh;
    uint16_t channel = 0;
    Retransmission retry;
    Challenge challenge;
    int64_t cycle_start_ns = 0;
    std::array<uint8_t, 12> transaction{};
    std::vector<uint8_t> request;
    // Data plane.
    uint32_t sequence = 0;
    std::vector<Slot> slots;
    std::vector<uint16_t> free_slots;
};

struct ControlCounts {
    uint64_t transactions = 0;
    uint64_t retransmits = 0;
    uint64_t timeouts = 0;
    uint64_t allocated = 0;
    uint64_t deleted = 0;
    uint64_t failed = 0;
    uint64_t stale_nonces = 0;
    uint64_t stray = 0;
    std::map<int, uint64_t> errors;  // error code (0: timeout) -> sessions failed with it
    Histogram allocate_latency;      // first Allocate sent -> success

    ControlCounts& operator+=(const ControlCounts& o) {
        transactions += o.transactions;
        retransmits += o.retransmits;
        timeouts += o.timeouts;
        allocated += o.allocated;
        deleted += o.deleted;
        failed += o.failed;
        stale_nonces += o.stale_nonces;
        stray += o.stray;
        for (const auto& [code, count] : o.errors) {
            errors[code] += count;
        }
        allocate_latency.merge(o.allocate_latency);
        return *this;
    }

    std::string errors_json() const {
        std::string out = "{";
        for (const auto& [code, count] : errors) {
            out += fmt::format("{}\"{}\":{}", out.size() > 1 ? "," : "", code, count);
        }
        return out + "}";
    }
};

// Counts what a retransmission timer decided and acts on it.
template <typename GiveUp, typename Resend>
void on_timer(Retransmission::Due due, ControlCounts& counts, GiveUp give_up, Resend resend) {
    if (due == Retransmission::Due::give_up) {
        ++counts.timeouts;
        give_up();
    } else if (due == Retransmission::Due::again) {
        ++counts.retransmits;
        resend();
    }
}

UniqueFd udp_socket(int family) {
    UniqueFd fd(socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        fail_errno("socket");
    }
    return fd;
}

void set_buffers(int fd, int bytes) {
    // The FORCE variants pass net.core.[rw]mem_max when we may; else the plain ones.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
    }
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
    }
}

uint64_t epoll_tag(size_t index, bool peer) {
    return (uint64_t{index} << 1) | (peer ? 1 : 0);
}

// Session `index`'s client socket, connected to the server, and with a peer,
// the peer socket (the server's loopback address, a port of its own) and the
// channel the data plane uses.
void open_sockets(const Options& o, Session& s, size_t index, bool with_peer) {
    s.fd = udp_socket(o.server.family());
    if (connect(s.fd.get(), o.server.ptr(), o.server.length) != 0) {
        fail_errno(fmt::format("connect to {}", o.server_text));
    }
    if (!with_peer) {
        return;
    }
    s.peer_fd = udp_socket(o.server.family());
    Endpoint local = Endpoint::from(o.server.family(), o.server.address(), 0);
    if (bind(s.peer_fd.get(), local.ptr(), local.length) != 0) {
        fail_errno("bind peer socket");
    }
    s.peer.length = sizeof(s.peer.storage);
    if (getsockname(s.peer_fd.get(), s.peer.ptr(), &s.peer.length) != 0) {
        fail_errno("getsockname");
    }
    set_buffers(s.fd.get(), 1 << 20);
    set_buffers(s.peer_fd.get(), 1 << 20);
    s.channel = static_cast<uint16_t>(first_channel + index % channel_count);
}

// Drives sessions through their control transactions (Allocate, CreatePermission,
// ChannelBind, Refresh), many at once, on one epoll loop.
class Control {
  public:
    Control(const Options& options, Plan plan, std::vector<Session>& sessions,
            Credentials& credentials, uint64_t seed)
        : options_(options),
          plan_(plan),
          sessions_(sessions),
          credentials_(credentials),
          rng_(seed),
          epoll_(epoll_create1(EPOLL_CLOEXEC)) {
        if (!epoll_) {
            fail_errno("epoll_create1");
        }
    }

    const ControlCounts& counts() const { return counts_; }

    // Brings every fresh session to ready (or failed). Returns false on the deadline.
    bool setup_all() {
        size_t next = 0;
        return pump(now_ns() + seconds_ns(options_.setup_timeout), [&] {
            while (next < sessions_.size() && sessions_[next].step != Step::fresh) {
                ++next;
            }
            if (next == sessions_.size()) {
                return false;
            }
            start(next++);
            return true;
        });
    }

    // Deletes every ready allocation. Returns false on the deadline.
    bool delete_all() {
        size_t next = 0;
        return pump(now_ns() + seconds_ns(options_.setup_timeout), [&] {
            while (next < sessions_.size() && sessions_[next].step != Step::ready) {
                ++next;
            }
            if (next == sessions_.size()) {
                return false;
            }
            send_request(sessions_[next++], Step::remove);
            ++in_flight_;
            return true;
        });
    }

    size_t count(Step step) const {
        return static_cast<size_t>(
            std::count_if(sessions_.begin(), sessions_.end(),
                          [step](const Session& s) { return s.step == step; }));
    }

  private:
    static int64_t seconds_ns(double s) { return static_cast<int64_t>(s * 1e9); }

    // Runs the loop until nothing is in flight and admit() has nothing more to
    // start, or the deadline passes.
    template <typename Admit>
    bool pump(int64_t deadline, Admit&& admit) {
        std::array<epoll_event, 128> events{};
        int64_t next_timer = 0;
        bool exhausted = false;
        while (true) {
            now_ = now_ns();
            while (!exhausted && in_flight_ < options_.concurrency) {
                if (!admit()) {
                    exhausted = true;
                }
            }
            if (exhausted && in_flight_ == 0) {
                return true;
            }
            if (now_ >= deadline) {
                return false;
            }
            if (now_ >= next_timer) {
                check_timers();
                next_timer = now_ + 10'000'000;
            }
            int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 5);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                fail_errno("epoll_wait");
            }
            now_ = now_ns();
            for (int e = 0; e < n; ++e) {
                uint64_t tag = events[e].data.u64;
                size_t index = tag >> 1;
                if (index < sessions_.size()) {
                    receive(sessions_[index], (tag & 1) != 0);
                }
            }
        }
    }

    void start(size_t index) {
        Session& s = sessions_[index];
        open_sockets(options_, s, index, plan_ == Plan::relay);
        add_to_epoll(s.fd.get(), epoll_tag(index, false));
        if (plan_ == Plan::relay) {
            add_to_epoll(s.peer_fd.get(), epoll_tag(index, true));
        }
        s.challenge.reset();
        s.cycle_start_ns = now_;
        ++in_flight_;
        send_request(s, Step::allocate_unauth);
    }

    void add_to_epoll(int fd, uint64_t tag) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            fail_errno("epoll_ctl");
        }
    }

    void new_transaction(Session& s) {
        uint64_t a = rng_.next();
        uint64_t b = rng_.next();
        store64(s.transaction.data(), a);
        store32(s.transaction.data() + 8, static_cast<uint32_t>(b));
    }

    // Builds the request for `step` with a new transaction ID and sends it.
    void send_request(Session& s, Step step) {
        s.step = step;
        new_transaction(s);
        uint16_t method = step == Step::permission     ? method_create_permission
                          : step == Step::channel_bind ? method_channel_bind
                          : step == Step::remove       ? method_refresh
                                                       : method_allocate;
        Builder b(s.request, message_type(method, class_request), s.transaction);
        if (method == method_allocate) {
            add_allocate_attributes(b, options_);
        } else if (method == method_create_permission) {
            b.add_xor_address(attr_xor_peer_address, s.peer);
        } else if (method == method_channel_bind) {
            b.add_u32(attr_channel_number, uint32_t{s.channel} << 16);
            b.add_xor_address(attr_xor_peer_address, s.peer);
        } else {
            b.add_u32(attr_lifetime, 0);
        }
        if (step != Step::allocate_unauth) {
            s.challenge.sign(b, credentials_);
        }
        b.add_fingerprint();
        s.retry.start(now_, options_.rto_ms);
        ++counts_.transactions;
        transmit(s);
    }

    void transmit(Session& s) {
        // A refused send (a full buffer) is simply a lost request: the timer
        // retransmits it.
        (void)send(s.fd.get(), s.request.data(), s.request.size(), MSG_DONTWAIT);
    }

    void check_timers() {
        for (auto& s : sessions_) {
            if (in_flight(s.step)) {
                on_timer(
                    s.retry.check(now_, options_.max_tries), counts_, [&] { fail(s, 0); },
                    [&] { transmit(s); });
            }
        }
    }

    void receive(Session& s, bool peer) {
        std::array<uint8_t, 2048> buffer{};
        int fd = peer ? s.peer_fd.get() : s.fd.get();
        // Bounded, so one busy socket does not starve the others.
        for (int round = 0; round < 64 && fd >= 0; ++round) {
            ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n < 0) {
                return;  // EAGAIN, or an ICMP error: retransmission copes
            }
            if (peer) {
                continue;  // a late echo of the data phase: not control traffic
            }
            auto message = Message::parse({buffer.data(), static_cast<size_t>(n)});
            if (!message) {
                continue;  // ChannelData arriving late, or noise
            }
            unsigned cls = class_of(message->type());
            if (!in_flight(s.step) || (cls != class_success && cls != class_error) ||
                std::memcmp(message->transaction(), s.transaction.data(), 12) != 0) {
                ++counts_.stray;  // a retransmission's second answer, say
                continue;
            }
            if (cls == class_success) {
                on_success(s, *message);
            } else {
                on_error(s, *message);
            }
            fd = s.fd.get();  // a finished cycle closes its socket
        }
    }

    void on_success(Session& s, const Message& m) {
        switch (s.step) {
            case Step::allocate_unauth:
            case Step::allocate: {
                auto relayed = m.xor_address(attr_xor_relayed_address);
                if (!relayed || !is_loopback(*relayed)) {
                    // Never send to a relayed address off loopback.
                    fail(s, -1);
                    return;
                }
                s.relayed = *relayed;
                ++counts_.allocated;
                counts_.allocate_latency.add(now_ - s.cycle_start_ns);
                if (plan_ == Plan::relay) {
                    if (connect(s.peer_fd.get(), s.relayed.ptr(), s.relayed.length) != 0) {
                        fail_errno("connect peer socket to the relayed address");
                    }
                    send_request(s, Step::permission);
                } else {
                    finish(s, Step::ready);
                }
                return;
            }
            case Step::permission:
                send_request(s, Step::channel_bind);
                return;
            case Step::channel_bind:
                finish(s, Step::ready);
                return;
            case Step::remove:
                ++counts_.deleted;
                finish(s, Step::deleted);
                return;
            default:
                return;
        }
    }

    void on_error(Session& s, const Message& m) {
        int code = m.error_code();
        bool had_credentials = s.step != Step::allocate_unauth && !s.challenge.realm.empty();
        switch (s.challenge.take(code, m, had_credentials)) {
            case Challenge::Reply::send:
                send_request(s, s.step == Step::allocate_unauth ? Step::allocate : s.step);
                return;
            case Challenge::Reply::resend:
                ++counts_.stale_nonces;
                send_request(s, s.step);
                return;
            case Challenge::Reply::fail:
                fail(s, code);
                return;
            case Challenge::Reply::other:
                break;
        }
        if (code == 437 && s.step == Step::remove) {
            ++counts_.deleted;  // already gone: as good as deleted
            finish(s, Step::deleted);
            return;
        }
        fail(s, code);
    }

    void fail(Session& s, int code) {
        ++counts_.failed;
        ++counts_.errors[code];
        finish(s, Step::failed);
    }

    void finish(Session& s, Step step) {
        s.step = step;
        --in_flight_;
        if (step == Step::failed) {
            // A closed socket leaves the epoll set by itself.
            s.fd.reset();
            s.peer_fd.reset();
        }
    }

    const Options& options_;
    Plan plan_;
    std::vector<Session>& sessions_;
    Credentials& credentials_;
    SplitMix64 rng_;
    UniqueFd epoll_;
    ControlCounts counts_;
    unsigned in_flight_ = 0;
    int64_t now_ = 0;
};

// ---------------------------------------------------------------------------
// alloc-rate: allocation cycles from many client addresses over one socket
//
// Each cycle comes from a client address of its own in 127.0.0.0/8, never
// used twice in a run, so no server sees a 5-tuple again (a server may
// remember the 5-tuple of an allocation it just deleted: coturn answers 437).
// One wildcard socket carries every cycle: IP_PKTINFO picks each request's
// source address and tells each answer's destination. Requests and answers go
// in batches (sendmmsg/recvmmsg), as a server with many clients sees them, so
// the load generator's own system calls do not set the rate.

struct Cycle {
    uint32_t source = 0;  // client address, host order
    Step step = Step::fresh;
    Retransmission retry;
    Challenge challenge;
    int64_t start_ns = 0;
    std::array<uint8_t, 12> transaction{};
    std::vector<uint8_t> request;
};

// The n-th client address: 127.1.0.1 up, skipping .0 and .255 in the last
// byte; 254 * 256 * 254 of them before they wrap.
uint32_t cycle_source(uint64_t n) {
    auto x = static_cast<uint32_t>(1 + (n / (256 * 254)) % 254);
    auto y = static_cast<uint32_t>((n / 254) % 256);
    auto z = static_cast<uint32_t>(1 + n % 254);
    return (127u << 24) | (x << 16) | (y << 8) | z;
}

class CycleDriver {
  public:
    // Driver `index` of `count` runs its share of the cycles, from client
    // addresses no other driver uses.
    CycleDriver(const Options& options, uint64_t seed, unsigned index, unsigned count)
        : options_(options),
          credentials_(options.user, options.password),
          rng_(seed),
          fd_(udp_socket(AF_INET)),
          cycles_(options.concurrency / count + (index < options.concurrency % count ? 1 : 0)),
          next_source_(index),
          source_stride_(count),
          in_data_(batch) {
        if (options.server.family() != AF_INET) {
            throw std::invalid_argument(
                "alloc-rate needs an IPv4 --server: its clients' addresses come from 127.0.0.0/8");
        }
        // Wildcard, so answers to every 127.x.y.z client address arrive here;
        // answers to anything but a cycle's own address are dropped as stray.
        Endpoint any = Endpoint::from(AF_INET, std::array<uint8_t, 4>{0, 0, 0, 0}, 0);
        int on = 1;
        // DF set, path MTU ignored: the kernel then skips hashing a fresh IP
        // ID for every datagram of this unconnected socket.
        int probe = IP_PMTUDISC_PROBE;
        if (setsockopt(fd_.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) != 0 ||
            setsockopt(fd_.get(), IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof(probe)) != 0 ||
            bind(fd_.get(), any.ptr(), any.length) != 0) {
            fail_errno("alloc-rate socket");
        }
        set_buffers(fd_.get(), 4 << 20);
        for (size_t i = 0; i < batch; ++i) {
            in_iov_[i] = {in_data_[i].data(), in_data_[i].size()};
        }
        for (size_t i = 0; i < cycles_.size(); ++i) {
            idle_.push_back(cycles_.size() - 1 - i);
        }
    }

    const ControlCounts& counts() const { return counts_; }
    uint64_t allocated_in_window() const { return allocated_in_window_; }

    // Runs cycles until end_ns, then lets the ones in flight finish (up to the
    // setup timeout).
    void run(int64_t end_ns) {
        end_ns_ = end_ns;
        int64_t drain_deadline = end_ns + static_cast<int64_t>(options_.setup_timeout * 1e9);
        int64_t next_timer = 0;
        while (true) {
            now_ = now_ns();
            while (now_ < end_ns && !idle_.empty()) {
                size_t index = idle_.back();
                idle_.pop_back();
                start(index);
            }
            flush();
            if ((now_ >= end_ns && in_flight_ == 0) || now_ >= drain_deadline) {
                return;
            }
            if (now_ >= next_timer) {
                check_timers();
                flush();
                next_timer = now_ + 10'000'000;
            }
            pollfd wait{fd_.get(), POLLIN, 0};
            if (poll(&wait, 1, 5) < 0 && errno != EINTR) {
                fail_errno("poll");
            }
            now_ = now_ns();
            receive_all();
        }
    }

  private:
    static constexpr size_t batch = 64;
    static constexpr size_t control_bytes = CMSG_SPACE(sizeof(in_pktinfo));

    void start(size_t index) {
        Cycle& c = cycles_[index];
        c.source = cycle_source(next_source_);
        next_source_ += source_stride_;
        c.challenge.reset();
        c.start_ns = now_;
        ++in_flight_;
        send_request(index, Step::allocate_unauth);
    }

    void send_request(size_t index, Step step) {
        Cycle& c = cycles_[index];
        c.step = step;
        // The cycle's index leads the transaction ID, so an answer finds its
        // cycle without a search; the rest is random.
        store32(c.transaction.data(), static_cast<uint32_t>(index));
        store64(c.transaction.data() + 4, rng_.next());
        bool remove = step == Step::remove;
        Builder b(c.request, message_type(remove ? method_refresh : method_allocate, class_request),
                  c.transaction);
        if (remove) {
            b.add_u32(attr_lifetime, 0);
        } else {
            add_allocate_attributes(b, options_);
        }
        if (step != Step::allocate_unauth) {
            c.challenge.sign(b, credentials_);
        }
        b.add_fingerprint();
        c.retry.start(now_, options_.rto_ms);
        ++counts_.transactions;
        queue(index);
    }

    void queue(size_t index) {
        if (queued_ == batch) {
            flush();
        }
        Cycle& c = cycles_[index];
        out_iov_[queued_] = {c.request.data(), c.request.size()};
        out_names_[queued_] = options_.server;
        in_pktinfo info{};
        info.ipi_spec_dst.s_addr = htonl(c.source);
        msghdr& h = out_headers_[queued_].msg_hdr;
        h = msghdr{};
        h.msg_name = out_names_[queued_].ptr();
        h.msg_namelen = out_names_[queued_].length;
        h.msg_iov = &out_iov_[queued_];
        h.msg_iovlen = 1;
        h.msg_control = out_control_[queued_].data();
        h.msg_controllen = control_bytes;
        cmsghdr* cm = CMSG_FIRSTHDR(&h);
        cm->cmsg_level = IPPROTO_IP;
        cm->cmsg_type = IP_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(info));
        std::memcpy(CMSG_DATA(cm), &info, sizeof(info));
        ++queued_;
    }

    // A request the socket refuses (a full buffer) is simply lost: the timer
    // retransmits it.
    void flush() {
        size_t at = 0;
        while (at < queued_) {
            int sent = sendmmsg(fd_.get(), out_headers_.data() + at,
                                static_cast<unsigned>(queued_ - at), MSG_DONTWAIT);
            if (sent <= 0) {
                break;
            }
            at += static_cast<size_t>(sent);
        }
        queued_ = 0;
    }

    void receive_all() {
        // Bounded, so timers and admission still run under a flood.
        for (int round = 0; round < 16; ++round) {
            for (size_t i = 0; i < batch; ++i) {
                msghdr& h = in_headers_[i].msg_hdr;
                h = msghdr{};
                h.msg_iov = &in_iov_[i];
                h.msg_iovlen = 1;
                h.msg_control = in_control_[i].data();
                h.msg_controllen = in_control_[i].size();
            }
            int n = recvmmsg(fd_.get(), in_headers_.data(), batch, MSG_DONTWAIT, nullptr);
            if (n <= 0) {
                return;
            }
            for (int i = 0; i < n; ++i) {
                on_datagram({in_data_[i].data(), in_headers_[i].msg_len},
                            destination(in_headers_[i].msg_hdr));
            }
            if (static_cast<size_t>(n) < batch) {
                return;
            }
        }
    }

    static uint32_t destination(const msghdr& h) {
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr;
             c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                in_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof(info));
                return ntohl(info.ipi_addr.s_addr);
            }
        }
        return 0;
    }

    void on_datagram(std::span<const uint8_t> datagram, uint32_t to) {
        auto message = Message::parse(datagram);
        if (!message) {
            ++counts_.stray;
            return;
        }
        uint32_t index = load32(message->transaction());
        unsigned cls = class_of(message->type());
        if (index >= cycles_.size() || (cls != class_success && cls != class_error)) {
            ++counts_.stray;
            return;
        }
        Cycle& c = cycles_[index];
        if (!in_flight(c.step) || c.source != to ||
            std::memcmp(message->transaction(), c.transaction.data(), 12) != 0) {
            ++counts_.stray;  // a retransmission's second answer, say
            return;
        }
        if (cls == class_success) {
            on_success(index, *message);
        } else {
            on_error(index, *message);
        }
    }

    void on_success(size_t index, const Message& m) {
        Cycle& c = cycles_[index];
        if (c.step == Step::remove) {
            ++counts_.deleted;
            finish(index);
            return;
        }
        auto relayed = m.xor_address(attr_xor_relayed_address);
        if (!relayed || !is_loopback(*relayed)) {
            fail(index, -1);  // this program sends nothing off loopback
            return;
        }
        ++counts_.allocated;
        if (now_ < end_ns_) {
            ++allocated_in_window_;
        }
        counts_.allocate_latency.add(now_ - c.start_ns);
        send_request(index, Step::remove);
    }

    void on_error(size_t index, const Message& m) {
        Cycle& c = cycles_[index];
        int code = m.error_code();
        switch (c.challenge.take(code, m, c.step != Step::allocate_unauth)) {
            case Challenge::Reply::send:
                send_request(index, Step::allocate);
                return;
            case Challenge::Reply::resend:
                ++counts_.stale_nonces;
                send_request(index, c.step);
                return;
            case Challenge::Reply::fail:
                fail(index, code);
                return;
            case Challenge::Reply::other:
                break;
        }
        if (code == 437 && c.step == Step::remove) {
            ++counts_.deleted;  // already gone: as good as deleted
            finish(index);
            return;
        }
        fail(index, code);
    }

    void check_timers() {
        for (size_t i = 0; i < cycles_.size(); ++i) {
            if (in_flight(cycles_[i].step)) {
                on_timer(
                    cycles_[i].retry.check(now_, options_.max_tries), counts_, [&] { fail(i, 0); },
                    [&] { queue(i); });
            }
        }
    }

    void fail(size_t index, int code) {
        ++counts_.failed;
        ++counts_.errors[code];
        finish(index);
    }

    void finish(size_t index) {
        cycles_[index].step = Step::fresh;
        --in_flight_;
        idle_.push_back(index);
    }

    const Options& options_;
    Credentials credentials_;
    SplitMix64 rng_;
    UniqueFd fd_;
    std::vector<Cycle> cycles_;
    std::vector<size_t> idle_;
    ControlCounts counts_;
    uint64_t allocated_in_window_ = 0;
    uint64_t next_source_;
    uint64_t source_stride_;
    unsigned in_flight_ = 0;
    int64_t now_ = 0;
    int64_t end_ns_ = 0;

    size_t queued_ = 0;
    std::array<mmsghdr, batch> out_headers_{};
    std::array<iovec, batch> out_iov_{};
    std::array<Endpoint, batch> out_names_{};
    std::array<std::array<uint8_t, control_bytes>, batch> out_control_{};

    std::array<mmsghdr, batch> in_headers_{};
    std::array<iovec, batch> in_iov_{};
    std::vector<std::array<uint8_t, 2048>> in_data_;
    std::array<std::array<uint8_t, 64>, batch> in_control_{};
};

// ---------------------------------------------------------------------------
// Data plane (relay mode)

struct DataCounts {
    uint64_t scheduled = 0;      // packets due (open loop), or attempted (closed)
    uint64_t sent = 0;           // ChannelData the client socket took
    uint64_t peer_received = 0;  // relayed client -> peer
    uint64_t peer_received_in_window = 0;
    uint64_t echoed = 0;      // sent back by the peer
    uint64_t echo_drops = 0;  // the peer socket refused them
    uint64_t received = 0;    // relayed peer -> client, valid
    uint64_t received_in_window = 0;
    uint64_t data_indications = 0;  // valid, but as Data indications, not ChannelData
    uint64_t bad = 0;               // malformed, wrong channel, size or session
    uint64_t corrupt = 0;           // right frame, but payload bytes changed on the way
    uint64_t stray = 0;             // not ours, or late after their slot expired
    uint64_t timed_out = 0;         // closed loop: lost while the load ran
    uint64_t outstanding_at_end = 0;
    uint64_t send_errors = 0;
    uint64_t receive_errors = 0;

    DataCounts& operator+=(const DataCounts& o) {
        scheduled += o.scheduled;
        sent += o.sent;
        peer_received += o.peer_received;
        peer_received_in_window += o.peer_received_in_window;
        echoed += o.echoed;
        echo_drops += o.echo_drops;
        received += o.received;
        received_in_window += o.received_in_window;
        data_indications += o.data_indications;
        bad += o.bad;
        corrupt += o.corrupt;
        stray += o.stray;
        timed_out += o.timed_out;
        outstanding_at_end += o.outstanding_at_end;
        send_errors += o.send_errors;
        receive_errors += o.receive_errors;
        return *this;
    }
};

class DataWorker {
  public:
    DataWorker(const Options& options, std::vector<Session*> sessions, double rate)
        : options_(options),
          sessions_(std::move(sessions)),
          rate_per_ns_(rate / 1e9),
          epoll_(epoll_create1(EPOLL_CLOEXEC)),
          packet_bytes_(channel_header_bytes + options.size),
          slot_bytes_(options.size + 128),
          pattern_(options.size - payload_header_bytes),
          out_(size_t{options.batch} * packet_bytes_),
          out_iov_(options.batch),
          out_headers_(options.batch),
          in_(size_t{options.batch} * slot_bytes_),
          in_iov_(options.batch),
          in_headers_(options.batch),
          taken_(options.batch) {
        if (!epoll_) {
            fail_errno("epoll_create1");
        }
        for (size_t k = 0; k < pattern_.size(); ++k) {
            pattern_[k] = static_cast<uint8_t>(0xA5 ^ (k * 7));
        }
        for (unsigned i = 0; i < options.batch; ++i) {
            uint8_t* p = out_.data() + size_t{i} * packet_bytes_;
            std::memcpy(p + channel_header_bytes + payload_header_bytes, pattern_.data(),
                        pattern_.size());
            out_iov_[i] = {p, packet_bytes_};
            out_headers_[i].msg_hdr.msg_iov = &out_iov_[i];
            out_headers_[i].msg_hdr.msg_iovlen = 1;
            in_iov_[i] = {in_.data() + size_t{i} * slot_bytes_, slot_bytes_};
            in_headers_[i].msg_hdr.msg_iov = &in_iov_[i];
            in_headers_[i].msg_hdr.msg_iovlen = 1;
        }
        for (size_t i = 0; i < sessions_.size(); ++i) {
            Session& s = *sessions_[i];
            if (rate_per_ns_ == 0) {
                s.slots.assign(options.window, Slot{});
                s.free_slots.clear();
                for (unsigned k = options.window; k-- > 0;) {
                    s.free_slots.push_back(static_cast<uint16_t>(k));
                }
            }
            for (bool peer : {false, true}) {
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u64 = epoll_tag(i, peer);
                int fd = peer ? s.peer_fd.get() : s.fd.get();
                if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
                    fail_errno("epoll_ctl");
                }
            }
        }
    }

    void run(int64_t start_ns, int64_t end_ns) {
        start_ns_ = start_ns;
        end_ns_ = end_ns;
        now_ = now_ns();
        bool closed = rate_per_ns_ == 0;
        if (closed) {
            for (size_t i = 0; i < sessions_.size(); ++i) {
                fill(i);
            }
        }
        std::array<epoll_event, 128> events{};
        int64_t timeout_ns = int64_t{options_.timeout_ms} * 1'000'000;
        int64_t drain_end = end_ns + timeout_ns;
        int64_t next_expiry = now_ + expiry_interval_ns;
        while (true) {
            now_ = now_ns();
            if (now_ >= end_ns && (now_ >= drain_end || outstanding() == 0)) {
                break;
            }
            if (closed && now_ >= next_expiry) {
                expire(timeout_ns);
                next_expiry = now_ + expiry_interval_ns;
            }
            if (!closed && now_ < end_ns) {
                pace();
            }
            // Open loop wakes often enough to pace smoothly.
            timespec wait{0, closed ? 2'000'000 : 100'000};
            int n = epoll_pwait2(epoll_.get(), events.data(), static_cast<int>(events.size()),
                                 &wait, nullptr);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                fail_errno("epoll_pwait2");
            }
            now_ = now_ns();
            for (int e = 0; e < n; ++e) {
                uint64_t tag = events[e].data.u64;
                size_t i = tag >> 1;
                if ((tag & 1) != 0) {
                    echo(*sessions_[i]);
                } else {
                    receive(i);
                    if (closed) {
                        fill(i);
                    }
                }
            }
            if (closed && n == 0) {
                // Nothing arrived: a send may have been refused for lack of buffer.
                for (size_t i = 0; i < sessions_.size(); ++i) {
                    fill(i);
                }
            }
        }
        counts_.outstanding_at_end = outstanding();
    }

    const DataCounts& counts() const { return counts_; }
    const Histogram& rtt() const { return rtt_; }

  private:
    static constexpr int64_t expiry_interval_ns = 20'000'000;

    uint64_t outstanding() const {
        if (rate_per_ns_ == 0) {
            uint64_t total = 0;
            for (const Session* s : sessions_) {
                total += s->slots.size() - s->free_slots.size();
            }
            return total;
        }
        uint64_t back = counts_.received + counts_.echo_drops;
        return counts_.sent > back ? counts_.sent - back : 0;
    }

    void build(size_t index, uint32_t tag, uint8_t* p) {
        store16(p, sessions_[index]->channel);
        store16(p + 2, static_cast<uint16_t>(options_.size));
        store32(p + 4, static_cast<uint32_t>(index));
        store32(p + 8, tag);
        store64(p + 12, static_cast<uint64_t>(now_));
    }

    // Sends `count` (at most one batch) packets on a session; returns how many
    // the kernel took.
    unsigned send_batch(Session& s, unsigned count) {
        int n = sendmmsg(s.fd.get(), out_headers_.data(), count, MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            ++counts_.send_errors;
        }
        unsigned done = n > 0 ? static_cast<unsigned>(n) : 0;
        counts_.sent += done;
        return done;
    }

    // Closed loop: a new packet into every free window slot (none once time is up).
    void fill(size_t index) {
        Session& s = *sessions_[index];
        while (!s.free_slots.empty() && now_ < end_ns_) {
            unsigned count = std::min<unsigned>(options_.batch, s.free_slots.size());
            for (unsigned k = 0; k < count; ++k) {
                uint16_t slot = s.free_slots.back();
                s.free_slots.pop_back();
                taken_[k] = slot;
                Slot& sl = s.slots[slot];
                ++sl.generation;
                build(index, (uint32_t{sl.generation} << 16) | slot,
                      out_.data() + size_t{k} * packet_bytes_);
            }
            counts_.scheduled += count;
            unsigned done = send_batch(s, count);
            for (unsigned k = 0; k < done; ++k) {
                Slot& sl = s.slots[taken_[k]];
                sl.busy = true;
                sl.sent_ns = now_;
            }
            // What the kernel refused goes back to the free list for the next pass.
            for (unsigned k = count; k-- > done;) {
                s.free_slots.push_back(taken_[k]);
            }
            if (done < count) {
                return;
            }
        }
    }

    // Open loop: sends what is due by now, spread over the sessions in turn.
    void pace() {
        auto due_total = static_cast<uint64_t>(double(now_ - start_ns_) * rate_per_ns_);
        if (due_total <= counts_.scheduled) {
            return;
        }
        uint64_t due = due_total - counts_.scheduled;
        uint64_t share = std::max<uint64_t>(1, due / sessions_.size());
        for (size_t visited = 0; visited < sessions_.size() && due > 0; ++visited) {
            size_t index = next_session_;
            next_session_ = (next_session_ + 1) % sessions_.size();
            Session& s = *sessions_[index];
            auto count = static_cast<unsigned>(std::min<uint64_t>({share, due, options_.batch}));
            for (unsigned k = 0; k < count; ++k) {
                build(index, s.sequence++, out_.data() + size_t{k} * packet_bytes_);
            }
            // Packets the kernel refuses are not retried: the schedule goes on,
            // and they count as send_blocked.
            counts_.scheduled += count;
            due -= count;
            send_batch(s, count);
        }
    }

    int receive_batch(int fd) {
        for (unsigned i = 0; i < options_.batch; ++i) {
            in_iov_[i].iov_len = slot_bytes_;
            in_headers_[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(fd, in_headers_.data(), options_.batch, MSG_DONTWAIT, nullptr);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            ++counts_.receive_errors;  // e.g. ECONNREFUSED: an ICMP error came back
        }
        return n;
    }

    // The peer: whatever the relay delivers goes straight back to it.
    void echo(Session& s) {
        for (int round = 0; round < 4; ++round) {
            int n = receive_batch(s.peer_fd.get());
            if (n <= 0) {
                return;
            }
            counts_.peer_received += static_cast<unsigned>(n);
            if (now_ < end_ns_) {
                counts_.peer_received_in_window += static_cast<unsigned>(n);
            }
            for (int i = 0; i < n; ++i) {
                in_iov_[i].iov_len = in_headers_[i].msg_len;
            }
            int sent = sendmmsg(s.peer_fd.get(), in_headers_.data(), static_cast<unsigned>(n),
                                MSG_DONTWAIT);
            unsigned done = sent > 0 ? static_cast<unsigned>(sent) : 0;
            counts_.echoed += done;
            counts_.echo_drops += static_cast<unsigned>(n) - done;
            if (static_cast<unsigned>(n) < options_.batch) {
                return;
            }
        }
    }

    void receive(size_t index) {
        Session& s = *sessions_[index];
        for (int round = 0; round < 4; ++round) {
            int n = receive_batch(s.fd.get());
            if (n <= 0) {
                return;
            }
            for (int i = 0; i < n; ++i) {
                bool truncated = (in_headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
                arrived(index,
                        {in_.data() + size_t{static_cast<unsigned>(i)} * slot_bytes_,
                         in_headers_[i].msg_len},
                        truncated);
            }
            if (static_cast<unsigned>(n) < options_.batch) {
                return;
            }
        }
    }

    // A datagram from the relay on a client socket: ChannelData (or a Data
    // indication) carrying one of our payloads.
    void arrived(size_t index, std::span<const uint8_t> packet, bool truncated) {
        Session& s = *sessions_[index];
        std::span<const uint8_t> payload;
        if (packet.size() >= channel_header_bytes && (packet[0] & 0xC0) == 0x40) {
            size_t length = load16(packet.data() + 2);
            if (load16(packet.data()) != s.channel ||
                packet.size() < channel_header_bytes + length) {
                ++counts_.bad;
                return;
            }
            payload = packet.subspan(channel_header_bytes, length);
        } else if (auto m = Message::parse(packet); m && method_of(m->type()) == method_data &&
                                                    class_of(m->type()) == class_indication) {
            auto data = m->find(attr_data);
            if (!data) {
                ++counts_.bad;
                return;
            }
            payload = *data;
            ++counts_.data_indications;
        } else {
            ++counts_.stray;  // a late control answer, say
            return;
        }
        if (truncated || payload.size() != options_.size || load32(payload.data()) != index) {
            ++counts_.bad;
            return;
        }
        if (std::memcmp(payload.data() + payload_header_bytes, pattern_.data(), pattern_.size()) !=
            0) {
            ++counts_.corrupt;
            return;
        }
        uint32_t tag = load32(payload.data() + 4);
        auto sent_ns = static_cast<int64_t>(load64(payload.data() + 8));
        if (rate_per_ns_ == 0) {
            uint16_t slot = static_cast<uint16_t>(tag & 0xFFFF);
            if (slot >= s.slots.size() || !s.slots[slot].busy ||
                s.slots[slot].generation != (tag >> 16) || s.slots[slot].sent_ns != sent_ns) {
                ++counts_.stray;  // late: its slot already expired
                return;
            }
            s.slots[slot].busy = false;
            s.free_slots.push_back(slot);
        }
        ++counts_.received;
        if (now_ < end_ns_) {
            ++counts_.received_in_window;
        }
        rtt_.add(now_ - sent_ns);
    }

    // Closed loop: frees the slots of packets older than the timeout; lost.
    void expire(int64_t timeout_ns) {
        int64_t deadline = now_ - timeout_ns;
        for (Session* s : sessions_) {
            for (uint16_t i = 0; i < s->slots.size(); ++i) {
                if (s->slots[i].busy && s->slots[i].sent_ns < deadline) {
                    s->slots[i].busy = false;
                    s->free_slots.push_back(i);
                    ++counts_.timed_out;
                }
            }
        }
    }

    const Options& options_;
    std::vector<Session*> sessions_;
    double rate_per_ns_;
    UniqueFd epoll_;
    size_t packet_bytes_;
    size_t slot_bytes_;
    std::vector<uint8_t> pattern_;
    std::vector<uint8_t> out_;
    std::vector<iovec> out_iov_;
    std::vector<mmsghdr> out_headers_;
    std::vector<uint8_t> in_;
    std::vector<iovec> in_iov_;
    std::vector<mmsghdr> in_headers_;
    std::vector<uint16_t> taken_;
    DataCounts counts_;
    Histogram rtt_;
    int64_t start_ns_ = 0;
    int64_t end_ns_ = 0;
    int64_t now_ = 0;
    size_t next_session_ = 0;
};

// ---------------------------------------------------------------------------
// Modes

uint64_t random_seed() {
    std::random_device device;
    return (uint64_t{device()} << 32) ^ device();
}

std::string common_json(const Options& o, std::string_view mode) {
    return fmt::format("\"mode\":\"{}\",\"server\":\"{}\",\"user\":\"{}\"", mode, o.server_text,
                       o.user);
}

std::string control_json(const ControlCounts& c) {
    return fmt::format(
        "\"transactions\":{},\"retransmits\":{},\"control_timeouts\":{},\"stale_nonces\":{},"
        "\"control_stray\":{},\"failed\":{},\"errors\":{}",
        c.transactions, c.retransmits, c.timeouts, c.stale_nonces, c.stray, c.failed,
        c.errors_json());
}

void print_line(const std::string& json) {
    fmt::print("{{{}}}\n", json);
    std::fflush(stdout);
}

int no_allocation(const Options& o, std::string_view mode, const ControlCounts& c) {
    std::string reason =
        c.errors.empty()
            ? std::string("no answer")
            : fmt::format("error {}", c.errors.rbegin()->first == 0
                                          ? std::string("timeout")
                                          : fmt::format("{}", c.errors.rbegin()->first));
    print_line(fmt::format("{},\"error\":\"no allocation succeeded ({})\",{}", common_json(o, mode),
                           reason, control_json(c)));
    fmt::print(stderr, "turn_load: no allocation succeeded on {} ({})\n", o.server_text, reason);
    return 3;
}

// bare-relay: no TURN; each peer socket says hello to its relay port, so
// bench/bare_relay learns where to forward.
void setup_bare(const Options& o, std::vector<Session>& sessions) {
    for (size_t i = 0; i < sessions.size(); ++i) {
        Session& s = sessions[i];
        open_sockets(o, s, i, true);
        auto port = static_cast<uint16_t>(o.server.port() + 1 + i);
        s.relayed = Endpoint::from(o.server.family(), o.server.address(), port);
        if (connect(s.peer_fd.get(), s.relayed.ptr(), s.relayed.length) != 0 ||
            send(s.peer_fd.get(), "hello", 5, 0) != 5) {
            fail_errno(fmt::format("hello to relay port {}", port));
        }
        s.step = Step::ready;
    }
    // The hellos' forwarding has nowhere to go yet (no client is known): they
    // are dropped. Give the server a moment to read them.
    timespec pause{0, 100'000'000};
    nanosleep(&pause, nullptr);
}

int run_relay(const Options& o) {
    bool bare = o.mode == Mode::bare_relay;
    Credentials credentials(o.user, o.password);
    std::vector<Session> sessions(o.allocations);
    Control control(o, Plan::relay, sessions, credentials, random_seed());
    int64_t setup_start = now_ns();
    if (bare) {
        setup_bare(o, sessions);
    } else {
        control.setup_all();
    }
    double setup_s = double(now_ns() - setup_start) / 1e9;
    std::vector<std::vector<Session*>> shares(o.threads);
    size_t ready = 0;
    for (auto& s : sessions) {
        if (s.step == Step::ready) {
            shares[ready++ % o.threads].push_back(&s);
        }
    }
    if (ready == 0) {
        return no_allocation(o, "relay", control.counts());
    }
    std::vector<std::unique_ptr<DataWorker>> workers;
    for (auto& share : shares) {
        if (!share.empty()) {
            double rate = o.rate * double(share.size()) / double(ready);
            workers.push_back(std::make_unique<DataWorker>(o, std::move(share), rate));
        }
    }

    double client_cpu_before = process_cpu_seconds();
    auto server_cpu_before = server_cpu_seconds(o.server_pid);
    int64_t start = now_ns();
    int64_t end = start + static_cast<int64_t>(o.seconds * 1e9);
    run_all(workers, [start, end](auto& w) { w->run(start, end); });
    double wall = double(now_ns() - start) / 1e9;
    auto server_cpu_after = server_cpu_seconds(o.server_pid);
    double client_cpu = process_cpu_seconds() - client_cpu_before;

    DataCounts d;
    Histogram rtt;
    for (const auto& w : workers) {
        d += w->counts();
        rtt.merge(w->rtt());
    }
    if (!bare) {
        control.delete_all();
    }

    std::optional<double> server_cpu;
    if (server_cpu_before && server_cpu_after) {
        server_cpu = *server_cpu_after - *server_cpu_before;
    }
    uint64_t relayed = d.peer_received + d.received;
    uint64_t relayed_in_window = d.peer_received_in_window + d.received_in_window;
    uint64_t lost = d.sent > d.received ? d.sent - d.received : 0;
    std::optional<double> us_per_packet;
    if (server_cpu && relayed > 0) {
        us_per_packet = *server_cpu * 1e6 / double(relayed);
    }
    print_line(fmt::format(
        "{},\"allocations\":{},\"ready\":{},\"size\":{},\"seconds\":{},\"rate_target\":{},"
        "\"window\":{},\"batch\":{},\"threads\":{},\"setup_s\":{:.3f},\"wall_s\":{:.3f},"
        "\"scheduled\":{},\"sent\":{},\"send_blocked\":{},\"peer_received\":{},\"echoed\":{},"
        "\"echo_drops\":{},\"received\":{},\"data_indications\":{},\"bad\":{},\"corrupt\":{},"
        "\"stray\":{},"
        "\"timed_out\":{},\"outstanding_at_end\":{},\"send_errors\":{},\"receive_errors\":{},"
        "\"lost\":{},\"loss_pct\":{:.4f},\"lost_outbound\":{},\"lost_return\":{},"
        "\"relayed\":{},\"relayed_in_window\":{},\"relayed_pps\":{:.1f},\"round_trips_per_s\":{:."
        "1f},"
        "\"rtt_p50_us\":{},\"rtt_p99_us\":{},\"rtt_max_us\":{},\"client_cpu_s\":{:.3f},"
        "\"server_cpu_s\":{},\"server_us_per_relayed\":{},\"deleted\":{},{}",
        common_json(o, bare ? "bare-relay" : "relay"), o.allocations, ready, o.size, o.seconds,
        o.rate, o.window, o.batch, workers.size(), setup_s, wall, d.scheduled, d.sent,
        d.scheduled - d.sent, d.peer_received, d.echoed, d.echo_drops, d.received,
        d.data_indications, d.bad, d.corrupt, d.stray, d.timed_out, d.outstanding_at_end,
        d.send_errors, d.receive_errors, lost, d.sent ? 100.0 * double(lost) / double(d.sent) : 0.0,
        d.sent > d.peer_received ? d.sent - d.peer_received : 0,
        d.echoed > d.received ? d.echoed - d.received : 0, relayed, relayed_in_window,
        double(relayed_in_window) / o.seconds, double(d.received_in_window) / o.seconds,
        json_number(rtt.quantile_us(0.5), 1), json_number(rtt.quantile_us(0.99), 1),
        json_number(rtt.max_us(), 1), client_cpu, json_number(server_cpu, 3),
        json_number(us_per_packet, 3), control.counts().deleted, control_json(control.counts())));
    return 0;
}

int run_alloc_rate(const Options& o) {
    std::vector<std::unique_ptr<CycleDriver>> drivers;
    uint64_t seed = random_seed();
    for (unsigned t = 0; t < o.threads; ++t) {
        drivers.push_back(std::make_unique<CycleDriver>(o, seed + t, t, o.threads));
    }
    double client_cpu_before = process_cpu_seconds();
    auto server_cpu_before = server_cpu_seconds(o.server_pid);
    int64_t start = now_ns();
    int64_t end = start + static_cast<int64_t>(o.seconds * 1e9);
    run_all(drivers, [end](auto& d) { d->run(end); });
    double wall = double(now_ns() - start) / 1e9;
    auto server_cpu_after = server_cpu_seconds(o.server_pid);
    double client_cpu = process_cpu_seconds() - client_cpu_before;
    ControlCounts c;
    uint64_t allocated_in_window = 0;
    for (const auto& d : drivers) {
        c += d->counts();
        allocated_in_window += d->allocated_in_window();
    }
    if (c.allocated == 0) {
        return no_allocation(o, "alloc-rate", c);
    }
    std::optional<double> server_cpu;
    std::optional<double> us_per_allocation;
    if (server_cpu_before && server_cpu_after) {
        server_cpu = *server_cpu_after - *server_cpu_before;
        us_per_allocation = *server_cpu * 1e6 / double(c.allocated);
    }
    print_line(fmt::format(
        "{},\"concurrency\":{},\"threads\":{},\"seconds\":{},\"wall_s\":{:.3f},\"allocated\":{},"
        "\"allocated_in_window\":{},\"deleted\":{},\"allocations_per_s\":{:.1f},"
        "\"allocate_p50_us\":{},\"allocate_p99_us\":{},\"client_cpu_s\":{:.3f},"
        "\"client_us_per_allocation\":{:.3f},\"server_cpu_s\":{},"
        "\"server_us_per_allocation\":{},{}",
        common_json(o, "alloc-rate"), o.concurrency, o.threads, o.seconds, wall, c.allocated,
        allocated_in_window, c.deleted, double(allocated_in_window) / o.seconds,
        json_number(c.allocate_latency.quantile_us(0.5), 1),
        json_number(c.allocate_latency.quantile_us(0.99), 1), client_cpu,
        client_cpu * 1e6 / double(c.allocated), json_number(server_cpu, 3),
        json_number(us_per_allocation, 3), control_json(c)));
    return 0;
}

int run_idle(const Options& o) {
    Credentials credentials(o.user, o.password);
    std::vector<Session> sessions(o.allocations);
    Control control(o, Plan::hold, sessions, credentials, random_seed());
    auto rss_before = server_rss_kib(o.server_pid);
    auto server_cpu_before = server_cpu_seconds(o.server_pid);
    int64_t start = now_ns();
    control.setup_all();
    double setup_s = double(now_ns() - start) / 1e9;
    auto server_cpu_after = server_cpu_seconds(o.server_pid);
    size_t held = control.count(Step::ready);
    if (held == 0) {
        return no_allocation(o, "idle", control.counts());
    }
    auto rss_ready = server_rss_kib(o.server_pid);
    auto as_double = [](std::optional<long> v) {
        return v ? std::optional<double>(double(*v)) : std::nullopt;
    };
    print_line(
        fmt::format("\"phase\":\"ready\",{},\"allocations\":{},\"held\":{},\"setup_s\":{:.3f}",
                    common_json(o, "idle"), o.allocations, held, setup_s));
    // The runner reads the server's memory now, then writes a line (or closes stdin).
    std::string line;
    std::getline(std::cin, line);

    int64_t delete_start = now_ns();
    control.delete_all();
    double delete_s = double(now_ns() - delete_start) / 1e9;
    auto rss_after = server_rss_kib(o.server_pid);
    std::optional<double> rss_per_10k;
    if (rss_before && rss_ready) {
        rss_per_10k = double(*rss_ready - *rss_before) * 10000.0 / double(held);
    }
    std::optional<double> server_cpu;
    if (server_cpu_before && server_cpu_after) {
        server_cpu = *server_cpu_after - *server_cpu_before;
    }
    print_line(fmt::format(
        "\"phase\":\"done\",{},\"allocations\":{},\"held\":{},\"setup_s\":{:.3f},"
        "\"allocations_per_s\":{:.1f},\"delete_s\":{:.3f},\"deleted\":{},"
        "\"server_cpu_setup_s\":{},\"server_rss_kib_before\":{},\"server_rss_kib_ready\":{},"
        "\"server_rss_kib_after\":{},\"server_rss_kib_per_10k\":{},{}",
        common_json(o, "idle"), o.allocations, held, setup_s, double(held) / setup_s, delete_s,
        control.counts().deleted, json_number(server_cpu, 3), json_number(as_double(rss_before), 0),
        json_number(as_double(rss_ready), 0), json_number(as_double(rss_after), 0),
        json_number(rss_per_10k, 0), control_json(control.counts())));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        Options options = parse_options(argc, argv);
        raise_fd_limit();
        switch (options.mode) {
            case Mode::relay:
            case Mode::bare_relay:
                return run_relay(options);
            case Mode::alloc_rate:
                return run_alloc_rate(options);
            case Mode::idle:
                return run_idle(options);
        }
        return 2;
    } catch (const std::invalid_argument& e) {
        fmt::print(stderr, "turn_load: {}\n{}", e.what(), usage);
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "turn_load: {}\n", e.what());
        return 1;
    }
}
