#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "common/credentials.hpp"
#include "common/peer_policy.hpp"

namespace turnpike::relay {

// What a worker needs from the config to serve TURN, as one immutable
// snapshot: a reload builds a new one and hands it to every worker.
struct TurnSettings {
    std::string realm;
    std::unordered_map<std::string, LongTermKey> users;
    std::string rest_secret;
    QuotaSettings quotas;
    PeerPolicy policy;
    std::vector<IpAddress> relay_ip;
    std::vector<IpAddress> external_ip;
    uint16_t min_port = 49152;
    uint16_t max_port = 65535;
    unsigned workers = 1;

    static std::shared_ptr<const TurnSettings> from(const Config& config);
};

}  // namespace turnpike::relay
