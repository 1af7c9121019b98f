#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace turnpike {

// Where a Redis server is: `redis://[:PASSWORD@]HOST[:PORT][/DB]` or
// `unix:PATH[?db=DB]`. HOST may be an IPv6 address in brackets.
struct RedisEndpoint {
    std::string host;  // empty for a Unix socket
    uint16_t port = 6379;
    std::string socket_path;
    std::string password;
    unsigned db = 0;

    // What logs may show: never the password.
    std::string describe() const;
};

// The endpoint, or a message saying what is wrong with `url`.
std::variant<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

}  // namespace turnpike
