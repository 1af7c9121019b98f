#include "common/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace turnpike {

SocketAddress::SocketAddress(const sockaddr* sa, socklen_t len) {
    if (len > sizeof(storage_)) {
        len = sizeof(storage_);
    }
    std::memcpy(&storage_, sa, len);
}

std::optional<SocketAddress> SocketAddress::parse_ip(std::string_view text, uint16_t port) {
    // inet_pton needs a NUL-terminated string; addresses are short.
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof(buf)) {
        return std::nullopt;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';

    SocketAddress out;
    if (text.find(':') == std::string_view::npos) {
        auto& sin = reinterpret_cast<sockaddr_in&>(out.storage_);
        if (inet_pton(AF_INET, buf, &sin.sin_addr) != 1) {
            return std::nullopt;
        }
        sin.sin_family = AF_INET;
    } else {
        auto& sin6 = reinterpret_cast<sockaddr_in6&>(out.storage_);
        if (inet_pton(AF_INET6, buf, &sin6.sin6_addr) != 1) {
            return std::nullopt;
        }
        sin6.sin6_family = AF_INET6;
    }
    out.set_port(port);
    return out;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
    std::string_view host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
        if (host.find(':') == std::string_view::npos) {
            return std::nullopt;  // brackets are for IPv6 only
        }
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            return std::nullopt;  // no port, or an IPv6 address without brackets
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 ||
        port_text.empty()) {
        return std::nullopt;
    }
    return parse_ip(host, static_cast<uint16_t>(port));
}

bool SocketAddress::is_unspecified() const {
    if (is_v4()) {
        return v4().sin_addr.s_addr == htonl(INADDR_ANY);
    }
    if (is_v6()) {
        return IN6_IS_ADDR_UNSPECIFIED(&v6().sin6_addr);
    }
    return true;
}

void SocketAddress::set_port(uint16_t port) {
    if (is_v4()) {
        reinterpret_cast<sockaddr_in&>(storage_).sin_port = htons(port);
    } else if (is_v6()) {
        reinterpret_cast<sockaddr_in6&>(storage_).sin6_port = htons(port);
    }
}

std::string SocketAddress::ip_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4()) {
        inet_ntop(AF_INET, &v4().sin_addr, buf, sizeof(buf));
    } else if (is_v6()) {
        inet_ntop(AF_INET6, &v6().sin6_addr, buf, sizeof(buf));
    }
    return buf;
}

std::string SocketAddress::to_string() const {
    // fmt rather than operator+: GCC 12 at -O3 warns (-Wrestrict) about
    // "literal" + std::string, a known false positive.
    if (is_v6()) {
        return fmt::format("[{}]:{}", ip_string(), port());
    }
    return fmt::format("{}:{}", ip_string(), port());
}

}  // namespace turnpike
