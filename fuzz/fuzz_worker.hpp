#pragma once
// What turn_fuzz and tcp_fuzz share: one relay worker whose thread is never
// started (as in tests/unit/turn_server_test.cpp), built fresh for every
// input, and the record format both read their input as.
//
// An input is a run of records: [flags] [length: 2 bytes] [length bytes].
//   flags & 0x03  which client sends it (127.0.0.1:5550 + n); tcp_fuzz has one
//   flags & 0x04  sign it: the bytes are a message type (2 bytes), then
//                 attributes; the header, USERNAME, REALM, NONCE,
//                 MESSAGE-INTEGRITY and FINGERPRINT are added the way a
//                 client adds them after its first 401
//   flags & 0x08  sign as a TURN REST user instead of the static one
//   flags & 0x10  reuse the previous transaction ID (a retransmission)
//   flags & 0x20  turn_fuzz: a datagram from a peer (127.0.0.1) to the
//                 relayed address of the sending client's allocation;
//                 tcp_fuzz: hold the bytes back until the next record, so
//                 frames arrive split and joined
//   flags & 0x40  no datagram: the worker's once-a-second housekeeping runs
//                 as if (first byte x 8) seconds had passed, so permissions,
//                 channels, allocations, reservations and idle streams expire
// Unsigned records are sent as they are.

#include <sys/socket.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/credentials.hpp"
#include "common/unique_fd.hpp"
#include "relay/client_link.hpp"
#include "relay/fingerprint.hpp"
#include "relay/message_integrity.hpp"
#include "relay/turn_settings.hpp"
#include "relay/turn_state.hpp"
#include "relay/worker.hpp"

namespace turnpike::fuzz {

using relay::ClientLink;

inline constexpr std::string_view realm = "fuzz.example";
inline constexpr std::string_view rest_secret = "fuzz-secret";
inline constexpr size_t max_records = 64;

inline const Config& config() {
    static const Config parsed = parse_config(
        std::string("[server]\nrealm = ") + std::string(realm) +
            "\n[relay]\nallow-loopback-peers = true\nmin-port = 46500\nmax-port = 46599\n"
            // Relayed traffic may go to 127.0.0.0/8 only: every other IPv4
            // address, public ones included, is denied. No IPv6 peer is
            // reachable either: with no relay-ip, every relayed address is
            // 127.0.0.1 (the client's local address), and a peer of the other
            // family is refused 443.
            "denied-peer-ip = 0.0.0.0/2, 64.0.0.0/3, 96.0.0.0/4, 112.0.0.0/5, 120.0.0.0/6, "
            "124.0.0.0/7, 126.0.0.0/8, 128.0.0.0/1\n"
            "[auth]\nusers = alice:alice-pw\nstatic-auth-secret = " +
            std::string(rest_secret) +
            "\n[quotas]\nuser-quota = 4\ntotal-quota = 8\nmax-permissions = 4\n"
            "max-channels = 4\n",
        "fuzz");
    return parsed;
}

struct Record {
    uint8_t flags;
    std::span<const uint8_t> body;
};

// The next record of `input`, which it then no longer holds.
inline std::optional<Record> next_record(std::span<const uint8_t>& input) {
    if (input.size() < 3) {
        return std::nullopt;
    }
    const size_t length = std::min<size_t>((size_t{input[1]} << 8) | input[2], input.size() - 3);
    Record record{input[0], input.subspan(3, length)};
    input = input.subspan(3 + length);
    return record;
}

// A UDP socket on 127.0.0.1, port chosen by the kernel.
inline UniqueFd loopback_udp_socket() {
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const SocketAddress any = *SocketAddress::parse("127.0.0.1:0");
    if (!fd || ::bind(fd.get(), any.sockaddr_ptr(), any.length()) != 0) {
        std::abort();
    }
    return fd;
}

// A worker and the state it shares, listening on nothing. What it answers
// or relays to a client leaves through `client_socket` for 127.0.0.1.
struct FuzzWorker {
    UniqueFd client_socket = loopback_udp_socket();
    relay::RelayShared shared{config().auth.nonce_lifetime};
    relay::Worker worker{0, without_listeners(config().relay), shared,
                         relay::TurnSettings::from(config()), nullptr};

    static RelaySettings without_listeners(RelaySettings settings) {
        settings.listen.clear();
        return settings;
    }

    // A housekeeping record (flag 0x40), run and its state checked:
    // returns whether `record` was one.
    bool housekeeping(const Record& record) {
        if ((record.flags & 0x40) == 0) {
            return false;
        }
        const int seconds = record.body.empty() ? 0 : record.body[0] * 8;
        worker.housekeeping(relay::Clock::now() + std::chrono::seconds(seconds));
        check_state();
        return true;
    }

    // Aborts when the quota ledger counts allocations the worker does not
    // hold, or the other way round: state lost on some path.
    void check_state() {
        if (shared.ledger.total() != worker.turn().allocations.size()) {
            std::abort();
        }
    }
};

inline ClientLink client(unsigned n, int udp_fd = -1) {
    ClientLink link;
    link.client = *SocketAddress::parse("127.0.0.1:" + std::to_string(5550 + n));
    link.local = *SocketAddress::parse("127.0.0.1:3478");
    link.udp_fd = udp_fd;
    link.tcp = nullptr;
    return link;
}

namespace detail {

inline void put16(std::vector<uint8_t>& out, size_t at, size_t value) {
    out[at] = static_cast<uint8_t>(value >> 8);
    out[at + 1] = static_cast<uint8_t>(value);
}

inline void add_attribute(std::vector<uint8_t>& out, uint16_t type, std::string_view value) {
    size_t at = out.size();
    out.resize(at + 4 + ((value.size() + 3) & ~size_t{3}), 0);
    put16(out, at, type);
    put16(out, at + 2, value.size());
    std::memcpy(out.data() + at + 4, value.data(), value.size());
}

}  // namespace detail

// A request as a client that holds its nonce would send it. Its attributes
// are the record's bytes, cut to max_body.
inline constexpr size_t max_body = 2048;

inline std::vector<uint8_t> signed_request(std::span<const uint8_t> body, bool rest,
                                           std::span<const uint8_t, 12> transaction,
                                           const relay::RelayShared& shared,
                                           const ClientLink& link) {
    using namespace std::chrono_literals;
    std::array<uint8_t, 20> header{};
    if (body.size() >= 2) {
        header[0] = body[0] & 0x3F;  // a STUN type has its top two bits clear
        header[1] = body[1];
        body = body.subspan(2);
    }
    body = body.first(std::min(body.size(), max_body));
    const std::array<uint8_t, 4> cookie = {0x21, 0x12, 0xA4, 0x42};
    std::copy(cookie.begin(), cookie.end(), header.begin() + 4);
    std::copy(transaction.begin(), transaction.end(), header.begin() + 8);

    std::vector<uint8_t> out(header.begin(), header.end());
    out.reserve(header.size() + max_body + 512);
    for (uint8_t b : body) {
        out.push_back(b);
    }
    out.resize((out.size() + 3) & ~size_t{3}, 0);

    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    const RestCredential credential = mint_rest_credential(rest_secret, "fuzz", 3600s, now);
    const std::string user = rest ? credential.username : "alice";
    const std::string password = rest ? credential.password : "alice-pw";
    detail::add_attribute(out, 0x0006, user);
    detail::add_attribute(out, 0x0014, realm);
    detail::add_attribute(out, 0x0015, shared.nonces.issue(now, IpAddress(link.client)).view());

    const HmacSha1 key(long_term_key(user, realm, password));
    size_t length = out.size();
    detail::put16(out, 2, length - 20);
    out.resize(length + 24 + 8);
    length = relay::append_message_integrity(out, length, key);
    length = relay::append_fingerprint(out, length);
    out.resize(length);
    return out;
}

// The bytes a record stands for, signed or as they are; `transaction` is
// the ID of the last signed request, kept for a retransmission.
inline std::vector<uint8_t> packet_of(const Record& record, size_t index,
                                      std::array<uint8_t, 12>& transaction,
                                      const relay::RelayShared& shared, const ClientLink& link) {
    if ((record.flags & 0x04) == 0) {
        return std::vector<uint8_t>(record.body.begin(), record.body.end());
    }
    if ((record.flags & 0x10) == 0) {
        transaction[0] = static_cast<uint8_t>(index);
        transaction[11] = record.flags;
    }
    return signed_request(record.body, (record.flags & 0x08) != 0, transaction, shared, link);
}

}  // namespace turnpike::fuzz
