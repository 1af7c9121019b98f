#pragma once

#include <optional>
#include <random>

#include "common/address.hpp"
#include "common/unique_fd.hpp"

namespace turnpike::relay {

// Both throw std::system_error naming the address. Every worker opens its own
// socket on each address (SO_REUSEPORT), so the kernel spreads clients over
// workers with no shared queue.
UniqueFd open_udp_socket(const SocketAddress& address);
UniqueFd open_tcp_listener(const SocketAddress& address);

// IPv4 only (a no-op on IPv6, which has no ID to choose per datagram):
// IP_PMTUDISC_DO, so DF on every datagram. The default mode sets DF too
// whenever a datagram fits the path, but then draws its IP ID from the
// kernel's shared generator, a hash and a contended atomic per send (3.8% of
// the server's samples in a profile of bench/relay alloc-1core); with DF
// forced the ID may be anything (RFC 6864) and the kernel leaves it 0. A
// datagram above the path MTU then fails with EMSGSIZE, and the Outbox sends
// it again fragmented, as the default mode would have (Outbox::add,
// may_fragment).
// Never throws.
void set_df_for_speed(int fd, const SocketAddress& bound);

// Throws std::system_error (EADDRINUSE) naming the address and transport when
// another process already listens on `address`. SO_REUSEPORT lets any process
// of the same user bind a port a reuseport socket holds, so a second daemon
// (or a stale one) would silently take a share of the clients; the workers'
// sockets cannot tell, so this checks first with sockets that do not share.
void check_listen_address_free(const SocketAddress& address);
// The same for a TLS address, which is TCP only.
void check_tls_address_free(const SocketAddress& address);

// A relay socket bound to a random free port of [min, max] on `ip`; with
// `even`, an even port, and with `reserve_next` the port above it bound too.
struct RelayPorts {
    UniqueFd socket;
    SocketAddress bound;
    UniqueFd next;  // the reserved port+1, when asked for
};
std::optional<RelayPorts> open_relay_socket(const SocketAddress& ip, uint16_t min, uint16_t max,
                                            bool even, bool reserve_next, std::mt19937_64& random);

// Whether this kernel has IPv6 at all; a wildcard [::] listener is skipped
// with a warning where it has not.
bool ipv6_available();
// Whether the relay listens on `address` here: all but a wildcard [::] on a
// kernel without IPv6.
bool listenable(const SocketAddress& address);

// Whether this kernel segments UDP sends (UDP_SEGMENT, Linux 4.18).
bool udp_segmentation_available();

}  // namespace turnpike::relay
