#include "common/config.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <fmt/format.h>

namespace turnpike {
namespace {

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

}  // namespace
}  // namespace turnpike
