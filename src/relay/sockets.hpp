#pragma once

#include "common/address.hpp"
#include "common/unique_fd.hpp"

namespace turnpike::relay {

// Both throw std::system_error naming the address. Every worker opens its own
// socket on each address (SO_REUSEPORT), so the kernel spreads clients over
// workers with no shared queue.
UniqueFd open_udp_socket(const SocketAddress& address);
UniqueFd open_tcp_listener(const SocketAddress& address);

// Whether this kernel has IPv6 at all; a wildcard [::] listener is skipped
// with a warning where it has not.
bool ipv6_available();

}  // namespace turnpike::relay
