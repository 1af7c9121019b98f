#include "relay/sockets.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

namespace turnpike::relay {

namespace {

[[noreturn]] void fail(const char* what, const SocketAddress& address) {
    int error = errno;  // before fmt::format, which may allocate
    throw std::system_error(error, std::generic_category(),
                            fmt::format("{} {}", what, address.to_string()));
}

void set_option(int fd, int level, int name, int value, const SocketAddress& address) {
    if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
        fail("setsockopt on", address);
    }
}

UniqueFd open_bound(const SocketAddress& address, int type) {
    UniqueFd fd(socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        fail("socket for", address);
    }
    set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, address);
    set_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1, address);
    if (address.is_v6()) {
        // [::] must not swallow IPv4: 0.0.0.0 has its own socket.
        set_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, address);
    }
    if (bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) {
        fail("bind", address);
    }
    return fd;
}

}  // namespace

void set_df_for_speed(int fd, const SocketAddress& bound) {
    if (bound.is_v4()) {
        // Where it fails the socket keeps the default mode: slower, as correct.
        int mode = IP_PMTUDISC_DO;
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof(mode));
    }
}

UniqueFd open_udp_socket(const SocketAddress& address) {
    UniqueFd fd = open_bound(address, SOCK_DGRAM);
    if (address.is_unspecified()) {
        // On a wildcard socket we must answer from the address the client
        // used, or a multi-homed host replies from the wrong one.
        if (address.is_v4()) {
            set_option(fd.get(), IPPROTO_IP, IP_PKTINFO, 1, address);
        } else {
            set_option(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, address);
        }
    }
    set_df_for_speed(fd.get(), address);
    // Deep buffers ride out bursts while a worker is busy with a batch.
    int size = 4 << 20;
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    return fd;
}

UniqueFd open_tcp_listener(const SocketAddress& address) {
    UniqueFd fd = open_bound(address, SOCK_STREAM);
    // No Nagle: relayed media must not wait for the client's (delayed) ACK
    // of the last segment. A connection already sends each batch of relayed
    // datagrams in one write (TcpConnection::cork). Accepted streams inherit it.
    set_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1, address);
    if (listen(fd.get(), 1024) != 0) {
        fail("listen on", address);
    }
    return fd;
}

namespace {

// A bind that shares with no one: UDP without SO_REUSEADDR (on UDP it lets
// sockets share a port as SO_REUSEPORT does), TCP with it (so connections of
// an earlier run still in TIME_WAIT do not count) but without SO_REUSEPORT.
void probe_bind(const SocketAddress& address, int type) {
    UniqueFd fd(socket(address.family(), type | SOCK_CLOEXEC, 0));
    if (!fd) {
        fail("socket for", address);
    }
    if (type == SOCK_STREAM) {
        set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, address);
    }
    if (address.is_v6()) {
        set_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, address);
    }
    if (bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) {
        int error = errno;  // before fmt::format, which may allocate
        const char* transport = type == SOCK_STREAM ? "TCP" : "UDP";
        throw std::system_error(
            error, std::generic_category(),
            error == EADDRINUSE
                ? fmt::format("{} {} is taken (another turnpike or TURN server running?)",
                              transport, address.to_string())
                : fmt::format("bind {} {}", transport, address.to_string()));
    }
}

}  // namespace

void check_listen_address_free(const SocketAddress& address) {
    probe_bind(address, SOCK_DGRAM);
    probe_bind(address, SOCK_STREAM);
}

void check_tls_address_free(const SocketAddress& address) {
    probe_bind(address, SOCK_STREAM);
}

namespace {

// A relay socket's receive queue must hold what its peers send while the
// worker is busy elsewhere: at the default 208 KB, a burst of about 250
// small datagrams (a video keyframe's worth) overflows it when the worker is
// kept off the CPU for a moment. The buffer is a limit, not memory taken: a
// socket holds only what is queued, and the kernel caps the request at
// net.core.rmem_max.
constexpr int relay_receive_buffer = 1 << 20;

UniqueFd bind_udp(const SocketAddress& address) {
    UniqueFd fd(socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd || bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) {
        return {};
    }
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &relay_receive_buffer,
               sizeof(relay_receive_buffer));
    return fd;
}

}  // namespace

std::optional<RelayPorts> open_relay_socket(const SocketAddress& ip, uint16_t min, uint16_t max,
                                            bool even, bool reserve_next, std::mt19937_64& random) {
    // Random ports, so a relayed address says nothing about its neighbours;
    // a bounded number of tries, so a full range fails fast with 508.
    std::uniform_int_distribution<unsigned> pick(min, max);
    for (int attempt = 0; attempt < 64; ++attempt) {
        unsigned port = pick(random);
        if (even && (port % 2) != 0) {
            port = port == max ? port - 1 : port + 1;
        }
        if (port < min || port > max || (reserve_next && port + 1 > max)) {
            continue;
        }
        SocketAddress address = ip;
        address.set_port(static_cast<uint16_t>(port));
        UniqueFd fd = bind_udp(address);
        if (!fd) {
            continue;
        }
        UniqueFd next;
        if (reserve_next) {
            SocketAddress above = ip;
            above.set_port(static_cast<uint16_t>(port + 1));
            next = bind_udp(above);
            if (!next) {
                continue;
            }
        }
        return RelayPorts{std::move(fd), address, std::move(next)};
    }
    return std::nullopt;
}

bool ipv6_available() {
    UniqueFd fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    return static_cast<bool>(fd);
}

bool listenable(const SocketAddress& address) {
    return !(address.is_v6() && address.is_unspecified()) || ipv6_available();
}

bool udp_segmentation_available() {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    int segment = 0;
    socklen_t length = sizeof(segment);
    return fd && getsockopt(fd.get(), SOL_UDP, UDP_SEGMENT, &segment, &length) == 0;
}

}  // namespace turnpike::relay
