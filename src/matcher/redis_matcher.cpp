#include "matcher/redis_matcher.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "matcher/match_script.hpp"

namespace turnpike::matcher {

namespace {

// One hash tag for every key, so the script runs on Redis Cluster too.
constexpr std::string_view key_prefix = "{turnpike}:";

std::string key(std::string_view name) {
    return fmt::format("{}{}", key_prefix, name);
}

const std::string& ip_blocks_key() {
    static const std::string k = key("ip-blocks");
    return k;
}

std::string id_text(SessionId id) {
    return fmt::format("{:016x}", static_cast<uint64_t>(id));
}

std::optional<SessionId> parse_id(std::string_view text) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (error != std::errc{} || end != text.data() + text.size() || text.size() != 16) {
        return std::nullopt;
    }
    return SessionId{value};
}

std::string_view str(const redisReply* reply) {
    return reply != nullptr &&
                   (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
               ? std::string_view(reply->str, reply->len)
               : std::string_view{};
}

std::vector<std::string> split_list(std::string_view csv) {
    std::vector<std::string> out;
    while (!csv.empty()) {
        size_t comma = csv.find(',');
        out.emplace_back(csv.substr(0, comma));
        csv = comma == std::string_view::npos ? std::string_view{} : csv.substr(comma + 1);
    }
    return out;
}

// Splits "a\tb\tc\trest" into its first `n` fields and the rest (which may
// hold tabs).
std::vector<std::string_view> fields(std::string_view text, size_t n) {
    std::vector<std::string_view> out;
    while (out.size() < n) {
        size_t tab = text.find('\t');
        if (tab == std::string_view::npos) {
            break;
        }
        out.push_back(text.substr(0, tab));
        text = text.substr(tab + 1);
    }
    out.push_back(text);
    return out;
}

std::string record_of(const Seeker& seeker, bool open, int64_t since_ms) {
    std::string interests;
    for (const auto& interest : seeker.interests) {
        if (!interests.empty()) {
            interests.push_back(',');
        }
        interests.append(interest);
    }
    return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}", seeker.ip, seeker.lang, open ? 1 : 0, since_ms,
                       seeker.privacy ? 1 : 0, interests,
                       seeker.mode == ChatMode::video ? "video" : "text");
}

}  // namespace

RedisMatcher::RedisMatcher(MatcherSettings settings, RedisEndpoint endpoint, GMainContext* context)
    : settings_(settings),
      node_text_(fmt::format("{:06x}", node())),
      wall_offset_(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch() - Clock::now().time_since_epoch())),
      now_(Clock::now()),
      commands_(endpoint, "matcher", context),
      subscription_(endpoint, "matcher bus", context) {
    commands_.on_ready([this] { connected(); });
    subscription_.on_ready([this] { listen(); });
    subscription_.on_lost([this] { subscribed_ = false; });
    spdlog::info("matcher: Redis at {}, this node is {}", endpoint.describe(), node_text_);
    commands_.start();
    subscription_.start();
}

RedisMatcher::~RedisMatcher() {
    handler_ = nullptr;
    parcel_handler_ = nullptr;
}

int64_t RedisMatcher::wall_ms(Clock::time_point at) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() +
           wall_offset_.count();
}

bool RedisMatcher::run(std::initializer_list<std::string_view> args, std::string_view node_sessions,
                       RedisConnection::ReplyHandler handler) {
    static const std::string keys[] = {key("queue:text"), key("queue:video"), key("seekers"),
                                       key("pairs"),      key("last"),        key("blocks"),
                                       key("ip-blocks"),  key("nodes")};
    auto call = std::make_shared<ScriptCall>();
    call->args.assign(std::begin(keys), std::end(keys));
    call->args.push_back(key(fmt::format("sessions:{}", node_sessions)));
    auto arg = args.begin();
    call->args.emplace_back(*arg++);  // the operation
    call->args.push_back(node_text_);
    call->args.push_back(std::to_string(wall_ms(now_)));
    call->args.insert(call->args.end(), arg, args.end());
    call->handler = std::move(handler);
    return send_script(std::move(call));
}

// EVALSHA once Redis holds the script (9 KB less to send and hash per call);
// if Redis lost it (restarted, or SCRIPT FLUSH), the call goes again with
// the script itself.
bool RedisMatcher::send_script(std::shared_ptr<ScriptCall> call) {
    bool by_sha = !script_sha_.empty();
    std::vector<std::string_view> argv = {
        by_sha ? "EVALSHA" : "EVAL", by_sha ? std::string_view(script_sha_) : match_script, "9"};
    argv.insert(argv.end(), call->args.begin(), call->args.end());
    return commands_.command(argv, [this, call, by_sha](redisReply* reply) {
        if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
            if (by_sha && std::string_view(reply->str).starts_with("NOSCRIPT")) {
                script_sha_.clear();
                load_script();
                send_script(call);
                return;
            }
            spdlog::error("matcher: Redis script failed: {}", reply->str);
            return;
        }
        if (call->handler) {
            call->handler(reply);
        }
    });
}

// --- connection ---

void RedisMatcher::load_script() {
    std::string_view argv[] = {"SCRIPT", "LOAD", match_script};
    commands_.command(argv, [this](redisReply* reply) {
        if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
            script_sha_ = std::string(str(reply));
        }
    });
}

void RedisMatcher::connected() {
    script_sha_.clear();
    load_script();
    beat();
    // Whatever this node had queued goes back in: Redis may have lost it.
    for (auto& [id, waiter] : waiting_) {
        send_find(waiter, true);
    }
}

void RedisMatcher::listen() {
    std::string channel = key(fmt::format("node:{}", node_text_));
    subscription_.subscribe(channel, [this](redisReply* reply) { on_message(reply); });
    // While this node was not listening, others took its waiters for ghosts
    // and dropped them: they go back in.
    if (commands_.ready()) {
        for (auto& [id, waiter] : waiting_) {
            send_find(waiter, true);
        }
    }
}

void RedisMatcher::on_message(redisReply* reply) {
    if (reply == nullptr) {
        subscribed_ = false;
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) {
        return;
    }
    std::string_view kind = str(reply->element[0]);
    if (kind == "subscribe") {
        subscribed_ = true;
        return;
    }
    if (kind != "message") {
        return;
    }
    std::string_view payload = str(reply->element[2]);
    if (payload.starts_with("x\t")) {
        deliver_remote_match(payload);
        return;
    }
    auto f = fields(payload, 3);
    if (f.size() != 4 || f[0].size() != 1) {
        return;
    }
    auto from = parse_id(f[1]);
    auto to = parse_id(f[2]);
    char kind_char = f[0][0];
    if (!from || !to || (kind_char != 'f' && kind_char != 'c' && kind_char != 'l')) {
        return;
    }
    if (parcel_handler_) {
        parcel_handler_(Parcel{.kind = static_cast<Parcel::Kind>(kind_char),
                               .from = *from,
                               .to = *to,
                               .body = std::string(f[3])});
    }
}

// --- matching ---

void RedisMatcher::enqueue(Seeker seeker) {
    if (waiting_.contains(seeker.id)) {
        return;
    }
    seeker.lang = normalise_lang(seeker.lang);
    bool open = seeker.interests.empty() || settings_.interest_wait.count() == 0;
    if (!open) {
        interest_deadlines_.emplace(seeker.since + settings_.interest_wait, seeker.id);
    }
    SessionId id = seeker.id;
    auto [it, added] = waiting_.emplace(id, Waiter{std::move(seeker), open});
    send_find(it->second, false);
}

void RedisMatcher::send_find(const Waiter& waiter, bool again) {
    const Seeker& seeker = waiter.seeker;
    std::string record = record_of(seeker, waiter.open, wall_ms(seeker.since));
    std::string id = id_text(seeker.id);
    std::string limit = std::to_string(scan_limit);
    SessionId sid = seeker.id;
    run({"find", id, record, again ? "1" : "0", limit}, node_text_,
        [this, sid](redisReply* reply) { on_find_reply(sid, reply); });
}

void RedisMatcher::on_find_reply(SessionId id, redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 ||
        str(reply->element[0]) != "matched" || reply->elements < 6) {
        return;  // waiting, busy, or the connection went (connected() sends it again)
    }
    auto partner = parse_id(str(reply->element[1]));
    auto impolite = parse_id(str(reply->element[3]));
    if (!partner || !impolite) {
        return;
    }
    auto mine = waiting_.find(id);
    if (mine == waiting_.end()) {
        // It left while the find was on its way: its leave (later on the
        // wire) has ended the pair already; a partner here goes back in.
        if (auto theirs = waiting_.find(*partner); theirs != waiting_.end()) {
            send_find(theirs->second, true);
        }
        return;
    }
    Match match{.a = id,
                .b = *partner,
                .common = split_list(str(reply->element[2])),
                .impolite = *impolite,
                .ip_a = mine->second.seeker.ip,
                .ip_b = std::string(str(reply->element[4])),
                .privacy = mine->second.seeker.privacy || str(reply->element[5]) == "1"};
    waiting_.erase(mine);
    waiting_.erase(*partner);
    if (handler_) {
        handler_(match);
    }
}

// "x \t newcomer \t waiter-here \t common \t impolite \t newcomer's IP \t privacy"
void RedisMatcher::deliver_remote_match(std::string_view body) {
    auto f = fields(body, 6);
    if (f.size() != 7) {
        return;
    }
    auto newcomer = parse_id(f[1]);
    auto here = parse_id(f[2]);
    auto impolite = parse_id(f[4]);
    if (!newcomer || !here || !impolite || !is_local(*here)) {
        return;
    }
    auto mine = waiting_.find(*here);
    if (mine == waiting_.end()) {
        // Gone or left meanwhile; its leave or close tells the newcomer.
        // Said again in case Redis lost that.
        leave(*here, "left");
        return;
    }
    Match match{.a = *here,
                .b = *newcomer,
                .common = split_list(f[3]),
                .impolite = *impolite,
                .ip_a = mine->second.seeker.ip,
                .ip_b = std::string(f[5]),
                .privacy = mine->second.seeker.privacy || f[6] == "1"};
    waiting_.erase(mine);
    if (handler_) {
        handler_(match);
    }
}

void RedisMatcher::leave(SessionId id, std::string_view reason) {
    waiting_.erase(id);
    run({"leave", id_text(id), reason}, node_text_, nullptr);
}

void RedisMatcher::close(SessionId id) {
    waiting_.erase(id);
    run({"close", id_text(id)}, node_text_, nullptr);
}

void RedisMatcher::block(SessionId who, SessionId whom, std::string_view ip_who,
                         std::string_view ip_whom) {
    auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.ip_block_ttl);
    run({"block", id_text(who), id_text(whom), ip_who, ip_whom, std::to_string(ttl.count())},
        node_text_, nullptr);
}

void RedisMatcher::ip_blocks(IpBlocksHandler done) {
    std::string_view argv[] = {"HGETALL", ip_blocks_key()};
    int64_t now_ms = wall_ms(Clock::now());
    bool sent = commands_.command(argv, [done, now_ms](redisReply* reply) {
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
            done(std::nullopt);
            return;
        }
        std::vector<IpBlock> out;
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            auto pair = fields(str(reply->element[i]), 1);
            int64_t expires_ms = 0;
            auto value = str(reply->element[i + 1]);
            std::from_chars(value.data(), value.data() + value.size(), expires_ms);
            if (pair.size() == 2 && expires_ms > now_ms) {
                out.push_back({std::string(pair[0]), std::string(pair[1]), expires_ms / 1000});
            }
        }
        done(std::move(out));
    });
    if (!sent) {
        done(std::nullopt);
    }
}

void RedisMatcher::unblock_ips(std::string_view a, std::string_view b) {
    // The script's field: the two addresses in byte order, tab between.
    std::string pair = a < b ? fmt::format("{}\t{}", a, b) : fmt::format("{}\t{}", b, a);
    std::string_view argv[] = {"HDEL", ip_blocks_key(), pair};
    commands_.command(argv, nullptr);
}

void RedisMatcher::send(const Parcel& parcel) {
    std::string channel = key(fmt::format("node:{:06x}", node_of(parcel.to)));
    std::string payload = fmt::format("{}\t{}\t{}\t{}", static_cast<char>(parcel.kind),
                                      id_text(parcel.from), id_text(parcel.to), parcel.body);
    std::string_view argv[] = {"PUBLISH", channel, payload};
    commands_.command(argv, nullptr);
}

// --- time ---

void RedisMatcher::tick(Clock::time_point now) {
    now_ = now;
    if (commands_.ready() && (now - last_beat_ >= beat_every || now < last_beat_)) {
        beat();
    }
    promote_due_waiters();
}

void RedisMatcher::promote_due_waiters() {
    while (!interest_deadlines_.empty() && interest_deadlines_.begin()->first <= now_) {
        SessionId id = interest_deadlines_.begin()->second;
        interest_deadlines_.erase(interest_deadlines_.begin());
        auto it = waiting_.find(id);
        if (it != waiting_.end() && !it->second.open) {
            it->second.open = true;
            send_find(it->second, true);
        }
    }
}

void RedisMatcher::beat() {
    last_beat_ = now_;
    run({"beat", std::to_string(lease.count()), sweep_cursor_}, node_text_,
        [this](redisReply* reply) {
            if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
                return;
            }
            std::string_view cursor = str(reply->element[0]);
            sweep_cursor_ = std::string(cursor.empty() ? std::string_view("0") : cursor);
            const redisReply* dead = reply->element[1];
            for (size_t i = 0; dead->type == REDIS_REPLY_ARRAY && i < dead->elements; ++i) {
                reap(std::string(str(dead->element[i])));
            }
        });
}

void RedisMatcher::reap(const std::string& node) {
    run({"reap", node}, node, [node](redisReply* reply) {
        if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER) {
            spdlog::warn("matcher: node {} stopped renewing its lease; {} of its sessions let go",
                         node, reply->integer);
        }
    });
}

}  // namespace turnpike::matcher
