#include "relay/turn_settings.hpp"

namespace turnpike::relay {

std::shared_ptr<const TurnSettings> TurnSettings::from(const Config& config) {
    auto s = std::make_shared<TurnSettings>(TurnSettings{
        .realm = config.server.realm,
        .users = {},
        .rest_secret = {},
        .quotas = config.quotas,
        .policy = PeerPolicy(config.relay.allowed_peer_ip, config.relay.denied_peer_ip,
                             config.relay.allow_loopback_peers),
        .relay_ip = config.relay.relay_ip,
        .external_ip = {},
        .min_port = config.relay.min_port,
        .max_port = config.relay.max_port,
        .workers = config.relay.threads,
        .coalescing = {.wait = config.relay.coalesce_wait,
                       .min_rate = config.relay.coalesce_min_pps},
    });
    if (!config.auth.static_auth_secret.empty()) {
        s->rest_secret.emplace(byte_span(config.auth.static_auth_secret));
    }
    for (const auto& user : config.auth.users) {
        s->users.emplace(user.name, UserKey(user.key));
    }
    for (const auto& text : config.server.external_ip) {
        if (auto ip = IpAddress::parse(text)) {
            s->external_ip.push_back(*ip);
        }
    }
    return s;
}

}  // namespace turnpike::relay
