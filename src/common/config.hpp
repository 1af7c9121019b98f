#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <chrono>
#include <utility>

#include "common/address.hpp"
#include "common/cidr.hpp"

namespace turnpike {

// A config problem, always naming where it is: the file, the key (as
// "[section] key") and what is wrong with it.
class ConfigError : public std::runtime_error {
  public:
    ConfigError(std::string file, std::string key, std::string problem);
    const std::string& file() const { return file_; }
    const std::string& key() const { return key_; }
    const std::string& problem() const { return problem_; }

  private:
    std::string file_;
    std::string key_;
    std::string problem_;
};

enum class Role { relay, signal, admin };

struct ServerSettings {
    std::vector<Role> roles;
    std::string realm;
    std::vector<std::string> external_ip;
    std::string state_dir;
    std::string log_level;

    bool has_role(Role role) const;
};

struct RelaySettings {
    std::vector<SocketAddress> listen;
    std::vector<SocketAddress> tls_listen;  // TURN over TLS (turns:); empty: none
    std::string cert;                       // PEM certificate chain for tls-listen
    std::string pkey;                       // PEM private key of `cert`
    uint16_t min_port = 0;
    uint16_t max_port = 0;
    unsigned threads = 0;  // resolved: never 0 after parsing
    std::string software;
    std::vector<IpAddress> relay_ip;
    CidrSet denied_peer_ip;
    CidrSet allowed_peer_ip;
    bool allow_loopback_peers = false;
    bool udp_gso = true;
    std::chrono::microseconds coalesce_wait{100};
    uint64_t coalesce_min_pps = 20000;
};

struct StaticUser {
    std::string name;
    std::string password;           // empty when the config gave the key itself
    std::array<uint8_t, 16> key{};  // MD5(name:realm:password), RFC 8489 section 9.2.2
};

struct AuthSettings {
    std::string static_auth_secret;
    std::vector<StaticUser> users;
    std::chrono::seconds credential_ttl{3600};
    std::chrono::seconds nonce_lifetime{600};
};

// Zero means "no limit" for the counts and rates, as in coturn.
struct QuotaSettings {
    unsigned user_quota = 0;
    unsigned total_quota = 0;
    uint64_t max_bps = 0;       // bytes per second, each direction of one allocation
    uint64_t bps_capacity = 0;  // bytes per second, each direction of the whole server
    unsigned max_permissions = 0;
    unsigned max_channels = 0;
    std::chrono::seconds max_lifetime{3600};
    unsigned max_tcp_per_ip = 0;  // relay TCP connections open from one IPv4 address or IPv6 /64
    unsigned tcp_accepts_per_ip = 0;  // new ones per second from such a source (a burst of as many)
};

struct SignalSettings {
    std::vector<SocketAddress> listen;
    // "scheme://host[:port]", lowercased; empty: only the host the page came from.
    std::vector<std::string> allowed_origins;
    std::string web_root;
    // stun:/turn:/turns: URLs handed to browsers; empty: this node's own relay.
    std::vector<std::string> ice_servers;
    std::string ice_host;     // the host name in derived URLs; empty: see conf/turnpike.conf
    CidrSet trusted_proxies;  // whose X-Forwarded-For names the client
    unsigned max_sessions = 0;
    unsigned max_sessions_per_ip = 0;
    bool privacy = false;
    std::string word_list;  // empty: the built-in list
    unsigned chat_max_chars = 0;
    unsigned chat_burst = 0;
    std::chrono::seconds chat_window{5};
    std::chrono::seconds chat_timeout{10};
    std::chrono::seconds chat_max_timeout{300};
    std::chrono::seconds ping_interval{10};
    std::chrono::seconds idle_timeout{20};
};

enum class MatcherBackend { memory, redis };

struct MatcherConfig {
    MatcherBackend backend = MatcherBackend::memory;
    std::string redis_url;
    std::chrono::milliseconds interest_wait{5000};
    std::chrono::seconds block_ttl{86400};
};

struct AdminSettings {
    std::vector<SocketAddress> listen;
    std::chrono::seconds token_ttl{28800};
};

enum class StoreBackend { sqlite, redis };

struct StoreConfig {
    StoreBackend backend = StoreBackend::sqlite;
    std::string path;  // empty: state-dir/turnpike.db

    std::string resolved_path(const ServerSettings& server) const {
        return path.empty() ? server.state_dir + "/turnpike.db" : path;
    }
};

struct Config {
    std::string source;  // the file it came from, or "<embedded defaults>"
    ServerSettings server;
    RelaySettings relay;
    AuthSettings auth;
    QuotaSettings quotas;
    SignalSettings signal;
    MatcherConfig matcher;
    AdminSettings admin;
    StoreConfig store;
};

// Every key Turnpike knows, with its default, in file order. conf/turnpike.conf
// documents the same list; a test keeps the two in step.
struct ConfigKey {
    std::string_view section;
    std::string_view key;
    std::string_view default_value;
};
const std::vector<ConfigKey>& config_keys();

// Throws ConfigError. `name` is what errors call the source.
Config parse_config(std::string_view text, const std::string& name);
Config load_config_file(const std::string& path);
Config embedded_defaults();

}  // namespace turnpike
