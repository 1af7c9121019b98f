#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#include "common/address.hpp"

namespace turnpike::relay {

class TcpConnection;

// How to reach a client: the 5-tuple of RFC 8656 (client address, our
// address, protocol) plus the socket that carries it.
struct ClientLink {
    SocketAddress client;
    SocketAddress local;  // where the client sent to: the server side of the 5-tuple
    int udp_fd = -1;      // the worker's listening UDP socket, or -1 over TCP
    TcpConnection* tcp = nullptr;
    bool answer_from_local = false;  // a wildcard socket: set the source with IP_PKTINFO

    bool is_udp() const { return tcp == nullptr; }
};

struct FiveTuple {
    SocketAddress client;
    SocketAddress local;
    bool udp = true;

    static FiveTuple of(const ClientLink& link) { return {link.client, link.local, link.is_udp()}; }
    friend bool operator==(const FiveTuple& a, const FiveTuple& b) {
        return a.udp == b.udp && a.client == b.client && a.local == b.local;
    }
};

struct FiveTupleHash {
    size_t operator()(const FiveTuple& t) const noexcept {
        // FNV-1a over the bytes that identify the tuple.
        uint64_t h = 1469598103934665603ull;
        auto mix = [&h](const void* data, size_t n) {
            const auto* p = static_cast<const uint8_t*>(data);
            for (size_t i = 0; i < n; ++i) {
                h = (h ^ p[i]) * 1099511628211ull;
            }
        };
        auto mix_address = [&](const SocketAddress& a) {
            uint16_t port = a.port();
            mix(&port, sizeof(port));
            if (a.is_v4()) {
                mix(&a.v4().sin_addr, sizeof(in_addr));
            } else if (a.is_v6()) {
                mix(&a.v6().sin6_addr, sizeof(in6_addr));
            }
        };
        mix_address(t.client);
        mix_address(t.local);
        mix(&t.udp, sizeof(t.udp));
        return static_cast<size_t>(h);
    }
};

}  // namespace turnpike::relay
