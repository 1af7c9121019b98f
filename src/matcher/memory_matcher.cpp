// The in-process matcher.
//
// Waiting seekers live in buckets keyed by (mode, lang); a seeker's bucket is
// fixed while it waits. Inside a bucket:
//   - `open`: a FIFO of the waiters who take anyone compatible (no interests,
//     or their interest wait is over);
//   - `by_interest`: interest -> FIFO of every waiter with that interest,
//     whether it is still holding out for it or already open.
// Each waiter keeps iterators to its own queue entries (std::list), so leaving
// is O(interests) and queues never hold stale entries.
//
// A newcomer looks in the buckets its language allows (its own and "" - or all
// of its mode when its own is "" - a handful in practice): first the queues of
// each of its interests (at most 10), then, unless it is holding out for an
// interest, the open queues. From each queue it takes the first waiter it may
// be paired with (not blocked, not the partner it just left), skipping at most
// max_skipped; the oldest of those candidates wins. So an enqueue costs
// O(buckets x interests x max_skipped), independent of how many are waiting.
// A waiter whose interest wait ends is moved to `open` by tick() (deadlines in
// an ordered set) and gets one search of its own right then.
//
// The invariant that keeps this complete: no two waiters may be paired with
// each other, because each one searched when it arrived or opened. The only
// exceptions are the bounded skip (a seeker who blocked the first max_skipped
// of a queue waits for the next arrival) and an IP block expiring.

#include "matcher/memory_matcher.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace turnpike::matcher {
namespace {

constexpr size_t max_skipped = 32;
const std::string any_language;

size_t mode_index(ChatMode mode) {
    return mode == ChatMode::video ? 1 : 0;
}

bool waited_longer(const Seeker& a, const Seeker& b) {
    return a.since != b.since ? a.since < b.since : a.id < b.id;
}

std::vector<std::string> shared(const std::vector<std::string>& a,
                                const std::vector<std::string>& b) {
    std::vector<std::string> common;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common));
    return common;
}

}  // namespace

MemoryMatcher::MemoryMatcher(MatcherSettings settings) : settings_(settings) {}

void MemoryMatcher::on_match(MatchHandler handler) {
    handler_ = std::move(handler);
}

void MemoryMatcher::enqueue(Seeker seeker) {
    if (is_busy(seeker.id)) {
        return;
    }
    seeker.interests = normalise_interests(seeker.interests);
    seeker.lang = normalise_lang(seeker.lang);
    now_ = std::max(now_, seeker.since);
    if (auto partner = find_partner(seeker, !interest_only(seeker))) {
        make_match(seeker, *partner);
    } else {
        add_waiter(std::move(seeker));
    }
    deliver();
}

void MemoryMatcher::leave(SessionId id, std::string_view) {
    if (waiting_.contains(id)) {
        remove_waiter(id);
    } else {
        end_pair(id);
    }
}

void MemoryMatcher::close(SessionId id) {
    leave(id);
    last_partner_.erase(id);
    forget_blocks(id);
}

void MemoryMatcher::block(SessionId who, SessionId whom, std::string_view ip_who,
                          std::string_view ip_whom) {
    if (who == whom) {
        return;
    }
    blocked_[who].insert(whom);
    blocked_[whom].insert(who);
    // Two sessions behind one address (a household, a CGNAT, every test client
    // on 127.0.0.1) would otherwise block that address from itself.
    if (!ip_who.empty() && !ip_whom.empty() && ip_who != ip_whom) {
        block_ips(std::string(ip_who), std::string(ip_whom));
    }
}

void MemoryMatcher::tick(Clock::time_point now) {
    now_ = std::max(now_, now);
    expire_ip_blocks(now_);
    promote_expired_interest_waits(now_);
    deliver();
}

bool MemoryMatcher::is_busy(SessionId id) const {
    return waiting_.contains(id) || partner_.contains(id);
}

bool MemoryMatcher::interest_only(const Seeker& seeker) const {
    return !seeker.interests.empty() && seeker.since + settings_.interest_wait > now_;
}

MemoryMatcher::Bucket& MemoryMatcher::bucket_for(const Seeker& seeker) {
    return buckets_[mode_index(seeker.mode)][seeker.lang];
}

template <typename Visit>
void MemoryMatcher::for_each_compatible_bucket(const Seeker& seeker, Visit visit) {
    auto& by_lang = buckets_[mode_index(seeker.mode)];
    if (seeker.lang.empty()) {
        for (auto& [lang, bucket] : by_lang) {
            visit(bucket);
        }
        return;
    }
    auto visit_lang = [&](const std::string& lang) {
        if (auto it = by_lang.find(lang); it != by_lang.end()) {
            visit(it->second);
        }
    };
    visit_lang(seeker.lang);
    visit_lang(any_language);
}

std::optional<SessionId> MemoryMatcher::find_partner(const Seeker& seeker, bool take_anyone) {
    std::optional<SessionId> best;
    auto consider = [&](const Queue& queue) {
        auto candidate = first_acceptable(seeker, queue);
        if (candidate &&
            (!best || waited_longer(waiting_.at(*candidate).seeker, waiting_.at(*best).seeker))) {
            best = candidate;
        }
    };
    for_each_compatible_bucket(seeker, [&](Bucket& bucket) {
        for (const std::string& interest : seeker.interests) {
            if (auto it = bucket.by_interest.find(interest); it != bucket.by_interest.end()) {
                consider(it->second);
            }
        }
    });
    if (!best && take_anyone) {
        for_each_compatible_bucket(seeker, [&](Bucket& bucket) { consider(bucket.open); });
    }
    return best;
}

std::optional<SessionId> MemoryMatcher::first_acceptable(const Seeker& seeker,
                                                         const Queue& queue) const {
    size_t looked = 0;
    for (auto it = queue.begin(); it != queue.end() && looked <= max_skipped; ++it, ++looked) {
        if (acceptable(seeker, waiting_.at(*it).seeker)) {
            return *it;
        }
    }
    return std::nullopt;
}

bool MemoryMatcher::acceptable(const Seeker& seeker, const Seeker& other) const {
    return seeker.id != other.id && !just_left(seeker.id, other.id) &&
           !session_blocked(seeker.id, other.id) && !ip_blocked(seeker.ip, other.ip);
}

bool MemoryMatcher::session_blocked(SessionId a, SessionId b) const {
    auto it = blocked_.find(a);
    return it != blocked_.end() && it->second.contains(b);
}

bool MemoryMatcher::ip_blocked(const std::string& a, const std::string& b) const {
    auto it = ip_blocked_.find(a);
    return it != ip_blocked_.end() && it->second.contains(b);
}

bool MemoryMatcher::just_left(SessionId a, SessionId b) const {
    auto is_last = [this](SessionId x, SessionId y) {
        auto it = last_partner_.find(x);
        return it != last_partner_.end() && it->second == y;
    };
    return is_last(a, b) || is_last(b, a);
}

void MemoryMatcher::add_waiter(Seeker seeker) {
    SessionId id = seeker.id;
    bool holding_out = interest_only(seeker);
    Waiter& waiter = waiting_[id];
    waiter.seeker = std::move(seeker);
    waiter.bucket = &bucket_for(waiter.seeker);
    ++waiter.bucket->waiters;
    for (const std::string& interest : waiter.seeker.interests) {
        Queue& queue = waiter.bucket->by_interest[interest];
        waiter.in_interests.push_back(queue.insert(queue.end(), id));
    }
    if (holding_out) {
        auto deadline = waiter.seeker.since + settings_.interest_wait;
        waiter.interest_deadline = interest_deadlines_.emplace(deadline, id).first;
    } else {
        waiter.in_open = waiter.bucket->open.insert(waiter.bucket->open.end(), id);
    }
}

void MemoryMatcher::open_to_anyone(Waiter& waiter) {
    interest_deadlines_.erase(*waiter.interest_deadline);
    waiter.interest_deadline.reset();
    if (auto partner = find_partner(waiter.seeker, true)) {
        Seeker seeker = remove_waiter(waiter.seeker.id);
        make_match(seeker, *partner);
        return;
    }
    Queue& open = waiter.bucket->open;
    waiter.in_open = open.insert(open.end(), waiter.seeker.id);
}

Seeker MemoryMatcher::remove_waiter(SessionId id) {
    auto found = waiting_.find(id);
    Waiter& waiter = found->second;
    Bucket& bucket = *waiter.bucket;
    if (waiter.in_open) {
        bucket.open.erase(*waiter.in_open);
    }
    if (waiter.interest_deadline) {
        interest_deadlines_.erase(*waiter.interest_deadline);
    }
    for (size_t i = 0; i < waiter.in_interests.size(); ++i) {
        auto queue = bucket.by_interest.find(waiter.seeker.interests[i]);
        queue->second.erase(waiter.in_interests[i]);
        if (queue->second.empty()) {
            bucket.by_interest.erase(queue);
        }
    }
    if (--bucket.waiters == 0) {
        buckets_[mode_index(waiter.seeker.mode)].erase(waiter.seeker.lang);
    }
    Seeker seeker = std::move(waiter.seeker);
    waiting_.erase(found);
    return seeker;
}

void MemoryMatcher::make_match(const Seeker& newcomer, SessionId waiting_id) {
    Seeker waiter = remove_waiter(waiting_id);
    partner_[newcomer.id] = waiter.id;
    partner_[waiter.id] = newcomer.id;
    const Seeker& first = waited_longer(waiter, newcomer) ? waiter : newcomer;
    const Seeker& second = &first == &waiter ? newcomer : waiter;
    undelivered_.push_back(Match{.a = first.id,
                                 .b = second.id,
                                 .common = shared(first.interests, second.interests),
                                 .impolite = first.id,
                                 .ip_a = first.ip,
                                 .ip_b = second.ip,
                                 .privacy = first.privacy || second.privacy});
}

void MemoryMatcher::end_pair(SessionId id) {
    auto it = partner_.find(id);
    if (it == partner_.end()) {
        return;
    }
    SessionId partner = it->second;
    partner_.erase(it);
    partner_.erase(partner);
    last_partner_[id] = partner;
    last_partner_[partner] = id;
}

void MemoryMatcher::forget_blocks(SessionId id) {
    auto it = blocked_.find(id);
    if (it == blocked_.end()) {
        return;
    }
    for (SessionId other : it->second) {
        auto theirs = blocked_.find(other);
        if (theirs != blocked_.end() && theirs->second.erase(id) && theirs->second.empty()) {
            blocked_.erase(theirs);
        }
    }
    blocked_.erase(id);
}

void MemoryMatcher::ip_blocks(IpBlocksHandler done) {
    // Block times are on the steady clock; the list speaks Unix time.
    auto to_unix = [this](Clock::time_point at) {
        auto wall = std::chrono::system_clock::now() +
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(at - now_);
        return std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count();
    };
    std::vector<IpBlock> out;
    for (const auto& [a, blocked] : ip_blocked_) {
        for (const auto& [b, expires] : blocked) {
            if (a < b && expires > now_) {
                out.push_back({a, b, to_unix(expires)});
            }
        }
    }
    done(std::move(out));
}

void MemoryMatcher::unblock_ips(std::string_view a, std::string_view b) {
    for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
        auto it = ip_blocked_.find(std::string(from));
        if (it != ip_blocked_.end()) {
            it->second.erase(std::string(to));
            if (it->second.empty()) {
                ip_blocked_.erase(it);
            }
        }
    }
}

void MemoryMatcher::block_ips(const std::string& a, const std::string& b) {
    auto expires = now_ + settings_.ip_block_ttl;
    ip_blocked_[a][b] = expires;
    ip_blocked_[b][a] = expires;
    ip_block_expiries_.push_back({expires, a, b});
}

void MemoryMatcher::expire_ip_blocks(Clock::time_point now) {
    auto unblock_one_way = [this, now](const std::string& from, const std::string& to) {
        auto blocks = ip_blocked_.find(from);
        if (blocks == ip_blocked_.end()) {
            return;
        }
        // A later block() of the same pair pushed its own, later expiry.
        if (auto it = blocks->second.find(to); it != blocks->second.end() && it->second <= now) {
            blocks->second.erase(it);
        }
        if (blocks->second.empty()) {
            ip_blocked_.erase(blocks);
        }
    };
    while (!ip_block_expiries_.empty() && ip_block_expiries_.front().at <= now) {
        const IpBlockExpiry& expiry = ip_block_expiries_.front();
        unblock_one_way(expiry.ip_a, expiry.ip_b);
        unblock_one_way(expiry.ip_b, expiry.ip_a);
        ip_block_expiries_.pop_front();
    }
}

void MemoryMatcher::promote_expired_interest_waits(Clock::time_point now) {
    while (!interest_deadlines_.empty() && interest_deadlines_.begin()->first <= now) {
        open_to_anyone(waiting_.at(interest_deadlines_.begin()->second));
    }
}

void MemoryMatcher::deliver() {
    if (delivering_) {
        return;  // the outer call delivers, in order
    }
    delivering_ = true;
    struct Reset {
        bool& flag;
        ~Reset() { flag = false; }
    } reset{delivering_};
    while (!undelivered_.empty()) {
        Match match = std::move(undelivered_.front());
        undelivered_.pop_front();
        if (handler_) {
            handler_(match);
        }
    }
}

}  // namespace turnpike::matcher
