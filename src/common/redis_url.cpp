#include "common/redis_url.hpp"

#include <charconv>

#include <fmt/format.h>

namespace turnpike {

namespace {

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size() && !text.empty();
}

std::variant<RedisEndpoint, std::string> parse_unix(std::string_view rest) {
    RedisEndpoint endpoint;
    size_t query = rest.find('?');
    endpoint.socket_path = std::string(rest.substr(0, query));
    if (endpoint.socket_path.empty() || endpoint.socket_path[0] != '/') {
        return std::string("a unix: URL needs an absolute socket path");
    }
    if (query != std::string_view::npos) {
        std::string_view q = rest.substr(query + 1);
        if (!q.starts_with("db=") || !parse_number(q.substr(3), endpoint.db)) {
            return std::string("the only query a unix: URL takes is ?db=NUMBER");
        }
    }
    return endpoint;
}

}  // namespace

std::string RedisEndpoint::describe() const {
    std::string where = socket_path.empty() ? (host.find(':') != std::string::npos
                                                   ? fmt::format("[{}]:{}", host, port)
                                                   : fmt::format("{}:{}", host, port))
                                            : socket_path;
    return db == 0 ? where : fmt::format("{} db {}", where, db);
}

std::variant<RedisEndpoint, std::string> parse_redis_url(std::string_view url) {
    if (url.starts_with("unix:")) {
        return parse_unix(url.substr(5));
    }
    if (!url.starts_with("redis://")) {
        return fmt::format("'{}' is not a redis:// URL or unix: path", url);
    }
    std::string_view rest = url.substr(8);
    RedisEndpoint endpoint;
    if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view auth = rest.substr(0, at);
        // redis://:password@host (Redis before 6 has no user names) or
        // redis://user:password@host; only the password is used.
        size_t colon = auth.find(':');
        endpoint.password =
            std::string(colon == std::string_view::npos ? auth : auth.substr(colon + 1));
        rest = rest.substr(at + 1);
    }
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        std::string_view db = rest.substr(slash + 1);
        if (!db.empty() && !parse_number(db, endpoint.db)) {
            return fmt::format("database '{}' is not a number", db);
        }
    }
    std::string_view port;
    if (authority.starts_with('[')) {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return std::string("an IPv6 host needs its closing ']'");
        }
        endpoint.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after[0] != ':') {
            return std::string("expected ':PORT' after the IPv6 host");
        }
        port = after.empty() ? after : after.substr(1);
    } else {
        size_t colon = authority.find(':');
        endpoint.host = std::string(authority.substr(0, colon));
        port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
    }
    if (endpoint.host.empty()) {
        return std::string("no host");
    }
    if (!port.empty() && (!parse_number(port, endpoint.port) || endpoint.port == 0)) {
        return fmt::format("port '{}' is not a number from 1 to 65535", port);
    }
    return endpoint;
}

}  // namespace turnpike
