#include "common/config.hpp"

#include <glib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "common/credentials.hpp"
#include "common/redis_url.hpp"

namespace turnpike {

ConfigError::ConfigError(std::string file, std::string key, std::string problem)
    : std::runtime_error(key.empty() ? fmt::format("{}: {}", file, problem)
                                     : fmt::format("{}: {}: {}", file, key, problem)),
      file_(std::move(file)),
      key_(std::move(key)),
      problem_(std::move(problem)) {}

bool ServerSettings::has_role(Role role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

namespace {

// A setter returns an empty string on success, or what is wrong with the value.
using Setter = std::function<std::string(Config&, std::string_view)>;

struct KeySpec {
    ConfigKey key;
    Setter set;
};

std::string_view trim(std::string_view s) {
    const auto* ws = " \t\r\n";
    auto first = s.find_first_not_of(ws);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(ws) - first + 1);
}

std::vector<std::string_view> split_list(std::string_view value) {
    std::vector<std::string_view> items;
    while (!value.empty()) {
        auto comma = value.find(',');
        auto item = trim(value.substr(0, comma));
        if (!item.empty()) {
            items.push_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    return items;
}

std::string parse_unsigned(std::string_view value, unsigned long min, unsigned long max,
                           unsigned long& out) {
    unsigned long parsed = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        return fmt::format("expected a whole number from {} to {}, got '{}'", min, max, value);
    }
    if (parsed < min || parsed > max) {
        return fmt::format("{} is out of range: expected {} to {}", parsed, min, max);
    }
    out = parsed;
    return {};
}

Setter port_setter(uint16_t RelaySettings::*field) {
    return [field](Config& c, std::string_view v) {
        unsigned long port = 0;
        auto err = parse_unsigned(v, 1, 65535, port);
        c.relay.*field = static_cast<uint16_t>(port);
        return err;
    };
}

std::string set_roles(Config& c, std::string_view value) {
    c.server.roles.clear();
    for (auto item : split_list(value)) {
        Role role;
        if (item == "relay") {
            role = Role::relay;
        } else if (item == "signal") {
            role = Role::signal;
        } else if (item == "admin") {
            role = Role::admin;
        } else {
            return fmt::format("unknown role '{}': expected relay, signal or admin", item);
        }
        if (!c.server.has_role(role)) {
            c.server.roles.push_back(role);
        }
    }
    if (c.server.roles.empty()) {
        return "at least one role is needed: relay, signal, admin";
    }
    return {};
}

std::string set_log_level(Config& c, std::string_view value) {
    static constexpr std::string_view levels[] = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
    if (std::find(std::begin(levels), std::end(levels), value) == std::end(levels)) {
        return fmt::format(
            "unknown level '{}': expected trace, debug, info, warn, error, critical or off", value);
    }
    c.server.log_level = value;
    return {};
}

std::string parse_listen(std::string_view value, std::vector<SocketAddress>& out) {
    out.clear();
    for (auto item : split_list(value)) {
        auto address = SocketAddress::parse(item);
        if (!address || address->port() == 0) {
            return fmt::format("'{}' is not an address with a port (1.2.3.4:3478 or [::]:3478)",
                               item);
        }
        out.push_back(*address);
    }
    if (out.empty()) {
        return "at least one address is needed";
    }
    return {};
}

// An empty value or an absolute path (relative ones would depend on where
// systemd or a shell happened to start the daemon).
auto path_setter(std::string RelaySettings::*field) {
    return [field](Config& c, std::string_view value) {
        if (!value.empty() && value.front() != '/') {
            return fmt::format("'{}' is not an absolute path", value);
        }
        c.relay.*field = value;
        return std::string{};
    };
}

std::string set_listen(Config& c, std::string_view value) {
    return parse_listen(value, c.relay.listen);
}

std::string set_external_ip(Config& c, std::string_view value) {
    c.server.external_ip.clear();
    for (auto item : split_list(value)) {
        if (!SocketAddress::parse_ip(item)) {
            return fmt::format("'{}' is not an IP address", item);
        }
        c.server.external_ip.emplace_back(item);
    }
    return {};
}

std::string set_threads(Config& c, std::string_view value) {
    unsigned long n = 0;
    auto err = parse_unsigned(value, 0, 256, n);
    if (err.empty()) {
        c.relay.threads =
            n != 0 ? static_cast<unsigned>(n) : std::max(1u, std::thread::hardware_concurrency());
    }
    return err;
}

std::string set_relay_ip(Config& c, std::string_view value) {
    c.relay.relay_ip.clear();
    for (auto item : split_list(value)) {
        auto ip = IpAddress::parse(item);
        if (!ip) {
            return fmt::format("'{}' is not an IP address", item);
        }
        c.relay.relay_ip.push_back(*ip);
    }
    return {};
}

std::string parse_cidr_list(std::string_view value, CidrSet& out) {
    CidrSet set;
    for (auto item : split_list(value)) {
        auto range = Cidr::try_parse(item);
        if (!range) {
            return fmt::format("'{}' is not an address or CIDR range (10.0.0.0/8, 2001:db8::/32)",
                               item);
        }
        set.add(*range);
    }
    out = std::move(set);
    return {};
}

Setter cidr_list_setter(CidrSet RelaySettings::*field) {
    return [field](Config& c, std::string_view value) {
        return parse_cidr_list(value, c.relay.*field);
    };
}

std::string parse_bool(std::string_view value, bool& out) {
    if (value == "true" || value == "yes" || value == "1") {
        out = true;
    } else if (value == "false" || value == "no" || value == "0") {
        out = false;
    } else {
        return fmt::format("expected true or false, got '{}'", value);
    }
    return {};
}

std::string parse_hex_key(std::string_view hex, std::array<uint8_t, 16>& key) {
    if (hex.size() != 32) {
        return "a key given as 0x... must be 32 hex digits (the MD5 of name:realm:password)";
    }
    for (size_t i = 0; i < 16; ++i) {
        unsigned byte = 0;
        auto [end, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, byte, 16);
        if (ec != std::errc{} || end != hex.data() + 2 * i + 2) {
            return "a key given as 0x... must be 32 hex digits";
        }
        key[i] = static_cast<uint8_t>(byte);
    }
    return {};
}

// "name:password" or, as coturn allows, "name:0x<md5 key>". The realm is
// needed for the key, so [server] realm is parsed before [auth] users.
std::string set_users(Config& c, std::string_view value) {
    c.auth.users.clear();
    for (auto item : split_list(value)) {
        auto colon = item.find(':');
        if (colon == std::string_view::npos || colon == 0 || colon + 1 == item.size()) {
            return fmt::format("'{}' is not name:password", item.substr(0, colon));
        }
        StaticUser user;
        user.name = item.substr(0, colon);
        std::string_view secret = item.substr(colon + 1);
        if (secret.starts_with("0x")) {
            if (auto err = parse_hex_key(secret.substr(2), user.key); !err.empty()) {
                return fmt::format("user '{}': {}", user.name, err);
            }
        } else {
            user.password = secret;
            user.key = long_term_key(user.name, c.server.realm, user.password);
        }
        for (const auto& other : c.auth.users) {
            if (other.name == user.name) {
                return fmt::format("user '{}' is listed twice", user.name);
            }
        }
        c.auth.users.push_back(std::move(user));
    }
    return {};
}

template <typename Field>
Setter unsigned_setter(Field QuotaSettings::*field, unsigned long max) {
    return [field, max](Config& c, std::string_view v) {
        unsigned long n = 0;
        auto err = parse_unsigned(v, 0, max, n);
        c.quotas.*field = static_cast<Field>(n);
        return err;
    };
}

Setter seconds_setter(std::chrono::seconds& (*field)(Config&), unsigned long min,
                      unsigned long max) {
    return [field, min, max](Config& c, std::string_view v) {
        unsigned long n = 0;
        auto err = parse_unsigned(v, min, max, n);
        field(c) = std::chrono::seconds(n);
        return err;
    };
}

std::string set_nonempty(std::string& field, std::string_view value) {
    if (value.empty()) {
        return "must not be empty";
    }
    field = value;
    return {};
}

// "https://chat.example.com" or "http://localhost:8080": what browsers send in
// Origin, compared lowercased and without a trailing slash.
std::string set_allowed_origins(Config& c, std::string_view value) {
    c.signal.allowed_origins.clear();
    for (auto item : split_list(value)) {
        std::string origin(item);
        std::transform(origin.begin(), origin.end(), origin.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        while (origin.ends_with('/')) {
            origin.pop_back();
        }
        auto scheme_end = origin.find("://");
        if (scheme_end == std::string::npos || scheme_end == 0 || scheme_end + 3 == origin.size() ||
            origin.find('/', scheme_end + 3) != std::string::npos) {
            return fmt::format("'{}' is not an origin (scheme://host[:port], no path)", item);
        }
        c.signal.allowed_origins.push_back(std::move(origin));
    }
    return {};
}

std::string set_ice_servers(Config& c, std::string_view value) {
    c.signal.ice_servers.clear();
    for (auto item : split_list(value)) {
        if (!item.starts_with("stun:") && !item.starts_with("turn:") &&
            !item.starts_with("turns:")) {
            return fmt::format("'{}' is not a stun:, turn: or turns: URL", item);
        }
        c.signal.ice_servers.emplace_back(item);
    }
    return {};
}

template <typename Field>
Setter signal_unsigned(Field SignalSettings::*field, unsigned long min, unsigned long max) {
    return [field, min, max](Config& c, std::string_view v) {
        unsigned long n = 0;
        auto err = parse_unsigned(v, min, max, n);
        c.signal.*field = static_cast<Field>(n);
        return err;
    };
}

std::string set_matcher_backend(Config& c, std::string_view value) {
    if (value == "memory") {
        c.matcher.backend = MatcherBackend::memory;
    } else if (value == "redis") {
        c.matcher.backend = MatcherBackend::redis;
    } else {
        return fmt::format("unknown backend '{}': expected memory or redis", value);
    }
    return {};
}

const std::vector<KeySpec>& schema() {
    static const std::vector<KeySpec> specs = {
        {{"server", "roles", "relay,signal,admin"}, set_roles},
        {{"server", "realm", "turnpike"},
         [](Config& c, std::string_view v) { return set_nonempty(c.server.realm, v); }},
        {{"server", "external-ip", ""}, set_external_ip},
        {{"server", "state-dir", "/var/lib/turnpike"},
         [](Config& c, std::string_view v) {
             if (v.empty() || v.front() != '/') {
                 return fmt::format("'{}' is not an absolute path", v);
             }
             c.server.state_dir = v;
             return std::string{};
         }},
        {{"server", "log-level", "info"}, set_log_level},
        {{"relay", "listen", "0.0.0.0:3478, [::]:3478"}, set_listen},
        {{"relay", "tls-listen", ""},
         [](Config& c, std::string_view v) {
             if (v.empty()) {
                 c.relay.tls_listen.clear();
                 return std::string{};
             }
             return parse_listen(v, c.relay.tls_listen);
         }},
        {{"relay", "cert", ""}, path_setter(&RelaySettings::cert)},
        {{"relay", "pkey", ""}, path_setter(&RelaySettings::pkey)},
        {{"relay", "min-port", "49152"}, port_setter(&RelaySettings::min_port)},
        {{"relay", "max-port", "65535"}, port_setter(&RelaySettings::max_port)},
        {{"relay", "threads", "0"}, set_threads},
        {{"relay", "software", "Turnpike"},
         [](Config& c, std::string_view v) {
             if (v.size() > 127) {
                 return std::string{"must be at most 127 characters (RFC 8489 SOFTWARE)"};
             }
             c.relay.software = v;
             return std::string{};
         }},
        {{"relay", "relay-ip", ""}, set_relay_ip},
        {{"relay", "denied-peer-ip", ""}, cidr_list_setter(&RelaySettings::denied_peer_ip)},
        {{"relay", "allowed-peer-ip", ""}, cidr_list_setter(&RelaySettings::allowed_peer_ip)},
        {{"relay", "allow-loopback-peers", "false"},
         [](Config& c, std::string_view v) { return parse_bool(v, c.relay.allow_loopback_peers); }},
        {{"relay", "udp-gso", "true"},
         [](Config& c, std::string_view v) { return parse_bool(v, c.relay.udp_gso); }},
        {{"relay", "coalesce-us", "100"},
         [](Config& c, std::string_view v) {
             unsigned long n = 0;
             auto err = parse_unsigned(v, 0, 1000, n);
             c.relay.coalesce_wait = std::chrono::microseconds(n);
             return err;
         }},
        {{"relay", "coalesce-min-pps", "20000"},
         [](Config& c, std::string_view v) {
             unsigned long n = 0;
             auto err = parse_unsigned(v, 1, 100000000, n);
             c.relay.coalesce_min_pps = n;
             return err;
         }},
        {{"auth", "static-auth-secret", ""},
         [](Config& c, std::string_view v) {
             c.auth.static_auth_secret = v;
             return std::string{};
         }},
        {{"auth", "users", ""}, set_users},
        {{"auth", "credential-ttl", "3600"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.auth.credential_ttl; },
                        60, 7 * 86400)},
        {{"auth", "nonce-lifetime", "600"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.auth.nonce_lifetime; }, 1,
                        86400)},
        {{"quotas", "user-quota", "10"}, unsigned_setter(&QuotaSettings::user_quota, 1000000)},
        {{"quotas", "total-quota", "0"}, unsigned_setter(&QuotaSettings::total_quota, 10000000)},
        {{"quotas", "max-bps", "0"}, unsigned_setter(&QuotaSettings::max_bps, 1ul << 40)},
        {{"quotas", "bps-capacity", "0"}, unsigned_setter(&QuotaSettings::bps_capacity, 1ul << 40)},
        {{"quotas", "max-permissions", "64"},
         unsigned_setter(&QuotaSettings::max_permissions, 65536)},
        {{"quotas", "max-channels", "64"}, unsigned_setter(&QuotaSettings::max_channels, 4096)},
        {{"quotas", "max-tcp-per-ip", "64"},
         unsigned_setter(&QuotaSettings::max_tcp_per_ip, 1000000)},
        {{"quotas", "tcp-accepts-per-ip", "64"},
         unsigned_setter(&QuotaSettings::tcp_accepts_per_ip, 1000000)},
        {{"quotas", "max-lifetime", "3600"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.quotas.max_lifetime; },
                        600, 86400)},
        {{"signal", "listen", "0.0.0.0:8080"},
         [](Config& c, std::string_view v) { return parse_listen(v, c.signal.listen); }},
        {{"signal", "allowed-origins", ""}, set_allowed_origins},
        {{"signal", "web-root", ""},
         [](Config& c, std::string_view v) {
             if (!v.empty() && v.front() != '/') {
                 return fmt::format("'{}' is not an absolute path", v);
             }
             c.signal.web_root = v;
             return std::string{};
         }},
        {{"signal", "ice-servers", ""}, set_ice_servers},
        {{"signal", "ice-host", ""},
         [](Config& c, std::string_view v) {
             if (v.find_first_of(" /?#@,") != std::string_view::npos) {
                 return fmt::format("'{}' is not a host name or IP address", v);
             }
             c.signal.ice_host = v;
             return std::string{};
         }},
        {{"signal", "trusted-proxies", ""},
         [](Config& c, std::string_view v) {
             return parse_cidr_list(v, c.signal.trusted_proxies);
         }},
        {{"signal", "max-sessions", "100000"},
         signal_unsigned(&SignalSettings::max_sessions, 1, 10000000)},
        {{"signal", "max-sessions-per-ip", "20"},
         signal_unsigned(&SignalSettings::max_sessions_per_ip, 1, 1000000)},
        {{"signal", "privacy", "false"},
         [](Config& c, std::string_view v) { return parse_bool(v, c.signal.privacy); }},
        {{"signal", "word-list", ""},
         [](Config& c, std::string_view v) {
             if (!v.empty() && v.front() != '/') {
                 return fmt::format("'{}' is not an absolute path", v);
             }
             c.signal.word_list = v;
             return std::string{};
         }},
        {{"signal", "chat-max-chars", "500"},
         signal_unsigned(&SignalSettings::chat_max_chars, 1, 10000)},
        {{"signal", "chat-burst", "5"}, signal_unsigned(&SignalSettings::chat_burst, 1, 64)},
        {{"signal", "chat-window", "5"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.signal.chat_window; }, 1,
                        3600)},
        {{"signal", "chat-timeout", "10"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.signal.chat_timeout; }, 1,
                        86400)},
        {{"signal", "chat-max-timeout", "300"},
         seconds_setter(
             [](Config& c) -> std::chrono::seconds& { return c.signal.chat_max_timeout; }, 1,
             7 * 86400)},
        {{"signal", "ping-interval", "10"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.signal.ping_interval; },
                        1, 300)},
        {{"signal", "idle-timeout", "20"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.signal.idle_timeout; }, 2,
                        3600)},
        {{"matcher", "backend", "memory"}, set_matcher_backend},
        {{"matcher", "redis-url", "redis://127.0.0.1:6379/0"},
         [](Config& c, std::string_view v) {
             auto parsed = parse_redis_url(v);
             if (auto* problem = std::get_if<std::string>(&parsed)) {
                 return *problem;
             }
             c.matcher.redis_url = v;
             return std::string{};
         }},
        {{"matcher", "interest-wait-ms", "5000"},
         [](Config& c, std::string_view v) {
             unsigned long n = 0;
             auto err = parse_unsigned(v, 0, 600000, n);
             c.matcher.interest_wait = std::chrono::milliseconds(n);
             return err;
         }},
        {{"matcher", "block-ttl", "86400"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.matcher.block_ttl; }, 60,
                        365 * 86400)},
        {{"admin", "listen", "127.0.0.1:8081"},
         [](Config& c, std::string_view v) { return parse_listen(v, c.admin.listen); }},
        {{"admin", "token-ttl", "28800"},
         seconds_setter([](Config& c) -> std::chrono::seconds& { return c.admin.token_ttl; }, 1,
                        30 * 86400)},
        {{"store", "backend", "sqlite"},
         [](Config& c, std::string_view v) {
             if (v == "sqlite") {
                 c.store.backend = StoreBackend::sqlite;
             } else if (v == "redis") {
                 c.store.backend = StoreBackend::redis;
             } else {
                 return fmt::format("unknown backend '{}': expected sqlite or redis", v);
             }
             return std::string{};
         }},
        {{"store", "path", ""},
         [](Config& c, std::string_view v) {
             if (!v.empty() && v.front() != '/') {
                 return fmt::format("'{}' is not an absolute path", v);
             }
             c.store.path = v;
             return std::string{};
         }},
    };
    return specs;
}

const KeySpec* find_spec(std::string_view section, std::string_view key) {
    for (const auto& spec : schema()) {
        if (spec.key.section == section && spec.key.key == key) {
            return &spec;
        }
    }
    return nullptr;
}

bool known_section(std::string_view section) {
    return std::any_of(schema().begin(), schema().end(),
                       [&](const KeySpec& s) { return s.key.section == section; });
}

std::string key_name(std::string_view section, std::string_view key) {
    return fmt::format("[{}] {}", section, key);
}

void check_cross_keys(const Config& c, const std::string& name) {
    if (c.signal.chat_max_timeout < c.signal.chat_timeout) {
        throw ConfigError(
            name, "[signal] chat-max-timeout",
            fmt::format("{} s is below [signal] chat-timeout {} s",
                        c.signal.chat_max_timeout.count(), c.signal.chat_timeout.count()));
    }
    if (c.signal.idle_timeout <= c.signal.ping_interval) {
        throw ConfigError(
            name, "[signal] idle-timeout",
            fmt::format("{} s must be longer than [signal] ping-interval {} s",
                        c.signal.idle_timeout.count(), c.signal.ping_interval.count()));
    }
    if (!c.relay.tls_listen.empty() && c.relay.cert.empty()) {
        throw ConfigError(name, "[relay] cert", "is needed by [relay] tls-listen");
    }
    if (!c.relay.tls_listen.empty() && c.relay.pkey.empty()) {
        throw ConfigError(name, "[relay] pkey", "is needed by [relay] tls-listen");
    }
    for (const auto& tls : c.relay.tls_listen) {
        for (const auto& plain : c.relay.listen) {
            bool same_ip =
                tls.family() == plain.family() && (tls.is_unspecified() || plain.is_unspecified() ||
                                                   IpAddress(tls) == IpAddress(plain));
            if (same_ip && tls.port() == plain.port()) {
                throw ConfigError(name, "[relay] tls-listen",
                                  fmt::format("{} overlaps [relay] listen {}: TCP on one port is "
                                              "either TLS or not",
                                              tls.to_string(), plain.to_string()));
            }
        }
    }
    if (c.relay.min_port > c.relay.max_port) {
        throw ConfigError(
            name, "[relay] min-port",
            fmt::format("{} is above [relay] max-port {}", c.relay.min_port, c.relay.max_port));
    }
}

struct KeyFileDeleter {
    void operator()(GKeyFile* kf) const { g_key_file_free(kf); }
};
struct GErrorDeleter {
    void operator()(GError* e) const { g_error_free(e); }
};
struct GStrvDeleter {
    void operator()(gchar** v) const { g_strfreev(v); }
};
struct GFreeDeleter {
    void operator()(gchar* p) const { g_free(p); }
};

}  // namespace

const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> keys = [] {
        std::vector<ConfigKey> out;
        for (const auto& spec : schema()) {
            out.push_back(spec.key);
        }
        return out;
    }();
    return keys;
}

Config parse_config(std::string_view text, const std::string& name) {
    std::unique_ptr<GKeyFile, KeyFileDeleter> kf(g_key_file_new());
    GError* raw_error = nullptr;
    if (!g_key_file_load_from_data(kf.get(), text.data(), text.size(), G_KEY_FILE_NONE,
                                   &raw_error)) {
        std::unique_ptr<GError, GErrorDeleter> error(raw_error);
        throw ConfigError(name, "", fmt::format("not a valid INI file: {}", error->message));
    }

    Config config;
    config.source = name;

    // Reject what we do not know first: a misspelt key silently ignored is the
    // worst kind of config bug.
    std::unique_ptr<gchar*, GStrvDeleter> groups(g_key_file_get_groups(kf.get(), nullptr));
    for (gchar** group = groups.get(); *group != nullptr; ++group) {
        if (!known_section(*group)) {
            throw ConfigError(name, fmt::format("[{}]", *group), "unknown section");
        }
        std::unique_ptr<gchar*, GStrvDeleter> keys(
            g_key_file_get_keys(kf.get(), *group, nullptr, nullptr));
        for (gchar** key = keys.get(); *key != nullptr; ++key) {
            if (find_spec(*group, *key) == nullptr) {
                throw ConfigError(name, key_name(*group, *key), "unknown key");
            }
        }
    }

    for (const auto& spec : schema()) {
        std::string section(spec.key.section);
        std::string key(spec.key.key);
        std::string value(spec.key.default_value);
        if (g_key_file_has_key(kf.get(), section.c_str(), key.c_str(), nullptr)) {
            GError* get_error = nullptr;
            std::unique_ptr<gchar, GFreeDeleter> raw(
                g_key_file_get_string(kf.get(), section.c_str(), key.c_str(), &get_error));
            if (!raw) {
                std::unique_ptr<GError, GErrorDeleter> error(get_error);
                throw ConfigError(name, key_name(section, key), error->message);
            }
            value = trim(raw.get());
        }
        if (auto problem = spec.set(config, value); !problem.empty()) {
            throw ConfigError(name, key_name(section, key), problem);
        }
    }
    check_cross_keys(config, name);
    return config;
}

Config load_config_file(const std::string& path) {
    gchar* contents = nullptr;
    gsize length = 0;
    GError* raw_error = nullptr;
    if (!g_file_get_contents(path.c_str(), &contents, &length, &raw_error)) {
        std::unique_ptr<GError, GErrorDeleter> error(raw_error);
        throw ConfigError(path, "", fmt::format("cannot read: {}", error->message));
    }
    std::unique_ptr<gchar, GFreeDeleter> owned(contents);
    return parse_config(std::string_view(contents, length), path);
}

Config embedded_defaults() {
    return parse_config("", "<embedded defaults>");
}

}  // namespace turnpike
