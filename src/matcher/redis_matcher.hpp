#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/redis_url.hpp"
#include "matcher/matcher.hpp"
#include "matcher/redis_connection.hpp"

namespace turnpike::matcher {

// The matcher of a cluster: every node's seekers, pairs and blocks live in
// one Redis, changed only by match_script.lua so each step is atomic, and
// partners on different nodes reach each other over pub/sub, one channel
// per node. Runs on the GLib main context it is given (the control thread):
// matches and parcels arrive from it, never synchronously.
//
// Presence: each node renews a lease every second (nodes hash); the first
// live node to see a lease lapse takes that node's sessions out of the
// queues and pairs and tells their partners, so they hear partner_left
// within lease + 1 s. A waiter is matched only if its node's lease holds and
// its node hears the match (PUBLISH reaches a subscriber): a killed node's
// subscription ends with its process, so its waiters are never matched.
//
// Redis down: available() is false and the switchboard refuses new finds;
// pairs with both ends on one node go on (they never needed Redis); the
// connection retries with backoff, and on its return this node's waiters are
// queued again.
class RedisMatcher final : public Matcher {
  public:
    static constexpr std::chrono::milliseconds lease{5000};
    static constexpr std::chrono::milliseconds beat_every{1000};
    static constexpr size_t scan_limit = 1000;  // waiters one find looks at

    RedisMatcher(MatcherSettings settings, RedisEndpoint endpoint, GMainContext* context = nullptr);
    ~RedisMatcher() override;

    void on_match(MatchHandler handler) override { handler_ = std::move(handler); }
    void enqueue(Seeker seeker) override;
    using Matcher::leave;
    void leave(SessionId id, std::string_view reason) override;
    void close(SessionId id) override;
    void block(SessionId who, SessionId whom, std::string_view ip_who,
               std::string_view ip_whom) override;
    void tick(Clock::time_point now) override;
    void ip_blocks(IpBlocksHandler done) override;
    void unblock_ips(std::string_view a, std::string_view b) override;
    bool available() const override { return commands_.ready(); }
    void send(const Parcel& parcel) override;
    void on_parcel(ParcelHandler handler) override { parcel_handler_ = std::move(handler); }

    // Commands sent and not yet answered (tests wait for none).
    size_t pending() const { return commands_.pending(); }
    bool subscribed() const { return subscribed_; }
    size_t waiting_here() const { return waiting_.size(); }

  private:
    struct ScriptCall {
        std::vector<std::string> args;  // KEYS, then ARGV
        RedisConnection::ReplyHandler handler;
    };

    struct Waiter {
        Seeker seeker;
        bool open = false;  // takes anyone compatible
    };

    void connected();
    void load_script();
    void listen();
    void on_message(redisReply* reply);
    void on_find_reply(SessionId id, redisReply* reply);
    void deliver_remote_match(std::string_view body);
    void send_find(const Waiter& waiter, bool again);
    void beat();
    void reap(const std::string& node);
    void promote_due_waiters();
    bool run(std::initializer_list<std::string_view> args, std::string_view node_sessions,
             RedisConnection::ReplyHandler handler);
    bool send_script(std::shared_ptr<ScriptCall> call);
    int64_t wall_ms(Clock::time_point at) const;

    MatcherSettings settings_;
    MatchHandler handler_;
    ParcelHandler parcel_handler_;
    std::string node_text_;
    std::chrono::milliseconds wall_offset_;
    Clock::time_point now_;
    Clock::time_point last_beat_{};
    std::string sweep_cursor_ = "0";
    std::string script_sha_;  // once SCRIPT LOAD has answered
    bool subscribed_ = false;

    std::unordered_map<SessionId, Waiter> waiting_;  // this node's seekers in the queue
    std::multimap<Clock::time_point, SessionId> interest_deadlines_;

    // Last, so they go first: a reply still pending when they close finds
    // the rest of the matcher intact.
    RedisConnection commands_;
    RedisConnection subscription_;
};

}  // namespace turnpike::matcher
