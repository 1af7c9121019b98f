#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace turnpike::matcher {

using Clock = std::chrono::steady_clock;

// Opaque and unique for the life of the process (across the cluster, for the
// Redis matcher): a closed session's id is never reused.
enum class SessionId : uint64_t {};

enum class ChatMode { text, video };

inline constexpr size_t max_interests = 10;
inline constexpr size_t max_interest_bytes = 32;

// Someone asking for a partner. Build it with normalise_interests() and
// normalise_lang() so every matcher compares the same strings.
struct Seeker {
    SessionId id{};
    std::string ip{};
    ChatMode mode = ChatMode::text;
    std::string lang{};                    // "" matches every language
    std::vector<std::string> interests{};  // normalised: sorted, unique
    Clock::time_point since{};             // when it asked
    bool privacy = false;                  // asked for relay-only media
};

struct Match {
    SessionId a{};
    SessionId b{};
    std::vector<std::string> common{};  // the interests they share, sorted
    SessionId impolite{};               // the initiator: whichever of a, b waited longer
    std::string ip_a{};  // the seekers' ip, for blocks and reports of a partner on another node
    std::string ip_b{};
    bool privacy = false;  // either side asked for privacy

    SessionId partner_of(SessionId id) const { return id == a ? b : a; }
    const std::string& ip_of(SessionId id) const { return id == a ? ip_a : ip_b; }
};

// What one session's node hands to its partner's node (the Redis matcher's
// cross-node bus). Within one node the switchboard delivers directly.
struct Parcel {
    enum class Kind : char {
        frame = 'f',  // a JSON frame to send as it is
        chat = 'c',   // chat text, which the receiving side also keeps for reports
        left = 'l',   // the sender left the pair; the body is the reason
    };
    Kind kind = Kind::frame;
    SessionId from{};
    SessionId to{};
    std::string body{};
};

// An IP-to-IP block in force (the admin API lists and lifts them).
struct IpBlock {
    std::string ip_a;  // the lower of the two, as text
    std::string ip_b;
    int64_t expires_unix = 0;
};

struct MatcherSettings {
    // How long a seeker with interests holds out for a partner sharing one.
    std::chrono::milliseconds interest_wait{5000};
    // How long an IP-to-IP block outlives the sessions that made it.
    std::chrono::seconds ip_block_ttl{std::chrono::hours{24}};
};

// Pairs seekers under these rules, which every implementation keeps:
//  - text and video seekers are never paired;
//  - languages are equal, or either side's is "";
//  - for interest_wait after `since`, a seeker with interests is paired only
//    with someone sharing at least one; after that, with anyone compatible;
//  - never two sessions where either blocked the other, by session or by IP;
//  - never a session with the partner it last left (leave while paired);
//  - a session is waiting or paired or neither, never twice: enqueue() of a
//    session already waiting or paired is ignored.
// The answer is asynchronous: matches arrive through on_match(), when and on
// which thread each implementation documents. Handlers may call back in.
class Matcher {
  public:
    using MatchHandler = std::function<void(const Match&)>;
    using ParcelHandler = std::function<void(const Parcel&)>;

    virtual ~Matcher() = default;

    // A new session id, unique across the cluster: the top 24 bits name this
    // node (random per process), the rest count.
    SessionId new_session_id() { return SessionId{node_prefix_ | ++sessions_}; }
    uint32_t node() const { return static_cast<uint32_t>(node_prefix_ >> 40); }
    static uint32_t node_of(SessionId id) { return static_cast<uint32_t>(uint64_t(id) >> 40); }

    virtual void on_match(MatchHandler handler) = 0;

    virtual void enqueue(Seeker seeker) = 0;
    // Out of the queue at once, or out of its pair (`next`, `leave`, `block`):
    // then the two are not paired again until both have had another partner.
    // `reason` is what a partner on another node is told.
    virtual void leave(SessionId id, std::string_view reason) = 0;
    void leave(SessionId id) { leave(id, "left"); }
    // The session is gone: leave(), and forget its session blocks and history.
    virtual void close(SessionId id) = 0;
    // Kept while both sessions live, and between the two IPs for ip_block_ttl.
    // Does not end a pair; leave() does.
    virtual void block(SessionId who, SessionId whom, std::string_view ip_who,
                       std::string_view ip_whom) = 0;
    // Moves seekers whose interest wait is over to "anyone", and expires IP
    // blocks. Call it about every 100 ms from the loop that owns the matcher.
    virtual void tick(Clock::time_point now) = 0;

    // The IP blocks in force; `done` runs once, perhaps later (the Redis
    // matcher asks its server), with nothing when they cannot be read.
    using IpBlocksHandler = std::function<void(std::optional<std::vector<IpBlock>>)>;
    virtual void ip_blocks(IpBlocksHandler done) = 0;
    virtual void unblock_ips(std::string_view a, std::string_view b) = 0;

    // Whether enqueue() can work now (the Redis matcher needs its server).
    virtual bool available() const { return true; }

    // Cross-node delivery. A single-node matcher has every session local and
    // never carries parcels.
    bool is_local(SessionId id) const { return node_of(id) == node(); }
    virtual void send(const Parcel& parcel) { (void)parcel; }
    virtual void on_parcel(ParcelHandler handler) { (void)handler; }

  protected:
    Matcher();

  private:
    uint64_t node_prefix_;
    uint64_t sessions_ = 0;
};

// Lowercased, whitespace trimmed and collapsed, cut to max_interest_bytes on a
// character boundary; empty ones and invalid UTF-8 dropped; the first
// max_interests distinct ones kept, sorted.
std::vector<std::string> normalise_interests(std::span<const std::string> raw);

// Lowercased and trimmed; "any" and "" both become "".
std::string normalise_lang(std::string_view raw);

}  // namespace turnpike::matcher
