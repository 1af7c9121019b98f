// The TURN request handlers (RFC 8656) driven through a real Worker whose
// thread is never started: each test hands StunServer::handle one message
// and reads the answer it writes. The worker listens on nothing; relay
// sockets are real, bound on 127.0.0.1 in a small port range.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "relay/allocation.hpp"
#include "relay/turn_auth.hpp"
#include "relay/turn_settings.hpp"
#include "relay/turn_state.hpp"
#include "relay/worker.hpp"
#include "turn_test_message.hpp"

// Counts heap allocations, so a test can show the relay's packet path makes none.
// GCC 12 sees the replaced operators inlined into std::allocator and warns
// that free() meets a pointer from operator new; here both are malloc/free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static thread_local long heap_allocations = 0;
void* operator new(std::size_t size) {
    ++heap_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace turnpike::relay {
namespace {

using namespace std::chrono_literals;
using test::address;
using test::Bytes;
using test::Message;
using test::Parsed;
namespace stun = test::stun;

const std::string realm = "turnpike.test";
constexpr uint16_t min_port = 45000;
constexpr uint16_t max_port = 45099;

const std::string default_relay =
    "allow-loopback-peers = true\nmin-port = 45000\nmax-port = 45099\n";
// Generous limits unless a test says otherwise.
const std::string default_quotas =
    "user-quota = 0\ntotal-quota = 0\nmax-permissions = 0\nmax-channels = 0\n";

std::string password_of(std::string_view user) {
    return user == "alice" ? "alice-pw" : "bob-pw";
}

LongTermKey key_of(std::string_view user) {
    return long_term_key(user, realm, password_of(user));
}

ClientLink link_from(uint16_t client_port) {
    ClientLink link;
    link.client = address("127.0.0.1:" + std::to_string(client_port));
    link.local = address("127.0.0.1:3478");
    link.udp_fd = -1;
    link.tcp = nullptr;
    return link;
}

const ClientLink first_client = link_from(5555);
const ClientLink second_client = link_from(5556);

Bytes u8_value(uint8_t first) {
    return Bytes{first, 0, 0, 0};
}

Bytes channel_value(uint16_t number) {
    return Bytes{static_cast<uint8_t>(number >> 8), static_cast<uint8_t>(number), 0, 0};
}

// One worker with its shared state, built from a config text.
class TestServer {
  public:
    explicit TestServer(const std::string& relay = default_relay,
                        const std::string& quotas = default_quotas)
        : config_(parse_config("[server]\nrealm = " + realm + "\n[relay]\n" + relay +
                                   "[auth]\nusers = alice:alice-pw, bob:bob-pw\n"
                                   "static-auth-secret = s\n[quotas]\n" +
                                   quotas,
                               "turn_server_test")),
          shared_(config_.auth.nonce_lifetime),
          worker_(0, without_listeners(config_.relay), shared_, TurnSettings::from(config_),
                  nullptr) {}

    // Sends `request` as is.
    Parsed raw(const Bytes& request, const ClientLink& link = first_client) {
        std::array<uint8_t, 2048> out{};
        size_t n = worker_.stun().handle(request, link, out);
        return Parsed(Bytes(out.begin(), out.begin() + static_cast<long>(n)));
    }

    // Sends `request` with USERNAME, REALM, NONCE, MESSAGE-INTEGRITY and
    // FINGERPRINT for `user`, as a real client would after its first 401.
    Parsed ask(Message request, const ClientLink& link = first_client,
               std::string_view user = "alice") {
        request.credentials(user, realm, nonce()).integrity(key_of(user)).fingerprint();
        return raw(request, link);
    }

    Parsed allocate(const ClientLink& link = first_client, std::string_view user = "alice") {
        Message m(stun::allocate);
        m.add_u32(stun::requested_transport, stun::transport_udp);
        return ask(m, link, user);
    }

    Parsed create_permission(const std::vector<std::string>& peers,
                             const ClientLink& link = first_client,
                             std::string_view user = "alice") {
        Message m(stun::create_permission);
        for (const auto& peer : peers) {
            m.add_xor(stun::xor_peer_address, address(peer));
        }
        return ask(m, link, user);
    }

    Parsed channel_bind(uint16_t number, const std::string& peer,
                        const ClientLink& link = first_client, std::string_view user = "alice") {
        Message m(stun::channel_bind);
        m.add(stun::channel_number, channel_value(number))
            .add_xor(stun::xor_peer_address, address(peer));
        return ask(m, link, user);
    }

    Parsed refresh(std::optional<uint32_t> lifetime, const ClientLink& link = first_client,
                   std::string_view user = "alice") {
        Message m(stun::refresh);
        if (lifetime) {
            m.add_u32(stun::lifetime, *lifetime);
        }
        return ask(m, link, user);
    }

    // The nonce from the server's first 401, fetched once.
    std::string nonce() {
        if (nonce_.empty()) {
            Parsed challenge = raw(Message(stun::allocate));
            nonce_ = challenge.text(stun::nonce).value_or("");
            EXPECT_FALSE(nonce_.empty());
        }
        return nonce_;
    }

    Allocation* allocation(const ClientLink& link = first_client) {
        return worker_.turn().find(FiveTuple::of(link));
    }
    const WorkerCounters& counters() const { return worker_.counters(); }
    RelayShared& shared() { return shared_; }
    Worker& worker() { return worker_; }

  private:
    static RelaySettings without_listeners(RelaySettings settings) {
        settings.listen.clear();
        return settings;
    }

    Config config_;
    RelayShared shared_;
    Worker worker_;
    std::string nonce_;
};

uint16_t response_of(uint16_t method, uint16_t klass) {
    return method | klass;
}

::testing::AssertionResult is_success(const Parsed& r, uint16_t method) {
    if (r.type() == response_of(method, stun::success)) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "type " << std::hex << r.type() << std::dec << ", error " << r.error_code() << ", "
           << r.bytes().size() << " bytes";
}

::testing::AssertionResult is_error(const Parsed& r, uint16_t method, int code) {
    if (r.type() == response_of(method, stun::error) && r.error_code() == code) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "type " << std::hex << r.type() << std::dec
                                         << ", error " << r.error_code() << ", wanted " << code;
}

bool signed_by(const Parsed& r, std::string_view user) {
    return integrity_matches(r.bytes(), HmacSha1(key_of(user)));
}

class TurnServer : public ::testing::Test {
  protected:
    TestServer server;
};

// ===================== authentication =====================

TEST_F(TurnServer, UnsignedAllocateIsChallengedWithRealmAndNonce) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp);
    Parsed r = server.raw(m);
    EXPECT_TRUE(is_error(r, stun::allocate, 401));
    EXPECT_EQ(r.text(stun::realm), realm);
    EXPECT_TRUE(r.has(stun::nonce));
    EXPECT_FALSE(r.has(stun::message_integrity));
    EXPECT_EQ(r.id(), m.id());
    EXPECT_EQ(server.counters().auth_failures, 0u);  // a challenge is not a failure
}

TEST_F(TurnServer, WrongPasswordIs401WithFreshNonceAndCounted) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .credentials("alice", realm, server.nonce())
        .integrity(long_term_key("alice", realm, "wrong"));
    Parsed r = server.raw(m);
    EXPECT_TRUE(is_error(r, stun::allocate, 401));
    EXPECT_EQ(r.text(stun::realm), realm);
    EXPECT_TRUE(r.has(stun::nonce));
    EXPECT_EQ(server.counters().auth_failures, 1u);
    EXPECT_EQ(server.allocation(), nullptr);
}

TEST_F(TurnServer, UnknownUserIs401) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .credentials("mallory", realm, server.nonce())
        .integrity(long_term_key("mallory", realm, "alice-pw"));
    EXPECT_TRUE(is_error(server.raw(m), stun::allocate, 401));
    EXPECT_EQ(server.counters().auth_failures, 1u);
}

TEST_F(TurnServer, ExpiredNonceIs438WithANewNonce) {
    auto long_ago =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() - 2h);
    std::string old_nonce(
        server.shared().nonces.issue(long_ago, IpAddress(first_client.client)).view());
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .credentials("alice", realm, old_nonce)
        .integrity(key_of("alice"));
    Parsed r = server.raw(m);
    EXPECT_TRUE(is_error(r, stun::allocate, 438));
    EXPECT_EQ(r.text(stun::realm), realm);
    ASSERT_TRUE(r.has(stun::nonce));
    EXPECT_NE(r.text(stun::nonce), old_nonce);
    EXPECT_EQ(server.allocation(), nullptr);
}

TEST_F(TurnServer, NonceOfAnotherClientAddressIs438) {
    std::string foreign(server.shared()
                            .nonces
                            .issue(std::chrono::time_point_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now()),
                                   IpAddress::parse("127.0.0.2").value())
                            .view());
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .credentials("alice", realm, foreign)
        .integrity(key_of("alice"));
    EXPECT_TRUE(is_error(server.raw(m), stun::allocate, 438));
}

TEST_F(TurnServer, IntegrityWithoutNonceIs400AndCounted) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add_text(stun::username, "alice")
        .add_text(stun::realm, realm)
        .integrity(key_of("alice"));
    EXPECT_TRUE(is_error(server.raw(m), stun::allocate, 400));
    EXPECT_EQ(server.counters().auth_failures, 1u);
}

TEST_F(TurnServer, RestCredentialAllocates) {
    RestCredential c = mint_rest_credential(
        "s", "web-user", 3600s,
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .credentials(c.username, realm, server.nonce())
        .integrity(long_term_key(c.username, realm, c.password));
    Parsed r = server.raw(m);
    EXPECT_TRUE(is_success(r, stun::allocate));
    ASSERT_NE(server.allocation(), nullptr);
    EXPECT_EQ(server.allocation()->username(), c.username);
}

TEST_F(TurnServer, ErrorToAnAuthenticatedRequestIsSigned) {
    Parsed r = server.refresh(600);  // no allocation: 437
    EXPECT_TRUE(is_error(r, stun::refresh, 437));
    EXPECT_TRUE(signed_by(r, "alice"));
}

// ===================== Allocate =====================

TEST_F(TurnServer, AllocateReturnsRelayedAddressLifetimeAndMappedAddress) {
    Parsed r = server.allocate();
    ASSERT_TRUE(is_success(r, stun::allocate));
    auto relayed = r.xor_address(stun::xor_relayed_address);
    ASSERT_TRUE(relayed.has_value());
    EXPECT_EQ(relayed->ip_string(), "127.0.0.1");
    EXPECT_GE(relayed->port(), min_port);
    EXPECT_LE(relayed->port(), max_port);
    EXPECT_EQ(r.u32(stun::lifetime), 600u);
    EXPECT_EQ(r.xor_address(stun::xor_mapped_address), first_client.client);
    EXPECT_FALSE(r.has(stun::reservation_token));
    EXPECT_TRUE(signed_by(r, "alice"));
    EXPECT_FALSE(signed_by(r, "bob"));
}

TEST_F(TurnServer, AllocateCreatesAnAllocationAndCountsIt) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_NE(server.allocation(), nullptr);
    EXPECT_EQ(server.allocation()->username(), "alice");
    EXPECT_EQ(server.counters().allocations_created, 1u);
    EXPECT_EQ(server.counters().allocations_active, 1u);
    EXPECT_EQ(server.shared().ledger.total(), 1u);
}

TEST_F(TurnServer, RelaySocketIsReallyBoundToTheRelayedAddress) {
    Parsed r = server.allocate();
    ASSERT_TRUE(is_success(r, stun::allocate));
    auto relayed = r.xor_address(stun::xor_relayed_address).value();
    UniqueFd probe(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    EXPECT_NE(bind(probe.get(), relayed.sockaddr_ptr(), relayed.length()), 0);
}

TEST_F(TurnServer, RetransmittedAllocateIsAnsweredAgain) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp);
    Parsed first = server.ask(m);
    ASSERT_TRUE(is_success(first, stun::allocate));
    Parsed again = server.ask(m);  // same transaction ID
    ASSERT_TRUE(is_success(again, stun::allocate));
    EXPECT_EQ(again.id(), m.id());
    EXPECT_EQ(again.xor_address(stun::xor_relayed_address),
              first.xor_address(stun::xor_relayed_address));
    EXPECT_EQ(server.counters().allocations_created, 1u);
    EXPECT_EQ(server.shared().ledger.total(), 1u);
}

TEST_F(TurnServer, SecondAllocateOnTheSameFiveTupleIs437) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.allocate();  // a new transaction
    EXPECT_TRUE(is_error(r, stun::allocate, 437));
    EXPECT_TRUE(signed_by(r, "alice"));
    EXPECT_EQ(server.counters().allocations_created, 1u);
}

TEST_F(TurnServer, AllocateWithoutRequestedTransportIs400) {
    EXPECT_TRUE(is_error(server.ask(Message(stun::allocate)), stun::allocate, 400));
    EXPECT_EQ(server.allocation(), nullptr);
}

TEST_F(TurnServer, AllocateWithShortRequestedTransportIs400) {
    Message m(stun::allocate);
    m.add(stun::requested_transport, Bytes{17, 0});
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 400));
}

TEST_F(TurnServer, AllocateForTcpIs442) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_tcp);
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 442));
    EXPECT_EQ(server.shared().ledger.total(), 0u);
}

TEST_F(TurnServer, EvenPortWithReservationTokenIs400) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::even_port, Bytes{0x00})
        .add(stun::reservation_token, Bytes(8, 0x11));
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 400));
}

TEST_F(TurnServer, AddressFamilyWithReservationTokenIs400) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::requested_address_family, u8_value(0x01))
        .add(stun::reservation_token, Bytes(8, 0x11));
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 400));
}

TEST_F(TurnServer, EmptyEvenPortIs400) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add(stun::even_port, Bytes{});
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 400));
}

TEST_F(TurnServer, UnknownAddressFamilyIs440) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::requested_address_family, u8_value(0x03));
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 440));
    EXPECT_EQ(server.shared().ledger.total(), 0u);
}

TEST_F(TurnServer, Ipv6WithoutAnIpv6RelayAddressIs440) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::requested_address_family, u8_value(0x02));
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 440));
    EXPECT_EQ(server.allocation(), nullptr);
}

TEST_F(TurnServer, ExplicitIpv4FamilyAllocates) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::requested_address_family, u8_value(0x01));
    EXPECT_TRUE(is_success(server.ask(m), stun::allocate));
}

TEST_F(TurnServer, LongLifetimeIsCappedAtMaxLifetime) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add_u32(stun::lifetime, 5000);
    Parsed r = server.ask(m);
    ASSERT_TRUE(is_success(r, stun::allocate));
    EXPECT_EQ(r.u32(stun::lifetime), 3600u);
}

TEST_F(TurnServer, ShortLifetimeIsRaisedToTheDefault) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add_u32(stun::lifetime, 100);
    Parsed r = server.ask(m);
    ASSERT_TRUE(is_success(r, stun::allocate));
    EXPECT_EQ(r.u32(stun::lifetime), 600u);
}

TEST_F(TurnServer, EvenPortGivesAnEvenPort) {
    for (int i = 0; i < 8; ++i) {
        ClientLink link = link_from(static_cast<uint16_t>(6000 + i));
        Message m(stun::allocate);
        m.add_u32(stun::requested_transport, stun::transport_udp).add(stun::even_port, Bytes{0});
        Parsed r = server.ask(m, link);
        ASSERT_TRUE(is_success(r, stun::allocate));
        EXPECT_EQ(r.xor_address(stun::xor_relayed_address).value().port() % 2, 0) << i;
        EXPECT_FALSE(r.has(stun::reservation_token));
    }
}

TEST_F(TurnServer, ReserveBitGivesATokenForTheNextPort) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add(stun::even_port, Bytes{0x80});
    Parsed first = server.ask(m);
    ASSERT_TRUE(is_success(first, stun::allocate));
    uint16_t port = first.xor_address(stun::xor_relayed_address).value().port();
    EXPECT_EQ(port % 2, 0);
    auto token = first.attribute(stun::reservation_token);
    ASSERT_TRUE(token.has_value());
    ASSERT_EQ(token->size(), 8u);

    Message second(stun::allocate);
    second.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::reservation_token, *token);
    Parsed r = server.ask(second, second_client);
    ASSERT_TRUE(is_success(r, stun::allocate));
    EXPECT_EQ(r.xor_address(stun::xor_relayed_address).value().port(), port + 1);
}

TEST_F(TurnServer, ReservationTokenWorksOnce) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add(stun::even_port, Bytes{0x80});
    Parsed first = server.ask(m);
    ASSERT_TRUE(is_success(first, stun::allocate));
    Bytes token = first.attribute(stun::reservation_token).value();
    for (uint16_t client_port : {5556, 5557}) {
        Message use(stun::allocate);
        use.add_u32(stun::requested_transport, stun::transport_udp)
            .add(stun::reservation_token, token);
        Parsed r = server.ask(use, link_from(client_port));
        if (client_port == 5556) {
            EXPECT_TRUE(is_success(r, stun::allocate));
        } else {
            EXPECT_TRUE(is_error(r, stun::allocate, 508));
        }
    }
    EXPECT_EQ(server.shared().ledger.total(), 2u);
}

TEST_F(TurnServer, UnknownReservationTokenIs508AndHoldsNoQuota) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::reservation_token, Bytes(8, 0x42));
    EXPECT_TRUE(is_error(server.ask(m), stun::allocate, 508));
    EXPECT_EQ(server.shared().ledger.total(), 0u);
    EXPECT_EQ(server.allocation(), nullptr);
}

// RFC 8656 section 7.2: a retransmitted Allocate gets the first answer
// again, so a client whose first success was lost still learns its token.
TEST_F(TurnServer, RetransmittedAllocateRepeatsTheReservationToken) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add(stun::even_port, Bytes{0x80});
    Parsed first = server.ask(m);
    ASSERT_TRUE(is_success(first, stun::allocate));
    Parsed again = server.ask(m);
    ASSERT_TRUE(is_success(again, stun::allocate));
    EXPECT_EQ(again.attribute(stun::reservation_token), first.attribute(stun::reservation_token));
}

TEST_F(TurnServer, DontFragmentIsAccepted) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add(stun::dont_fragment, Bytes{});
    EXPECT_TRUE(is_success(server.ask(m), stun::allocate));
}

// --- IPv6 relayed addresses (need ::1) ---

bool loopback_v6_works() {
    UniqueFd fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    SocketAddress any = address("[::1]:0");
    return fd && bind(fd.get(), any.sockaddr_ptr(), any.length()) == 0;
}

const std::string dual_stack_relay =
    "allow-loopback-peers = true\nmin-port = 45000\nmax-port = 45099\n"
    "relay-ip = 127.0.0.1, ::1\n";

Parsed allocate_v6(TestServer& server) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp)
        .add(stun::requested_address_family, u8_value(0x02));
    return server.ask(m);
}

TEST(TurnServerIpv6, Ipv6FamilyGivesAnIpv6RelayedAddress) {
    if (!loopback_v6_works()) {
        GTEST_SKIP() << "no ::1 here";
    }
    TestServer server(dual_stack_relay);
    Parsed r = allocate_v6(server);
    ASSERT_TRUE(is_success(r, stun::allocate));
    auto relayed = r.xor_address(stun::xor_relayed_address);
    ASSERT_TRUE(relayed.has_value());
    EXPECT_EQ(relayed->ip_string(), "::1");
    EXPECT_GE(relayed->port(), min_port);
    EXPECT_LE(relayed->port(), max_port);
    EXPECT_EQ(r.xor_address(stun::xor_mapped_address), first_client.client);
}

TEST(TurnServerIpv6, Ipv4PeerOnIpv6AllocationIs443) {
    if (!loopback_v6_works()) {
        GTEST_SKIP() << "no ::1 here";
    }
    TestServer server(dual_stack_relay);
    ASSERT_TRUE(is_success(allocate_v6(server), stun::allocate));
    EXPECT_TRUE(
        is_error(server.create_permission({"127.0.0.2:7000"}), stun::create_permission, 443));
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "127.0.0.2:7000"), stun::channel_bind, 443));
    EXPECT_TRUE(is_success(server.create_permission({"[::1]:7000"}), stun::create_permission));
}

TEST(TurnServerIpv6, RefreshAskingForIpv4OnIpv6AllocationIs443) {
    if (!loopback_v6_works()) {
        GTEST_SKIP() << "no ::1 here";
    }
    TestServer server(dual_stack_relay);
    ASSERT_TRUE(is_success(allocate_v6(server), stun::allocate));
    Message m(stun::refresh);
    m.add_u32(stun::lifetime, 600).add(stun::requested_address_family, u8_value(0x01));
    EXPECT_TRUE(is_error(server.ask(m), stun::refresh, 443));
    EXPECT_TRUE(is_success(server.refresh(600), stun::refresh));
}

// --- quotas at Allocate ---

TEST(TurnServerQuotas, UserQuotaRefusesASecondFiveTupleWith486) {
    TestServer server(default_relay, "user-quota = 1\n");
    ASSERT_TRUE(is_success(server.allocate(first_client), stun::allocate));
    Parsed r = server.allocate(second_client);
    EXPECT_TRUE(is_error(r, stun::allocate, 486));
    EXPECT_TRUE(signed_by(r, "alice"));
    EXPECT_EQ(server.shared().ledger.total(), 1u);
    // Another user is not affected.
    EXPECT_TRUE(is_success(server.allocate(second_client, "bob"), stun::allocate));
}

TEST(TurnServerQuotas, TotalQuotaRefusesAnyUserWith508) {
    TestServer server(default_relay, "user-quota = 0\ntotal-quota = 1\n");
    ASSERT_TRUE(is_success(server.allocate(first_client), stun::allocate));
    EXPECT_TRUE(is_error(server.allocate(second_client, "bob"), stun::allocate, 508));
    EXPECT_EQ(server.shared().ledger.total(), 1u);
}

TEST(TurnServerQuotas, ExhaustedPortRangeIs508AndReleasesTheQuota) {
    TestServer server("allow-loopback-peers = true\nmin-port = 45150\nmax-port = 45150\n",
                      default_quotas);
    Parsed first = server.allocate(first_client);
    ASSERT_TRUE(is_success(first, stun::allocate));
    EXPECT_EQ(first.xor_address(stun::xor_relayed_address).value().port(), 45150);
    EXPECT_TRUE(is_error(server.allocate(second_client), stun::allocate, 508));
    EXPECT_EQ(server.shared().ledger.total(), 1u);
    EXPECT_EQ(server.counters().allocations_created, 1u);
}

TEST(TurnServerQuotas, DeletedAllocationGivesItsQuotaBack) {
    TestServer server(default_relay, "user-quota = 1\n");
    ASSERT_TRUE(is_success(server.allocate(first_client), stun::allocate));
    ASSERT_TRUE(is_success(server.refresh(0, first_client), stun::refresh));
    EXPECT_TRUE(is_success(server.allocate(second_client), stun::allocate));
}

// ===================== Refresh =====================

TEST_F(TurnServer, RefreshWithoutAllocationIs437) {
    EXPECT_TRUE(is_error(server.refresh(600), stun::refresh, 437));
}

TEST_F(TurnServer, RefreshExtendsTheLifetime) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.refresh(1200);
    ASSERT_TRUE(is_success(r, stun::refresh));
    EXPECT_EQ(r.u32(stun::lifetime), 1200u);
    EXPECT_TRUE(signed_by(r, "alice"));
    EXPECT_EQ(server.allocation()->expires, server.worker().now() + 1200s);
}

TEST_F(TurnServer, RefreshWithoutLifetimeGrantsTheDefault) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.refresh(std::nullopt);
    ASSERT_TRUE(is_success(r, stun::refresh));
    EXPECT_EQ(r.u32(stun::lifetime), 600u);
}

TEST_F(TurnServer, RefreshCapsAtMaxLifetime) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.refresh(100000);
    ASSERT_TRUE(is_success(r, stun::refresh));
    EXPECT_EQ(r.u32(stun::lifetime), 3600u);
}

TEST_F(TurnServer, RefreshWithLifetimeZeroDeletesTheAllocation) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.refresh(0);
    ASSERT_TRUE(is_success(r, stun::refresh));
    EXPECT_EQ(r.u32(stun::lifetime), 0u);
    EXPECT_EQ(server.allocation(), nullptr);
    EXPECT_EQ(server.counters().allocations_active, 0u);
    EXPECT_EQ(server.shared().ledger.total(), 0u);
    EXPECT_TRUE(is_error(server.refresh(600), stun::refresh, 437));
}

TEST_F(TurnServer, RefreshByAnotherUserIs441) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.refresh(0, first_client, "bob");
    EXPECT_TRUE(is_error(r, stun::refresh, 441));
    EXPECT_NE(server.allocation(), nullptr);
}

TEST_F(TurnServer, RefreshAskingForAnotherFamilyIs443) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Message m(stun::refresh);
    m.add_u32(stun::lifetime, 600).add(stun::requested_address_family, u8_value(0x02));
    EXPECT_TRUE(is_error(server.ask(m), stun::refresh, 443));
}

TEST_F(TurnServer, AllocateByAnotherUserOnTheSameFiveTupleIs437) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(is_error(server.allocate(first_client, "bob"), stun::allocate, 437));
    EXPECT_EQ(server.allocation()->username(), "alice");
}

// ===================== CreatePermission =====================

TEST_F(TurnServer, CreatePermissionInstallsOnePerPeer) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.create_permission({"127.0.0.2:7000", "127.0.0.3:7000"});
    ASSERT_TRUE(is_success(r, stun::create_permission));
    EXPECT_TRUE(signed_by(r, "alice"));
    EXPECT_EQ(server.allocation()->permission_count(), 2u);
    auto now = server.worker().now();
    EXPECT_TRUE(server.allocation()->permits(IpAddress::parse("127.0.0.2").value(), now));
    EXPECT_TRUE(server.allocation()->permits(IpAddress::parse("127.0.0.3").value(), now));
    EXPECT_FALSE(server.allocation()->permits(IpAddress::parse("127.0.0.4").value(), now));
}

TEST_F(TurnServer, CreatePermissionWithoutAllocationIs437) {
    EXPECT_TRUE(
        is_error(server.create_permission({"127.0.0.2:7000"}), stun::create_permission, 437));
}

TEST_F(TurnServer, CreatePermissionWithAnotherUsersCredentialsIs441) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.create_permission({"127.0.0.2:7000"}, first_client, "bob");
    EXPECT_TRUE(is_error(r, stun::create_permission, 441));
    EXPECT_EQ(server.allocation()->permission_count(), 0u);
}

TEST_F(TurnServer, CreatePermissionWithoutPeerIs400) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(
        is_error(server.ask(Message(stun::create_permission)), stun::create_permission, 400));
}

TEST_F(TurnServer, MalformedPeerAddressIs400) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    for (const Bytes& value : {Bytes{0, 0x07, 1, 2, 3, 4, 5, 6},     // no such family
                               Bytes{0, 0x01, 1, 2, 3, 4},           // short IPv4
                               Bytes{0, 0x02, 1, 2, 3, 4, 5, 6}}) {  // short IPv6
        Message m(stun::create_permission);
        m.add(stun::xor_peer_address, value);
        EXPECT_TRUE(is_error(server.ask(m), stun::create_permission, 400));
    }
    EXPECT_EQ(server.allocation()->permission_count(), 0u);
}

TEST_F(TurnServer, Ipv6PeerOnIpv4AllocationIs443) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(
        is_error(server.create_permission({"[2001:db8::1]:7000"}), stun::create_permission, 443));
}

TEST_F(TurnServer, PrivatePeerIs403AndCounted) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.create_permission({"10.0.0.1:7000"});
    EXPECT_TRUE(is_error(r, stun::create_permission, 403));
    EXPECT_TRUE(signed_by(r, "alice"));
    EXPECT_EQ(server.counters().peer_denied, 1u);
    EXPECT_EQ(server.allocation()->permission_count(), 0u);
}

TEST_F(TurnServer, OneDeniedPeerInstallsNoneOfTheOthers) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(is_error(server.create_permission({"127.0.0.2:7000", "10.0.0.1:7000"}),
                         stun::create_permission, 403));
    EXPECT_EQ(server.allocation()->permission_count(), 0u);
}

TEST(TurnServerPolicy, LoopbackPeerIs403UnlessAllowed) {
    TestServer server("allow-loopback-peers = false\nmin-port = 45000\nmax-port = 45099\n");
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(
        is_error(server.create_permission({"127.0.0.1:7000"}), stun::create_permission, 403));
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "127.0.0.1:7000"), stun::channel_bind, 403));
    EXPECT_EQ(server.counters().peer_denied, 2u);
}

TEST(TurnServerQuotas, MaxPermissionsIs508) {
    TestServer server(default_relay, "max-permissions = 2\n");
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({"127.0.0.2:1"}), stun::create_permission));
    ASSERT_TRUE(is_success(server.create_permission({"127.0.0.3:1"}), stun::create_permission));
    EXPECT_TRUE(is_error(server.create_permission({"127.0.0.4:1"}), stun::create_permission, 508));
    // Refreshing one that exists needs no room.
    EXPECT_TRUE(is_success(server.create_permission({"127.0.0.2:2"}), stun::create_permission));
    EXPECT_EQ(server.allocation()->permission_count(), 2u);
}

// RFC 8656 section 10.2: all the permissions of a request, or none.
TEST(TurnServerQuotas, PermissionsThatDoNotAllFitInstallNone) {
    TestServer server(default_relay, "max-permissions = 2\n");
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(is_error(server.create_permission({"127.0.0.2:1", "127.0.0.3:1", "127.0.0.4:1"}),
                         stun::create_permission, 508));
    EXPECT_EQ(server.allocation()->permission_count(), 0u);
}

// One address named twice in a request takes one permission, not two.
TEST(TurnServerQuotas, APeerNamedTwiceCountsOnce) {
    TestServer server(default_relay, "max-permissions = 2\n");
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({"127.0.0.2:1"}), stun::create_permission));
    EXPECT_TRUE(is_success(server.create_permission({"127.0.0.3:1", "127.0.0.3:2"}),
                           stun::create_permission));
    EXPECT_EQ(server.allocation()->permission_count(), 2u);
}

// ===================== ChannelBind =====================

TEST_F(TurnServer, ChannelBindBindsAndInstallsAPermission) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Parsed r = server.channel_bind(0x4000, "127.0.0.2:7000");
    ASSERT_TRUE(is_success(r, stun::channel_bind));
    EXPECT_TRUE(signed_by(r, "alice"));
    const ChannelBinding* channel = server.allocation()->channel(0x4000);
    ASSERT_NE(channel, nullptr);
    EXPECT_EQ(channel->peer, address("127.0.0.2:7000"));
    EXPECT_TRUE(
        server.allocation()->permits(IpAddress::parse("127.0.0.2").value(), server.worker().now()));
}

TEST_F(TurnServer, ChannelBindAgainRefreshes) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.channel_bind(0x4000, "127.0.0.2:7000"), stun::channel_bind));
    EXPECT_TRUE(is_success(server.channel_bind(0x4000, "127.0.0.2:7000"), stun::channel_bind));
    EXPECT_EQ(server.allocation()->channel_count(), 1u);
}

TEST_F(TurnServer, ChannelNumberOutOfRangeIs400) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    for (uint16_t number : {0x0000, 0x3FFF, 0x8000, 0xFFFF}) {
        EXPECT_TRUE(
            is_error(server.channel_bind(number, "127.0.0.2:7000"), stun::channel_bind, 400))
            << std::hex << number;
    }
    EXPECT_EQ(server.allocation()->channel_count(), 0u);
}

TEST_F(TurnServer, ChannelBindWithoutNumberOrPeerIs400) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Message no_number(stun::channel_bind);
    no_number.add_xor(stun::xor_peer_address, address("127.0.0.2:7000"));
    EXPECT_TRUE(is_error(server.ask(no_number), stun::channel_bind, 400));
    Message no_peer(stun::channel_bind);
    no_peer.add(stun::channel_number, channel_value(0x4000));
    EXPECT_TRUE(is_error(server.ask(no_peer), stun::channel_bind, 400));
}

TEST_F(TurnServer, ChannelBindWithMalformedPeerIs400) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    Message m(stun::channel_bind);
    m.add(stun::channel_number, channel_value(0x4000))
        .add(stun::xor_peer_address, Bytes{0, 0x09, 0, 0, 0, 0, 0, 0});
    EXPECT_TRUE(is_error(server.ask(m), stun::channel_bind, 400));
}

TEST_F(TurnServer, ChannelNumberTakenByAnotherPeerIs400) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.channel_bind(0x4000, "127.0.0.2:7000"), stun::channel_bind));
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "127.0.0.3:7000"), stun::channel_bind, 400));
    EXPECT_TRUE(is_error(server.channel_bind(0x4001, "127.0.0.2:7000"), stun::channel_bind, 400));
    EXPECT_EQ(server.allocation()->channel_count(), 1u);
}

TEST_F(TurnServer, ChannelToIpv6PeerOnIpv4AllocationIs443) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "[::1]:7000"), stun::channel_bind, 443));
}

TEST_F(TurnServer, ChannelToPrivatePeerIs403) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "10.0.0.1:7000"), stun::channel_bind, 403));
    EXPECT_EQ(server.counters().peer_denied, 1u);
    EXPECT_EQ(server.allocation()->channel_count(), 0u);
}

TEST_F(TurnServer, ChannelBindWithAnotherUsersCredentialsIs441) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "127.0.0.2:7000", first_client, "bob"),
                         stun::channel_bind, 441));
}

TEST_F(TurnServer, ChannelBindWithoutAllocationIs437) {
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "127.0.0.2:7000"), stun::channel_bind, 437));
}

TEST(TurnServerQuotas, MaxChannelsIs508) {
    TestServer server(default_relay, "max-channels = 1\n");
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.channel_bind(0x4000, "127.0.0.2:7000"), stun::channel_bind));
    EXPECT_TRUE(is_error(server.channel_bind(0x4001, "127.0.0.3:7000"), stun::channel_bind, 508));
    EXPECT_EQ(server.allocation()->channel_count(), 1u);
}

TEST(TurnServerQuotas, ChannelNeedingAPermissionBeyondMaxPermissionsIs508) {
    TestServer server(default_relay, "max-permissions = 1\n");
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({"127.0.0.2:1"}), stun::create_permission));
    EXPECT_TRUE(is_error(server.channel_bind(0x4000, "127.0.0.3:7000"), stun::channel_bind, 508));
}

// A channel whose permission does not fit is refused and not bound (else
// it would hold its number and peer for 10 minutes, relaying nothing).
TEST(TurnServerQuotas, ChannelRefusedFor508IsNotBound) {
    TestServer server(default_relay, "max-permissions = 1\n");
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({"127.0.0.2:1"}), stun::create_permission));
    ASSERT_TRUE(is_error(server.channel_bind(0x4000, "127.0.0.3:7000"), stun::channel_bind, 508));
    EXPECT_EQ(server.allocation()->channel(0x4000), nullptr);
    EXPECT_EQ(server.allocation()->channel_count(), 0u);
}

// ===================== Send indication =====================

// A UDP socket on 127.0.0.1 standing for a peer.
class Peer {
  public:
    Peer() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        SocketAddress any = test::address("127.0.0.1:0");
        EXPECT_EQ(bind(fd_.get(), any.sockaddr_ptr(), any.length()), 0);
        sockaddr_storage bound{};
        socklen_t length = sizeof(bound);
        getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&bound), &length);
        address_ = SocketAddress(reinterpret_cast<sockaddr*>(&bound), length);
    }
    const SocketAddress& address() const { return address_; }
    void send_to(const SocketAddress& to, std::string_view text) const {
        EXPECT_EQ(sendto(fd_.get(), text.data(), text.size(), 0, to.sockaddr_ptr(), to.length()),
                  static_cast<ssize_t>(text.size()));
    }
    // What arrives within `timeout_ms`, or nothing.
    std::optional<std::string> receive(int timeout_ms = 1000) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1) {
            return std::nullopt;
        }
        char buffer[2048];
        ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
        return n < 0 ? std::nullopt : std::optional<std::string>(std::string(buffer, n));
    }

  private:
    UniqueFd fd_;
    SocketAddress address_;
};

Message send_indication(const SocketAddress& peer, std::string_view payload) {
    Message m(stun::send | stun::indication);
    m.add_xor(stun::xor_peer_address, peer).add_text(stun::data, payload);
    return m;
}

TEST_F(TurnServer, SendIndicationReachesAPermittedPeer) {
    Peer peer;
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({peer.address().to_string()}),
                           stun::create_permission));
    Parsed r = server.raw(send_indication(peer.address(), "hello peer"));
    EXPECT_TRUE(r.empty());  // indications are not answered
    server.worker().outbox().flush();
    EXPECT_EQ(peer.receive(), "hello peer");
    EXPECT_EQ(server.counters().relayed_to_peer_packets, 1u);
}

TEST_F(TurnServer, SendIndicationWithoutPermissionIsDropped) {
    Peer peer;
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({"127.0.0.2:1"}), stun::create_permission));
    server.raw(send_indication(peer.address(), "hello peer"));
    server.worker().outbox().flush();
    EXPECT_EQ(server.counters().dropped_no_permission, 1u);
    EXPECT_EQ(server.counters().relayed_to_peer_packets, 0u);
    EXPECT_EQ(peer.receive(200), std::nullopt);
}

TEST_F(TurnServer, SendIndicationWithoutAllocationIsDropped) {
    Peer peer;
    server.raw(send_indication(peer.address(), "hello peer"));
    EXPECT_EQ(server.counters().dropped_no_allocation, 1u);
}

// ===================== the packet path =====================

TEST_F(TurnServer, RelayingAllocatesNoMemoryInEitherDirection) {
    Peer peer;
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(
        is_success(server.channel_bind(0x4001, peer.address().to_string()), stun::channel_bind));
    Bytes frame = {0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
    Allocation* a = server.allocation();
    // Warm up once: the outbox and sockets are set up on first use.
    server.worker().stun().handle_channel_data(frame, first_client);
    server.worker().outbox().flush();
    ASSERT_EQ(peer.receive(), "hello");

    long before = heap_allocations;
    for (int i = 0; i < 100; ++i) {
        server.worker().stun().handle_channel_data(frame, first_client);
    }
    server.worker().outbox().flush();
    a->on_events(0);  // nothing from the peer yet: an empty read
    long client_to_peer = heap_allocations - before;
    EXPECT_EQ(client_to_peer, 0);
    EXPECT_EQ(server.counters().relayed_to_peer_packets, 101u);

    // Peer to client: the peer's datagram is read, framed as ChannelData in
    // place and queued for the client (whose fd is -1 here, so the send
    // fails and is counted; the path up to the send is the one measured).
    peer.send_to(a->relayed(), "back");
    usleep(20'000);  // loopback delivers at once; this only yields the core
    before = heap_allocations;
    a->on_events(0);
    EXPECT_EQ(heap_allocations - before, 0);
    EXPECT_EQ(server.counters().relayed_to_client_packets, 1u);
}

// ===================== relay sockets between allocations =====================

TEST_F(TurnServer, DeletedAllocationsRelayAddressServesTheNextAllocate) {
    Parsed first = server.allocate(first_client);
    ASSERT_TRUE(is_success(first, stun::allocate));
    ASSERT_TRUE(is_success(server.refresh(0, first_client), stun::refresh));
    EXPECT_EQ(server.worker().relay_sockets().size(), 1u);

    Parsed second = server.allocate(second_client, "bob");
    ASSERT_TRUE(is_success(second, stun::allocate));
    EXPECT_EQ(second.xor_address(stun::xor_relayed_address).value(),
              first.xor_address(stun::xor_relayed_address).value());
    EXPECT_EQ(server.worker().relay_sockets().size(), 0u);
    EXPECT_EQ(server.worker().relay_sockets().reused(), 1u);
}

TEST_F(TurnServer, FormerPeerOfAReusedRelayAddressIsDropped) {
    Peer peer;
    ASSERT_TRUE(is_success(server.allocate(first_client), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({peer.address().to_string()}, first_client),
                           stun::create_permission));
    ASSERT_TRUE(is_success(server.refresh(0, first_client), stun::refresh));
    ASSERT_TRUE(is_success(server.allocate(second_client, "bob"), stun::allocate));
    Allocation* reused = server.allocation(second_client);
    ASSERT_EQ(server.worker().relay_sockets().reused(), 1u);

    peer.send_to(reused->relayed(), "meant for the old client");
    usleep(20'000);
    reused->on_events(0);
    EXPECT_EQ(server.counters().dropped_no_permission, 1u);
    EXPECT_EQ(server.counters().relayed_to_client_packets, 0u);
}

TEST_F(TurnServer, UnusedRelaySocketDropsWhatArrivesAndCountsIt) {
    Parsed r = server.allocate();
    ASSERT_TRUE(is_success(r, stun::allocate));
    auto relayed = r.xor_address(stun::xor_relayed_address).value();
    ASSERT_TRUE(is_success(server.refresh(0), stun::refresh));

    Peer peer;
    peer.send_to(relayed, "one");
    peer.send_to(relayed, "two");
    usleep(20'000);
    auto pooled = server.worker().relay_sockets().take(relayed, min_port, max_port);
    ASSERT_NE(pooled, nullptr);
    ASSERT_FALSE(pooled->attached());
    pooled->on_events(0);
    EXPECT_EQ(server.counters().dropped_no_allocation, 2u);
}

TEST_F(TurnServer, DontFragmentRelaySocketIsNotReused) {
    Message m(stun::allocate);
    m.add_u32(stun::requested_transport, stun::transport_udp).add(stun::dont_fragment, Bytes{});
    ASSERT_TRUE(is_success(server.ask(m), stun::allocate));
    ASSERT_TRUE(is_success(server.refresh(0), stun::refresh));
    EXPECT_EQ(server.worker().relay_sockets().size(), 0u);
}

TEST(TurnServerQuotas, SmallPortRangeKeepsNoUnusedRelaySockets) {
    // Eight ports: keeping any would take them from the other workers.
    TestServer server("allow-loopback-peers = true\nmin-port = 45150\nmax-port = 45157\n",
                      default_quotas);
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.refresh(0), stun::refresh));
    EXPECT_EQ(server.worker().relay_sockets().size(), 0u);
}

TEST(RelaySocketPool, CapacityIsBoundedByThePortRangeAndTheWorkers) {
    EXPECT_EQ(RelaySocketPool::capacity_for(49152, 65535, 2), 256u);
    EXPECT_EQ(RelaySocketPool::capacity_for(50000, 50999, 2), 31u);  // 1,000 / 32
    EXPECT_EQ(RelaySocketPool::capacity_for(50000, 50999, 64), 0u);
    EXPECT_EQ(RelaySocketPool::capacity_for(50000, 49999, 1), 0u);
}

// ===================== bans (the admin API's) =====================

TEST_F(TurnServer, BanEndsTheClientsAllocationsAndRefusesItsAllocates) {
    ASSERT_TRUE(is_success(server.allocate(first_client), stun::allocate));
    auto bans = std::make_shared<CidrSet>();
    bans->add(Cidr(IpAddress(first_client.client), 32));
    server.worker().ban(bans);
    EXPECT_EQ(server.allocation(first_client), nullptr);
    EXPECT_EQ(server.counters().allocations_active, 0u);
    EXPECT_EQ(server.shared().ledger.total(), 0u);
    EXPECT_TRUE(is_error(server.allocate(first_client), stun::allocate, 403));
    EXPECT_EQ(server.counters().banned_refused, 1u);
    server.worker().ban(nullptr);  // lifted
    EXPECT_TRUE(is_success(server.allocate(first_client), stun::allocate));
}

// ===================== lifetimes (RFC 8656 sections 7, 9, 12) =====================

TEST_F(TurnServer, PermissionLastsThreeHundredSeconds) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.create_permission({"127.0.0.2:1"}), stun::create_permission));
    Allocation* a = server.allocation();
    auto peer = *IpAddress::parse("127.0.0.2");
    auto start = server.worker().now();
    EXPECT_TRUE(a->permits(peer, start + 299s));
    EXPECT_FALSE(a->permits(peer, start + 300s));
    server.worker().housekeeping(start + 301s);
    EXPECT_EQ(a->permission_count(), 0u);
}

TEST_F(TurnServer, ChannelLastsSixHundredSecondsItsPermissionThreeHundred) {
    ASSERT_TRUE(is_success(server.allocate(), stun::allocate));
    ASSERT_TRUE(is_success(server.channel_bind(0x4000, "127.0.0.2:7"), stun::channel_bind));
    ASSERT_TRUE(is_success(server.refresh(3600), stun::refresh));
    Allocation* a = server.allocation();
    auto start = server.worker().now();
    server.worker().housekeeping(start + 599s);
    EXPECT_NE(a->channel(0x4000), nullptr);
    EXPECT_EQ(a->permission_count(), 0u) << "the permission from ChannelBind lasts 300 s";
    server.worker().housekeeping(start + 601s);
    EXPECT_EQ(a->channel(0x4000), nullptr);
}

TEST_F(TurnServer, AllocationEndsAtItsLifetimeAndFreesItsQuota) {
    TestServer limited(default_relay, "user-quota = 1\n");
    ASSERT_TRUE(is_success(limited.allocate(), stun::allocate));
    ASSERT_TRUE(is_error(limited.allocate(second_client), stun::allocate, 486));
    auto start = limited.worker().now();
    limited.worker().housekeeping(start + 599s);
    EXPECT_NE(limited.allocation(), nullptr) << "the default lifetime is 600 s";
    limited.worker().housekeeping(start + 600s);
    EXPECT_EQ(limited.allocation(), nullptr);
    EXPECT_EQ(limited.counters().allocations_expired, 1u);
    EXPECT_EQ(limited.counters().allocations_active, 0u);
    EXPECT_TRUE(is_success(limited.allocate(second_client), stun::allocate));
}

}  // namespace
}  // namespace turnpike::relay
