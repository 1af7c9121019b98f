#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "common/credentials.hpp"
#include "common/peer_policy.hpp"
#include "relay/coalescer.hpp"

namespace turnpike::relay {

// A user's long-term key, and the same key ready for MESSAGE-INTEGRITY.
struct UserKey {
    explicit UserKey(const LongTermKey& long_term) : key(long_term), integrity(long_term) {}
    LongTermKey key;
    HmacSha1 integrity;
};

// Finds a std::string key by string_view, without building a string.
struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// What a worker needs from the config to serve TURN, as one immutable
// snapshot: a reload builds a new one and hands it to every worker.
struct TurnSettings {
    std::string realm;
    std::unordered_map<std::string, UserKey, TextHash, std::equal_to<>> users;
    std::optional<HmacSha1> rest_secret;  // the TURN REST secret, keyed; none when unset
    QuotaSettings quotas;
    PeerPolicy policy;
    std::vector<IpAddress> relay_ip;
    std::vector<IpAddress> external_ip;
    uint16_t min_port = 49152;
    uint16_t max_port = 65535;
    unsigned workers = 1;
    CoalesceSettings coalescing;

    static std::shared_ptr<const TurnSettings> from(const Config& config);
};

}  // namespace turnpike::relay
