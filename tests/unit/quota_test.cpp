// Quotas and their helpers: the shared allocation ledger, the token bucket
// behind max-bps / bps-capacity, EVEN-PORT reservations, and the lifetime a
// request is granted.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "relay/quota.hpp"
#include "relay/reservation.hpp"
#include "relay/stun_server.hpp"

namespace turnpike::relay {
namespace {

using namespace std::chrono_literals;
using Verdict = AllocationLedger::Verdict;

// --- AllocationLedger ---

TEST(AllocationLedger, GrantsUpToTheUserQuota) {
    AllocationLedger ledger;
    EXPECT_EQ(ledger.acquire("alice", 2, 0), Verdict::granted);
    EXPECT_EQ(ledger.acquire("alice", 2, 0), Verdict::granted);
    EXPECT_EQ(ledger.acquire("alice", 2, 0), Verdict::user_quota);
    EXPECT_EQ(ledger.total(), 2u);
}

TEST(AllocationLedger, UserQuotaIsPerUser) {
    AllocationLedger ledger;
    EXPECT_EQ(ledger.acquire("alice", 1, 0), Verdict::granted);
    EXPECT_EQ(ledger.acquire("bob", 1, 0), Verdict::granted);
    EXPECT_EQ(ledger.acquire("alice", 1, 0), Verdict::user_quota);
    EXPECT_EQ(ledger.total(), 2u);
}

TEST(AllocationLedger, GrantsUpToTheTotalQuotaAcrossUsers) {
    AllocationLedger ledger;
    EXPECT_EQ(ledger.acquire("alice", 0, 2), Verdict::granted);
    EXPECT_EQ(ledger.acquire("bob", 0, 2), Verdict::granted);
    EXPECT_EQ(ledger.acquire("carol", 0, 2), Verdict::total_quota);
    EXPECT_EQ(ledger.total(), 2u);
}

TEST(AllocationLedger, RefusalCountsNothing) {
    AllocationLedger ledger;
    ASSERT_EQ(ledger.acquire("alice", 1, 0), Verdict::granted);
    ASSERT_EQ(ledger.acquire("alice", 1, 0), Verdict::user_quota);
    ledger.release("alice");
    EXPECT_EQ(ledger.total(), 0u);
    // Had the refusal been counted, alice would still hold one.
    EXPECT_EQ(ledger.acquire("alice", 1, 0), Verdict::granted);
}

TEST(AllocationLedger, ReleaseFreesTheUserAndTotalSlots) {
    AllocationLedger ledger;
    ASSERT_EQ(ledger.acquire("alice", 1, 1), Verdict::granted);
    ASSERT_EQ(ledger.acquire("alice", 1, 1), Verdict::total_quota);
    ledger.release("alice");
    EXPECT_EQ(ledger.total(), 0u);
    EXPECT_EQ(ledger.acquire("alice", 1, 1), Verdict::granted);
    EXPECT_EQ(ledger.total(), 1u);
}

TEST(AllocationLedger, ReleasingAnUnknownUserChangesNothing) {
    AllocationLedger ledger;
    ASSERT_EQ(ledger.acquire("alice", 0, 0), Verdict::granted);
    ledger.release("bob");
    EXPECT_EQ(ledger.total(), 1u);
    ledger.release("alice");
    ledger.release("alice");  // once too often
    EXPECT_EQ(ledger.total(), 0u);
}

TEST(AllocationLedger, ZeroMeansUnlimited) {
    AllocationLedger ledger;
    for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(ledger.acquire("alice", 0, 0), Verdict::granted) << i;
    }
    EXPECT_EQ(ledger.total(), 1000u);
}

TEST(AllocationLedger, ConcurrentAcquireAndReleaseStayConsistent) {
    AllocationLedger ledger;
    constexpr unsigned total_quota = 3;
    constexpr int rounds = 20000;
    std::atomic<int> held{0};
    std::atomic<int> most_held{0};
    std::atomic<int> grants{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            // Two threads share a user, so the per-user count is contended too.
            const std::string user = t < 2 ? "shared" : "user" + std::to_string(t);
            for (int i = 0; i < rounds; ++i) {
                if (ledger.acquire(user, 2, total_quota) != Verdict::granted) {
                    continue;
                }
                ++grants;
                int now_held = ++held;
                int seen = most_held.load();
                while (now_held > seen && !most_held.compare_exchange_weak(seen, now_held)) {
                }
                --held;
                ledger.release(user);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(ledger.total(), 0u);
    EXPECT_LE(most_held.load(), static_cast<int>(total_quota));
    EXPECT_GT(grants.load(), 0);
    // Nothing leaked per user either: each can take its full quota again.
    for (const char* user : {"shared", "user2", "user3"}) {
        EXPECT_EQ(ledger.acquire(user, 1, 0), Verdict::granted) << user;
    }
}

// --- TokenBucket ---

// A fabricated clock: far from the epoch, which the bucket treats as "never".
const Clock::time_point t0 = Clock::time_point{} + 1h;

TEST(TokenBucket, RateZeroIsUnlimited) {
    TokenBucket bucket;
    bucket.set_rate(0);
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(bucket.take(1'000'000'000, t0));
    }
}

TEST(TokenBucket, AllowsOneSecondOfBurstThenRefuses) {
    TokenBucket bucket;
    bucket.set_rate(1000);
    EXPECT_TRUE(bucket.take(600, t0));
    EXPECT_TRUE(bucket.take(400, t0));
    EXPECT_FALSE(bucket.take(1, t0));
}

TEST(TokenBucket, RefusalTakesNothing) {
    TokenBucket bucket;
    bucket.set_rate(1000);
    EXPECT_TRUE(bucket.take(900, t0));
    EXPECT_FALSE(bucket.take(101, t0));
    EXPECT_TRUE(bucket.take(100, t0));
}

TEST(TokenBucket, RefillsInProportionToElapsedTime) {
    TokenBucket bucket;
    bucket.set_rate(1000);
    ASSERT_TRUE(bucket.take(1000, t0));
    EXPECT_FALSE(bucket.take(1, t0 + 999us));
    EXPECT_TRUE(bucket.take(250, t0 + 250ms));
    EXPECT_FALSE(bucket.take(1, t0 + 250ms));
    EXPECT_FALSE(bucket.take(501, t0 + 750ms));
    EXPECT_TRUE(bucket.take(500, t0 + 750ms));
}

TEST(TokenBucket, RefillIsCappedAtOneSecondOfBurst) {
    TokenBucket bucket;
    bucket.set_rate(1000);
    ASSERT_TRUE(bucket.take(1000, t0));
    EXPECT_FALSE(bucket.take(1001, t0 + 1h));
    EXPECT_TRUE(bucket.take(1000, t0 + 1h));
    EXPECT_FALSE(bucket.take(1, t0 + 1h));
}

TEST(TokenBucket, SmallTimeSlicesAccumulate) {
    TokenBucket bucket;
    bucket.set_rate(1000);  // one byte per millisecond
    ASSERT_TRUE(bucket.take(1000, t0));
    // Each 100 us slice earns less than a byte; ten of them earn one.
    for (int i = 1; i < 10; ++i) {
        EXPECT_FALSE(bucket.take(1, t0 + i * 100us)) << i;
    }
    EXPECT_TRUE(bucket.take(1, t0 + 1ms));
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
    TokenBucket bucket;
    bucket.set_rate(1000);
    ASSERT_TRUE(bucket.take(1000, t0 + 10s));
    EXPECT_FALSE(bucket.take(1, t0));
}

TEST(TokenBucket, LoweringTheRateCapsWhatIsBanked) {
    TokenBucket bucket;
    bucket.set_rate(1000);
    ASSERT_TRUE(bucket.take(1, t0));
    bucket.set_rate(10);
    EXPECT_FALSE(bucket.take(11, t0));
    EXPECT_TRUE(bucket.take(10, t0));
}

// --- Reservations ---

UniqueFd udp_socket() {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    EXPECT_TRUE(fd);
    return fd;
}

bool is_open(int fd) {
    return fcntl(fd, F_GETFD) != -1;
}

TEST(Reservations, TokenGivesBackTheHeldSocketOnce) {
    Reservations reservations;
    UniqueFd socket = udp_socket();
    const int fd = socket.get();
    auto token = reservations.add(std::move(socket), t0);
    auto taken = reservations.take(token, t0 + 1s);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->get(), fd);
    EXPECT_FALSE(reservations.take(token, t0 + 1s).has_value());
}

TEST(Reservations, UnknownTokenGivesNothing) {
    Reservations reservations;
    auto token = reservations.add(udp_socket(), t0);
    Reservations::Token other = token;
    other[0] ^= 0xff;
    EXPECT_FALSE(reservations.take(other, t0).has_value());
    EXPECT_TRUE(reservations.take(token, t0).has_value());
}

TEST(Reservations, TokensAreDistinct) {
    Reservations reservations;
    std::set<Reservations::Token> tokens;
    for (int i = 0; i < 16; ++i) {
        tokens.insert(reservations.add(udp_socket(), t0));
    }
    EXPECT_EQ(tokens.size(), 16u);
}

TEST(Reservations, HeldForThirtySeconds) {
    Reservations reservations;
    auto token = reservations.add(udp_socket(), t0);
    EXPECT_TRUE(reservations.take(token, t0 + Reservations::hold).has_value());
}

TEST(Reservations, ExpiredAfterThirtySeconds) {
    Reservations reservations;
    auto token = reservations.add(udp_socket(), t0);
    EXPECT_FALSE(reservations.take(token, t0 + 31s).has_value());
}

TEST(Reservations, ExpireClosesOnlyExpiredSockets) {
    Reservations reservations;
    UniqueFd old_socket = udp_socket();
    UniqueFd new_socket = udp_socket();
    const int old_fd = old_socket.get();
    const int new_fd = new_socket.get();
    auto old_token = reservations.add(std::move(old_socket), t0);
    auto new_token = reservations.add(std::move(new_socket), t0 + 20s);
    reservations.expire(t0 + 31s);
    EXPECT_FALSE(is_open(old_fd));
    EXPECT_TRUE(is_open(new_fd));
    EXPECT_FALSE(reservations.take(old_token, t0).has_value());
    EXPECT_TRUE(reservations.take(new_token, t0 + 31s).has_value());
}

// --- granted_lifetime (RFC 8656 section 7.2) ---

TEST(GrantedLifetime, NoneAskedGetsTheDefault) {
    EXPECT_EQ(granted_lifetime(std::nullopt, 3600s), 600s);
}

TEST(GrantedLifetime, DefaultIsCappedByTheMaximum) {
    EXPECT_EQ(granted_lifetime(std::nullopt, 300s), 300s);
}

TEST(GrantedLifetime, LessThanTheDefaultGetsTheDefault) {
    EXPECT_EQ(granted_lifetime(100, 3600s), 600s);
}

TEST(GrantedLifetime, BetweenDefaultAndMaximumIsGranted) {
    EXPECT_EQ(granted_lifetime(1200, 3600s), 1200s);
}

TEST(GrantedLifetime, MoreThanTheMaximumGetsTheMaximum) {
    EXPECT_EQ(granted_lifetime(5000, 3600s), 3600s);
    EXPECT_EQ(granted_lifetime(0xFFFFFFFF, 3600s), 3600s);
}

// A maximum below the 600 s default caps a short request too.
TEST(GrantedLifetime, ShortRequestIsCappedByASmallMaximum) {
    EXPECT_EQ(granted_lifetime(100, 300s), 300s);
}

}  // namespace
}  // namespace turnpike::relay
