// The matching rules (matcher_contract.hpp) run against the Redis matcher
// and a real redis-server, plus what only a cluster has: partners on two
// nodes, a node that dies, and Redis going away and coming back.

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "matcher/redis_matcher.hpp"
#include "unit/matcher_contract.hpp"
#include "unit/redis_server.hpp"

namespace turnpike::matcher {
namespace {

test::RedisServer& redis() {
    static test::RedisServer server;
    return server;
}

bool ready(const RedisMatcher& m) {
    return m.available() && m.subscribed();
}

std::unique_ptr<RedisMatcher> connected_matcher(MatcherSettings settings = {}) {
    auto matcher = std::make_unique<RedisMatcher>(settings, redis().endpoint());
    EXPECT_TRUE(test::pump_until([&] { return ready(*matcher); }));
    return matcher;
}

}  // namespace
}  // namespace turnpike::matcher

namespace turnpike::matcher::contract {
namespace {

struct RedisFactory {
    static std::unique_ptr<Matcher> make(MatcherSettings settings) {
        redis().flush();
        return connected_matcher(settings);
    }
    // Every command answered, and every parcel those answers published
    // (which come back on the subscription) read.
    static void settle(Matcher& matcher) {
        auto& m = static_cast<RedisMatcher&>(matcher);
        ASSERT_TRUE(test::pump_until([&] { return m.pending() == 0; }));
        g_main_context_iteration(nullptr, FALSE);
    }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Redis, MatcherContract, RedisFactory);

}  // namespace
}  // namespace turnpike::matcher::contract

namespace turnpike::matcher {
namespace {

using namespace std::chrono_literals;

Seeker seeker_on(Matcher& node, std::string ip = "192.0.2.1") {
    Seeker one;
    one.id = node.new_session_id();
    one.ip = std::move(ip);
    one.since = Clock::now();
    return one;
}

struct Recorder {
    explicit Recorder(Matcher& m) {
        m.on_match([this](const Match& match) { matches.push_back(match); });
        m.on_parcel([this](const Parcel& parcel) { parcels.push_back(parcel); });
    }
    std::vector<Match> matches;
    std::vector<Parcel> parcels;
};

class Cluster : public ::testing::Test {
  protected:
    void SetUp() override {
        redis().flush();
        one = connected_matcher();
        two = connected_matcher();
        ASSERT_NE(one->node(), two->node());
    }
    std::unique_ptr<RedisMatcher> one;
    std::unique_ptr<RedisMatcher> two;
};

TEST_F(Cluster, SeekersOnTwoNodesArePairedAndBothNodesHearIt) {
    Recorder on_one(*one), on_two(*two);
    Seeker a = seeker_on(*one, "192.0.2.1");
    Seeker b = seeker_on(*two, "198.51.100.7");
    b.privacy = true;
    one->enqueue(a);
    ASSERT_TRUE(test::pump_until([&] { return one->pending() == 0; }));
    two->enqueue(b);
    ASSERT_TRUE(
        test::pump_until([&] { return on_one.matches.size() == 1 && on_two.matches.size() == 1; }));
    for (const Match& m : {on_one.matches[0], on_two.matches[0]}) {
        EXPECT_EQ(m.partner_of(a.id), b.id);
        EXPECT_EQ(m.impolite, a.id);  // waited longer
        EXPECT_EQ(m.ip_of(a.id), "192.0.2.1");
        EXPECT_EQ(m.ip_of(b.id), "198.51.100.7");
        EXPECT_TRUE(m.privacy);
    }
    EXPECT_TRUE(one->is_local(a.id));
    EXPECT_FALSE(one->is_local(b.id));
}

TEST_F(Cluster, ParcelsCrossInOrderAndLeaveTellsTheOtherNode) {
    Recorder on_one(*one), on_two(*two);
    Seeker a = seeker_on(*one);
    Seeker b = seeker_on(*two, "198.51.100.7");
    one->enqueue(a);
    ASSERT_TRUE(test::pump_until([&] { return one->pending() == 0; }));
    two->enqueue(b);
    ASSERT_TRUE(test::pump_until([&] { return on_one.matches.size() == 1; }));
    for (int i = 0; i < 100; ++i) {
        one->send({.kind = Parcel::Kind::frame,
                   .from = a.id,
                   .to = b.id,
                   .body = fmt::format("{{\"n\":{}}}\twith a tab", i)});
    }
    ASSERT_TRUE(test::pump_until([&] { return on_two.parcels.size() == 100; }));
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(on_two.parcels[i].body, fmt::format("{{\"n\":{}}}\twith a tab", i));
        EXPECT_EQ(on_two.parcels[i].from, a.id);
        EXPECT_EQ(on_two.parcels[i].to, b.id);
    }
    two->leave(b.id, "next");
    ASSERT_TRUE(test::pump_until([&] { return !on_one.parcels.empty(); }));
    EXPECT_EQ(on_one.parcels.back().kind, Parcel::Kind::left);
    EXPECT_EQ(on_one.parcels.back().from, b.id);
    EXPECT_EQ(on_one.parcels.back().to, a.id);
    EXPECT_EQ(on_one.parcels.back().body, "next");
}

TEST_F(Cluster, DeadNodesWaitersAreNeverMatchedAndItsPartnersAreTold) {
    Recorder on_two(*two);
    Seeker paired_here = seeker_on(*two);
    Seeker paired_there = seeker_on(*one);
    Seeker waiting_there = seeker_on(*one);
    one->enqueue(paired_there);
    ASSERT_TRUE(test::pump_until([&] { return one->pending() == 0; }));
    two->enqueue(paired_here);
    ASSERT_TRUE(test::pump_until([&] { return on_two.matches.size() == 1; }));
    one->enqueue(waiting_there);
    ASSERT_TRUE(test::pump_until([&] { return one->pending() == 0; }));

    one.reset();  // gone without a word, as on SIGKILL: its lease runs out
    two->tick(Clock::now() + RedisMatcher::lease + 1s);
    ASSERT_TRUE(test::pump_until([&] { return !on_two.parcels.empty(); }));
    EXPECT_EQ(on_two.parcels[0].kind, Parcel::Kind::left);
    EXPECT_EQ(on_two.parcels[0].from, paired_there.id);
    EXPECT_EQ(on_two.parcels[0].body, "disconnected");

    auto three = connected_matcher();
    Recorder on_three(*three);
    three->enqueue(seeker_on(*three));
    ASSERT_TRUE(test::pump_until([&] { return three->pending() == 0 && two->pending() == 0; }));
    EXPECT_TRUE(on_three.matches.empty()) << "matched a ghost of the dead node";
}

TEST_F(Cluster, GhostIsSkippedEvenBeforeAnyoneReapsIt) {
    Seeker ghost = seeker_on(*one);
    one->enqueue(ghost);
    ASSERT_TRUE(test::pump_until([&] { return one->pending() == 0; }));
    one.reset();
    Recorder on_two(*two);
    // Two's clock says the lease is over. Its find reaches Redis right after
    // the beat that notices, before the reap that the beat's answer starts.
    two->tick(Clock::now() + RedisMatcher::lease + 1s);
    two->enqueue(seeker_on(*two));
    ASSERT_TRUE(test::pump_until([&] { return two->pending() == 0; }));
    EXPECT_TRUE(on_two.matches.empty());
}

TEST_F(Cluster, KilledNodesWaiterIsSkippedWhileItsLeaseStillHolds) {
    Seeker ghost = seeker_on(*one);
    one->enqueue(ghost);
    ASSERT_TRUE(test::pump_until([&] { return one->pending() == 0; }));
    one.reset();  // its connections close with it; its lease has 5 s to run
    Recorder on_two(*two);
    two->enqueue(seeker_on(*two));
    ASSERT_TRUE(test::pump_until([&] { return two->pending() == 0; }));
    EXPECT_TRUE(on_two.matches.empty()) << "matched a waiter whose node is gone";
    Seeker next = seeker_on(*two);
    two->enqueue(next);  // the first is still waiting, and is the one found
    ASSERT_TRUE(test::pump_until([&] { return on_two.matches.size() == 1; }));
    EXPECT_TRUE(two->is_local(on_two.matches[0].partner_of(next.id)));
}

TEST(RedisScript, ACallRefusedForAFlushedScriptIsSentAgainWithIt) {
    redis().flush();
    auto node = connected_matcher();
    Recorder on_node(*node);
    ASSERT_TRUE(test::pump_until([&] { return node->pending() == 0; }));  // SCRIPT LOAD answered
    redis().run("SCRIPT FLUSH");
    node->enqueue(seeker_on(*node));
    node->enqueue(seeker_on(*node));
    ASSERT_TRUE(test::pump_until([&] { return on_node.matches.size() == 1; }));
}

TEST(RedisOutage, FindsAreRefusedWhileDownAndWaitersRequeuedOnReturn) {
    redis().flush();
    auto node = connected_matcher();
    Recorder on_node(*node);
    Seeker first = seeker_on(*node);
    node->enqueue(first);
    ASSERT_TRUE(test::pump_until([&] { return node->pending() == 0; }));

    redis().stop();
    ASSERT_TRUE(test::pump_until([&] { return !node->available(); }));
    redis().start();  // empty: nothing was saved
    ASSERT_TRUE(test::pump_until([&] { return ready(*node); }, 15s));
    ASSERT_TRUE(test::pump_until([&] { return node->pending() == 0; }));
    EXPECT_EQ(node->waiting_here(), 1u);

    Seeker second = seeker_on(*node);
    node->enqueue(second);
    ASSERT_TRUE(test::pump_until([&] { return on_node.matches.size() == 1; }));
    EXPECT_EQ(on_node.matches[0].partner_of(first.id), second.id);
}

}  // namespace
}  // namespace turnpike::matcher
