#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace turnpike {

// An IPv4 or IPv6 address with a port, stored as the kernel wants it so the
// data plane can pass it to sendmmsg without conversion.
class SocketAddress {
  public:
    SocketAddress() = default;
    SocketAddress(const sockaddr* sa, socklen_t len);

    // "1.2.3.4:3478", "[2001:db8::1]:3478"; the port is required.
    static std::optional<SocketAddress> parse(std::string_view text);
    // A bare address ("1.2.3.4", "::1") with the given port.
    static std::optional<SocketAddress> parse_ip(std::string_view text, uint16_t port = 0);

    int family() const { return storage_.ss_family; }
    bool is_v4() const { return family() == AF_INET; }
    bool is_v6() const { return family() == AF_INET6; }
    bool is_unspecified() const;  // 0.0.0.0 or ::
    // Inline, as the allocation table's hash and equality read them for
    // every packet.
    uint16_t port() const {
        if (is_v4()) {
            return ntohs(v4().sin_port);
        }
        return is_v6() ? ntohs(v6().sin6_port) : 0;
    }
    void set_port(uint16_t port);

    const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* sockaddr_ptr() { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t length() const {
        if (is_v4()) {
            return sizeof(sockaddr_in);
        }
        return is_v6() ? sizeof(sockaddr_in6) : 0;
    }
    const sockaddr_in& v4() const { return *reinterpret_cast<const sockaddr_in*>(&storage_); }
    const sockaddr_in6& v6() const { return *reinterpret_cast<const sockaddr_in6*>(&storage_); }

    std::string ip_string() const;
    std::string to_string() const;  // with port, IPv6 in brackets

    friend bool operator==(const SocketAddress& a, const SocketAddress& b) {
        if (a.family() != b.family() || a.port() != b.port()) {
            return false;
        }
        if (a.is_v4()) {
            return a.v4().sin_addr.s_addr == b.v4().sin_addr.s_addr;
        }
        if (a.is_v6()) {
            return std::memcmp(&a.v6().sin6_addr, &b.v6().sin6_addr, sizeof(in6_addr)) == 0;
        }
        return true;
    }

  private:
    sockaddr_storage storage_{};
};

}  // namespace turnpike
