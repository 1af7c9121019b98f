#include "signal/ice_servers.hpp"

#include <fmt/format.h>

#include "common/credentials.hpp"
#include "signal/json_writer.hpp"

namespace turnpike::signal {

namespace {

constexpr std::string_view host_placeholder = "{host}";

std::string with_host(std::string_view url, std::string_view host) {
    std::string out(url);
    if (auto at = out.find(host_placeholder); at != std::string::npos) {
        out.replace(at, host_placeholder.size(), host);
    }
    return out;
}

// IPv6 literals go in brackets in a URL's host.
std::string url_host(const std::string& ip) {
    return ip.find(':') != std::string::npos ? fmt::format("[{}]", ip) : ip;
}

void write_urls(JsonWriter& out, const std::vector<std::string>& urls, std::string_view host) {
    out.key("urls").begin_array();
    for (const auto& url : urls) {
        out.value(with_host(url, host));
    }
    out.end_array();
}

}  // namespace

std::string_view host_without_port(std::string_view host_header) {
    if (host_header.starts_with('[')) {
        auto close = host_header.find(']');
        return close == std::string_view::npos ? std::string_view{}
                                               : host_header.substr(0, close + 1);
    }
    return host_header.substr(0, host_header.find(':'));
}

IceServers::IceServers(const Config& config)
    : secret_(config.auth.static_auth_secret), ttl_(config.auth.credential_ttl) {
    if (!config.signal.ice_servers.empty()) {
        for (const auto& url : config.signal.ice_servers) {
            (url.starts_with("stun:") ? stun_urls_ : turn_urls_).push_back(url);
        }
        return;
    }
    if (!config.server.has_role(Role::relay) || config.relay.listen.empty()) {
        return;
    }
    if (!config.signal.ice_host.empty()) {
        fixed_host_ = config.signal.ice_host;
    } else if (!config.server.external_ip.empty()) {
        fixed_host_ = url_host(config.server.external_ip.front());
    }
    auto port = config.relay.listen.front().port();
    stun_urls_.push_back(fmt::format("stun:{}:{}", host_placeholder, port));
    turn_urls_.push_back(fmt::format("turn:{}:{}?transport=udp", host_placeholder, port));
    turn_urls_.push_back(fmt::format("turn:{}:{}?transport=tcp", host_placeholder, port));
    // Browsers check a turns: certificate against the URL's host: the name
    // the page was reached by, or [signal] ice-host.
    if (!config.relay.tls_listen.empty()) {
        turn_urls_.push_back(fmt::format("turns:{}:{}?transport=tcp", host_placeholder,
                                         config.relay.tls_listen.front().port()));
    }
}

std::string IceServers::json(std::string_view session_id, std::string_view request_host,
                             std::chrono::sys_seconds now) const {
    std::string_view host = fixed_host_.empty() ? host_without_port(request_host) : fixed_host_;
    JsonWriter out;
    out.begin_array();
    if (!stun_urls_.empty()) {
        out.begin_object();
        write_urls(out, stun_urls_, host);
        out.end_object();
    }
    if (has_turn()) {
        auto credential = mint_rest_credential(secret_, session_id, ttl_, now);
        out.begin_object();
        write_urls(out, turn_urls_, host);
        out.key("username").value(credential.username);
        out.key("credential").value(credential.password);
        out.end_object();
    }
    out.end_array();
    return out.take();
}

}  // namespace turnpike::signal
