// The signal server's small parts: Origin policy, the JSON writer, and the
// iceServers it hands out (their credentials checked against the relay's own
// REST password computation).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/credentials.hpp"
#include "signal/ice_servers.hpp"
#include "signal/json_writer.hpp"
#include "signal/origin.hpp"

namespace turnpike::signal {
namespace {

TEST(OriginAllowed, EmptyListMeansTheSameHostOnly) {
    std::vector<std::string> none;
    EXPECT_TRUE(origin_allowed("http://chat.example.com:8080", "chat.example.com:8080", none));
    EXPECT_TRUE(origin_allowed("https://Chat.Example.com", "chat.example.com", none));
    EXPECT_FALSE(origin_allowed("https://evil.example", "chat.example.com", none));
    EXPECT_FALSE(origin_allowed("http://chat.example.com:9999", "chat.example.com:8080", none));
    EXPECT_FALSE(origin_allowed("null", "chat.example.com", none));
    EXPECT_TRUE(origin_allowed("", "chat.example.com", none));  // not a browser
}

TEST(OriginAllowed, AListAllowsExactlyItsOrigins) {
    std::vector<std::string> allowed{"https://chat.example.com", "http://localhost:3000"};
    EXPECT_TRUE(origin_allowed("https://chat.example.com", "api.example.com", allowed));
    EXPECT_TRUE(origin_allowed("HTTP://LOCALHOST:3000/", "x", allowed));
    EXPECT_FALSE(origin_allowed("http://chat.example.com", "chat.example.com", allowed));
    EXPECT_FALSE(origin_allowed("https://chat.example.com.evil.example", "x", allowed));
}

TEST(JsonWriter, EscapesStringsAndKeepsStructure) {
    JsonWriter out;
    out.begin_object()
        .key("text")
        .value("quote \" backslash \\ newline \n tab \t bell \x07 é")
        .key("list")
        .begin_array()
        .value(true)
        .value(int64_t{-42})
        .null()
        .raw(R"({"a":1})")
        .end_array()
        .end_object();
    EXPECT_EQ(
        out.take(),
        R"({"text":"quote \" backslash \\ newline \n tab \t bell \u0007 é","list":[true,-42,null,{"a":1}]})");
}

Config config_with(std::string text) {
    return parse_config(text, "test.conf");
}

TEST(IceServers, DerivedFromTheRelayWithCredentialsTheRelayAccepts) {
    auto config = config_with(
        "[relay]\nlisten = 0.0.0.0:3478\n[auth]\nstatic-auth-secret = s3cret\ncredential-ttl = "
        "600\n");
    IceServers servers(config);
    auto now = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
    auto json = servers.json("00000000000000ab", "chat.example.com:8080", now);
    auto expected_password = rest_password_for("s3cret", "1800000600:00000000000000ab", now);
    ASSERT_TRUE(expected_password);
    EXPECT_EQ(json, R"([{"urls":["stun:chat.example.com:3478"]},)"
                    R"({"urls":["turn:chat.example.com:3478?transport=udp",)"
                    R"("turn:chat.example.com:3478?transport=tcp"],)"
                    R"("username":"1800000600:00000000000000ab","credential":")" +
                        *expected_password + R"("}])");
}

TEST(IceServers, TurnsWhenTheRelayListensForTls) {
    auto now = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
    IceServers servers(
        config_with("[relay]\nlisten = 0.0.0.0:3478\ntls-listen = 0.0.0.0:443\ncert = /etc/t.crt\n"
                    "pkey = /etc/t.key\n[auth]\nstatic-auth-secret = s\n"));
    EXPECT_NE(servers.json("1", "chat.example.com", now)
                  .find(R"("turn:chat.example.com:3478?transport=tcp",)"
                        R"("turns:chat.example.com:443?transport=tcp"],"username":)"),
              std::string::npos);
    IceServers plain(
        config_with("[relay]\nlisten = 0.0.0.0:3478\n[auth]\nstatic-auth-secret = s\n"));
    EXPECT_EQ(plain.json("1", "chat.example.com", now).find("turns:"), std::string::npos);
}

TEST(IceServers, HostFromConfigBeatsTheRequestAndIpv6GetsBrackets) {
    auto now = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
    IceServers named(config_with("[signal]\nice-host = turn.example.net\n"));
    EXPECT_NE(named.json("1", "other:80", now).find("stun:turn.example.net:3478"),
              std::string::npos);
    IceServers external(config_with("[server]\nexternal-ip = 2001:db8::7\n"));
    EXPECT_NE(external.json("1", "other:80", now).find("stun:[2001:db8::7]:3478"),
              std::string::npos);
    IceServers from_request(config_with(""));
    EXPECT_NE(from_request.json("1", "[2001:db8::9]:8080", now).find("stun:[2001:db8::9]:3478"),
              std::string::npos);
}

TEST(IceServers, WithoutASecretOnlyStun) {
    IceServers servers(config_with(""));
    auto json = servers.json("1", "h:1", std::chrono::sys_seconds(std::chrono::seconds(1)));
    EXPECT_FALSE(servers.has_turn());
    EXPECT_EQ(json, R"([{"urls":["stun:h:3478"]}])");
}

TEST(IceServers, ExplicitUrlsFromConfig) {
    IceServers servers(
        config_with("[signal]\nice-servers = stun:stun.example.com:3478, "
                    "turns:turn.example.com:443?transport=tcp\n"
                    "[auth]\nstatic-auth-secret = k\n"));
    auto json = servers.json("1", "h", std::chrono::sys_seconds(std::chrono::seconds(1)));
    EXPECT_NE(json.find(R"({"urls":["stun:stun.example.com:3478"]})"), std::string::npos);
    EXPECT_NE(json.find(R"("urls":["turns:turn.example.com:443?transport=tcp"],"username":)"),
              std::string::npos);
}

}  // namespace
}  // namespace turnpike::signal
