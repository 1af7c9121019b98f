#include "common/config.hpp"
#include "common/redis_url.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <variant>

#include <fmt/format.h>

namespace turnpike {
namespace {

// Each of `texts` is refused with an error that names t.conf and `key`.
void expect_refused_naming(std::initializer_list<const char*> texts, std::string_view key) {
    for (const char* text : texts) {
        try {
            parse_config(text, "t.conf");
            ADD_FAILURE() << "accepted " << text;
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.file(), "t.conf");
            EXPECT_EQ(e.key(), key) << text;
        }
    }
}

TEST(Config, EmbeddedDefaults) {
    Config c = embedded_defaults();
    EXPECT_EQ(c.source, "<embedded defaults>");
    EXPECT_TRUE(c.server.has_role(Role::relay));
    EXPECT_TRUE(c.server.has_role(Role::signal));
    EXPECT_TRUE(c.server.has_role(Role::admin));
    EXPECT_EQ(c.server.log_level, "info");
    ASSERT_EQ(c.relay.listen.size(), 2u);
    EXPECT_EQ(c.relay.listen[0].to_string(), "0.0.0.0:3478");
    EXPECT_EQ(c.relay.listen[1].to_string(), "[::]:3478");
    EXPECT_EQ(c.relay.min_port, 49152);
    EXPECT_EQ(c.relay.max_port, 65535);
    EXPECT_EQ(c.relay.threads, std::max(1u, std::thread::hardware_concurrency()));
    EXPECT_EQ(c.relay.coalesce_wait, std::chrono::microseconds(100));
    EXPECT_EQ(c.relay.coalesce_min_pps, 20000u);
}

TEST(Config, CoalescingWaitAndRateAreBounded) {
    Config c = parse_config("[relay]\ncoalesce-us = 0\ncoalesce-min-pps = 1\n", "t.conf");
    EXPECT_EQ(c.relay.coalesce_wait.count(), 0);
    EXPECT_EQ(c.relay.coalesce_min_pps, 1u);
    for (const char* text : {"[relay]\ncoalesce-us = 1001\n", "[relay]\ncoalesce-us = -1\n",
                             "[relay]\ncoalesce-us = 50us\n", "[relay]\ncoalesce-min-pps = 0\n"}) {
        try {
            parse_config(text, "t.conf");
            ADD_FAILURE() << "accepted " << text;
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.file(), "t.conf");
            EXPECT_TRUE(e.key() == "[relay] coalesce-us" || e.key() == "[relay] coalesce-min-pps")
                << e.key();
        }
    }
}

TEST(Config, TcpConnectionsPerIpDefaultToSixtyFourAndZeroLifts) {
    EXPECT_EQ(embedded_defaults().quotas.max_tcp_per_ip, 64u);
    EXPECT_EQ(parse_config("[quotas]\nmax-tcp-per-ip = 0\n", "t.conf").quotas.max_tcp_per_ip, 0u);
    EXPECT_EQ(parse_config("[quotas]\nmax-tcp-per-ip = 5\n", "t.conf").quotas.max_tcp_per_ip, 5u);
    expect_refused_naming({"[quotas]\nmax-tcp-per-ip = -1\n", "[quotas]\nmax-tcp-per-ip = many\n",
                           "[quotas]\nmax-tcp-per-ip = 1000001\n"},
                          "[quotas] max-tcp-per-ip");
}

TEST(Config, TcpAcceptsPerIpDefaultToSixtyFourAndZeroLifts) {
    EXPECT_EQ(embedded_defaults().quotas.tcp_accepts_per_ip, 64u);
    EXPECT_EQ(
        parse_config("[quotas]\ntcp-accepts-per-ip = 0\n", "t.conf").quotas.tcp_accepts_per_ip, 0u);
    expect_refused_naming(
        {"[quotas]\ntcp-accepts-per-ip = 1.5\n", "[quotas]\ntcp-accepts-per-ip = 1000001\n"},
        "[quotas] tcp-accepts-per-ip");
}

TEST(Config, ListsAreTrimmedAndDeduplicatedWhereTheyAreSets) {
    Config c = parse_config(
        "[server]\nroles =  relay , relay,admin ,\n"
        "[relay]\nlisten = 127.0.0.1:1 ,[::1]:2,  10.0.0.1:3\nthreads = 3\n",
        "t.conf");
    EXPECT_EQ(c.server.roles, (std::vector<Role>{Role::relay, Role::admin}));
    ASSERT_EQ(c.relay.listen.size(), 3u);
    EXPECT_EQ(c.relay.listen[1].to_string(), "[::1]:2");
    EXPECT_TRUE(c.relay.listen[1].is_v6());
    EXPECT_EQ(c.relay.listen[2].port(), 3);
    EXPECT_EQ(c.relay.threads, 3u);
}

TEST(Config, ErrorNamesFileKeyAndProblem) {
    try {
        parse_config("[relay]\nmax-port = 65536\n", "/etc/turnpike/turnpike.conf");
        FAIL() << "accepted an out-of-range port";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file(), "/etc/turnpike/turnpike.conf");
        EXPECT_EQ(e.key(), "[relay] max-port");
        EXPECT_NE(e.problem().find("out of range"), std::string::npos) << e.problem();
        EXPECT_EQ(std::string(e.what()),
                  "/etc/turnpike/turnpike.conf: [relay] max-port: " + e.problem());
    }
}

TEST(Config, UnknownKeyIsRefusedEvenWithAValidValue) {
    EXPECT_THROW(parse_config("[relay]\nthread = 2\n", "t"), ConfigError);
    EXPECT_THROW(parse_config("[Relay]\nthreads = 2\n", "t"), ConfigError);
}

TEST(Config, CommentsAndBlankLinesAreFine) {
    Config c = parse_config("# top\n\n[relay]\n# a comment\nthreads = 1\n\n", "t");
    EXPECT_EQ(c.relay.threads, 1u);
}

TEST(Config, EveryKeyHasADefaultThatParses) {
    for (const auto& key : config_keys()) {
        std::string text = fmt::format("[{}]\n{} = {}\n", key.section, key.key, key.default_value);
        EXPECT_NO_THROW(parse_config(text, "t")) << text;
    }
}

TEST(SocketAddressParse, AcceptsAndRejects) {
    EXPECT_TRUE(SocketAddress::parse("1.2.3.4:5"));
    EXPECT_TRUE(SocketAddress::parse("[2001:db8::1]:443"));
    EXPECT_FALSE(SocketAddress::parse("2001:db8::1:443"));
    EXPECT_FALSE(SocketAddress::parse("[1.2.3.4]:5"));
    EXPECT_FALSE(SocketAddress::parse("1.2.3.4:"));
    EXPECT_FALSE(SocketAddress::parse("1.2.3.4:65536"));
    EXPECT_FALSE(SocketAddress::parse("1.2.3.4:5x"));
    EXPECT_FALSE(SocketAddress::parse("host.example:5"));
    EXPECT_FALSE(SocketAddress::parse(""));
    EXPECT_EQ(SocketAddress::parse("[::ffff:1.2.3.4]:9")->to_string(), "[::ffff:1.2.3.4]:9");
}

TEST(RedisUrl, ParsesEveryForm) {
    auto full = std::get<RedisEndpoint>(parse_redis_url("redis://:s3cret@redis.internal:6380/2"));
    EXPECT_EQ(full.host, "redis.internal");
    EXPECT_EQ(full.port, 6380);
    EXPECT_EQ(full.password, "s3cret");
    EXPECT_EQ(full.db, 2u);
    EXPECT_EQ(full.describe().find("s3cret"), std::string::npos);

    auto bare = std::get<RedisEndpoint>(parse_redis_url("redis://127.0.0.1"));
    EXPECT_EQ(bare.port, 6379);
    EXPECT_EQ(bare.db, 0u);
    auto v6 = std::get<RedisEndpoint>(parse_redis_url("redis://[::1]:7000/0"));
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 7000);
    EXPECT_EQ(v6.describe(), "[::1]:7000");
    auto user = std::get<RedisEndpoint>(parse_redis_url("redis://app:pw@h/1"));
    EXPECT_EQ(user.password, "pw");
    auto socket = std::get<RedisEndpoint>(parse_redis_url("unix:/run/redis/redis.sock?db=3"));
    EXPECT_EQ(socket.socket_path, "/run/redis/redis.sock");
    EXPECT_EQ(socket.db, 3u);
}

TEST(RedisUrl, RefusesWhatItCannotUse) {
    for (const char* bad :
         {"http://h", "redis://", "redis://h:0", "redis://h:70000", "redis://h:x", "redis://h/zero",
          "redis://[::1", "unix:relative.sock", "unix:/s?database=1"}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(parse_redis_url(bad))) << bad;
    }
}

TEST(Config, BadRedisUrlNamesTheKey) {
    try {
        parse_config("[matcher]\nredis-url = redis://h:99999\n", "x.conf");
        FAIL() << "accepted a port over 65535";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("x.conf: [matcher] redis-url:"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace turnpike
