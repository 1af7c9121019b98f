#pragma once

#include <array>
#include <deque>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "matcher/matcher.hpp"

namespace turnpike::matcher {

// The matcher of a single node, owned by one thread (the control loop).
// Match handlers run synchronously, inside the enqueue() or tick() that made
// the match, once the matcher's state already says "paired"; a handler may call
// back in, and matches made by such calls are delivered after it returns.
class MemoryMatcher final : public Matcher {
  public:
    explicit MemoryMatcher(MatcherSettings settings = {});

    void on_match(MatchHandler handler) override;
    void enqueue(Seeker seeker) override;
    using Matcher::leave;
    void leave(SessionId id, std::string_view reason) override;
    void close(SessionId id) override;
    void block(SessionId who, SessionId whom, std::string_view ip_who,
               std::string_view ip_whom) override;
    void tick(Clock::time_point now) override;
    void ip_blocks(IpBlocksHandler done) override;
    void unblock_ips(std::string_view a, std::string_view b) override;

    size_t waiting() const { return waiting_.size(); }
    size_t paired() const { return partner_.size(); }

  private:
    using Queue = std::list<SessionId>;
    using Deadlines = std::set<std::pair<Clock::time_point, SessionId>>;

    struct Bucket {
        Queue open;  // waiters who take anyone compatible, oldest first
        std::unordered_map<std::string, Queue> by_interest;
        size_t waiters = 0;
    };

    struct Waiter {
        Seeker seeker;
        Bucket* bucket = nullptr;
        std::optional<Queue::iterator> in_open;
        std::vector<Queue::iterator> in_interests;  // parallel to seeker.interests
        std::optional<Deadlines::iterator> interest_deadline;
    };

    struct IpBlockExpiry {
        Clock::time_point at;
        std::string ip_a;
        std::string ip_b;
    };

    bool is_busy(SessionId id) const;
    bool interest_only(const Seeker& seeker) const;
    Bucket& bucket_for(const Seeker& seeker);
    template <typename Visit>
    void for_each_compatible_bucket(const Seeker& seeker, Visit visit);

    std::optional<SessionId> find_partner(const Seeker& seeker, bool take_anyone);
    std::optional<SessionId> first_acceptable(const Seeker& seeker, const Queue& queue) const;
    bool acceptable(const Seeker& seeker, const Seeker& other) const;
    bool session_blocked(SessionId a, SessionId b) const;
    bool ip_blocked(const std::string& a, const std::string& b) const;
    bool just_left(SessionId a, SessionId b) const;

    void add_waiter(Seeker seeker);
    void open_to_anyone(Waiter& waiter);
    Seeker remove_waiter(SessionId id);
    void make_match(const Seeker& newcomer, SessionId waiting_id);
    void end_pair(SessionId id);
    void forget_blocks(SessionId id);
    void block_ips(const std::string& a, const std::string& b);
    void expire_ip_blocks(Clock::time_point now);
    void promote_expired_interest_waits(Clock::time_point now);
    void deliver();

    MatcherSettings settings_;
    MatchHandler handler_;
    Clock::time_point now_{};

    std::array<std::unordered_map<std::string, Bucket>, 2> buckets_;  // by mode, then lang
    std::unordered_map<SessionId, Waiter> waiting_;
    Deadlines interest_deadlines_;

    std::unordered_map<SessionId, SessionId> partner_;
    std::unordered_map<SessionId, SessionId> last_partner_;
    std::unordered_map<SessionId, std::unordered_set<SessionId>> blocked_;
    std::unordered_map<std::string, std::unordered_map<std::string, Clock::time_point>> ip_blocked_;
    std::deque<IpBlockExpiry> ip_block_expiries_;

    std::deque<Match> undelivered_;
    bool delivering_ = false;
};

}  // namespace turnpike::matcher
