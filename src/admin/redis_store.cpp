#include "admin/redis_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace turnpike::admin {

namespace {

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string key(std::string_view name) {
    return fmt::format("{{turnpike}}:{}", name);
}

// Fields are joined by tabs; a tab, newline or backslash inside one is
// escaped, so admin-written text cannot break the record.
std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            char next = text[++i];
            out += next == 't' ? '\t' : next == 'n' ? '\n' : next;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string join(std::initializer_list<std::string_view> fields) {
    std::string out;
    for (auto field : fields) {
        if (!out.empty()) {
            out += '\t';
        }
        out += escape(field);
    }
    return out;
}

std::vector<std::string> split(std::string_view record) {
    std::vector<std::string> out;
    while (true) {
        size_t tab = record.find('\t');
        out.push_back(unescape(record.substr(0, tab)));
        if (tab == std::string_view::npos) {
            return out;
        }
        record = record.substr(tab + 1);
    }
}

std::optional<int64_t> number(std::string_view text) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::string optional_text(std::optional<int64_t> value) {
    return value ? std::to_string(*value) : std::string{};
}

}  // namespace

// One reply, freed on scope exit.
class RedisStore::Reply {
  public:
    explicit Reply(redisReply* reply) : reply_(reply) {}
    ~Reply() {
        if (reply_ != nullptr) {
            freeReplyObject(reply_);
        }
    }
    Reply(Reply&& other) noexcept : reply_(std::exchange(other.reply_, nullptr)) {}
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;

    const redisReply* operator->() const { return reply_; }
    bool nil() const { return reply_->type == REDIS_REPLY_NIL; }
    std::string text() const {
        return reply_->type == REDIS_REPLY_STRING || reply_->type == REDIS_REPLY_STATUS
                   ? std::string(reply_->str, reply_->len)
                   : std::string{};
    }
    int64_t integer() const { return reply_->type == REDIS_REPLY_INTEGER ? reply_->integer : 0; }
    std::vector<std::string> strings() const {
        std::vector<std::string> out;
        for (size_t i = 0; reply_->type == REDIS_REPLY_ARRAY && i < reply_->elements; ++i) {
            const redisReply* e = reply_->element[i];
            out.emplace_back(e->type == REDIS_REPLY_STRING ? std::string(e->str, e->len) : "");
        }
        return out;
    }

  private:
    redisReply* reply_;
};

RedisStore::RedisStore(RedisEndpoint endpoint) : endpoint_(std::move(endpoint)) {
    connect();
    command({"PING"});
}

RedisStore::~RedisStore() {
    if (context_ != nullptr) {
        redisFree(context_);
    }
}

void RedisStore::connect() const {
    if (context_ != nullptr) {
        redisFree(context_);
        context_ = nullptr;
    }
    timeval timeout{2, 0};
    redisContext* c = endpoint_.socket_path.empty()
                          ? redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, timeout)
                          : redisConnectUnixWithTimeout(endpoint_.socket_path.c_str(), timeout);
    if (c == nullptr || c->err != 0) {
        std::string why = c != nullptr ? c->errstr : "out of memory";
        if (c != nullptr) {
            redisFree(c);
        }
        throw std::runtime_error(fmt::format("store: Redis at {}: {}", endpoint_.describe(), why));
    }
    redisSetTimeout(c, timeout);
    context_ = c;
    if (!endpoint_.password.empty()) {
        Reply auth(
            static_cast<redisReply*>(redisCommand(c, "AUTH %s", endpoint_.password.c_str())));
        if (auth.operator->() == nullptr || auth->type == REDIS_REPLY_ERROR) {
            throw std::runtime_error(
                fmt::format("store: Redis at {} refused the password", endpoint_.describe()));
        }
    }
    if (endpoint_.db != 0) {
        Reply select(static_cast<redisReply*>(redisCommand(c, "SELECT %u", endpoint_.db)));
    }
}

// One try, then one more on a fresh connection (Redis restarted meanwhile).
RedisStore::Reply RedisStore::command(std::initializer_list<std::string_view> args) const {
    std::vector<const char*> parts;
    std::vector<size_t> lengths;
    for (auto arg : args) {
        parts.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (context_ == nullptr || context_->err != 0) {
            connect();
        }
        auto* raw = static_cast<redisReply*>(redisCommandArgv(
            context_, static_cast<int>(parts.size()), parts.data(), lengths.data()));
        if (raw == nullptr) {
            continue;
        }
        Reply reply(raw);
        if (reply->type == REDIS_REPLY_ERROR) {
            throw std::runtime_error(fmt::format("store: Redis: {}", reply->str));
        }
        return reply;
    }
    throw std::runtime_error(
        fmt::format("store: Redis at {} does not answer", endpoint_.describe()));
}

// --- accounts ---

bool RedisStore::add_admin(const AdminAccount& account) {
    return command({"HSETNX", key("admins"), account.name,
                    join({to_string(account.role), account.password_hash})})
               .integer() == 1;
}

bool RedisStore::remove_admin(std::string_view name) {
    bool removed = command({"HDEL", key("admins"), name}).integer() == 1;
    revoke_tokens_of(name);
    return removed;
}

std::optional<AdminAccount> RedisStore::admin(std::string_view name) const {
    Reply reply = command({"HGET", key("admins"), name});
    if (reply.nil()) {
        return std::nullopt;
    }
    auto f = split(reply.text());
    if (f.size() != 2) {
        return std::nullopt;
    }
    return AdminAccount{std::string(name), parse_role(f[0]).value_or(Role::moderator), f[1]};
}

std::vector<AdminAccount> RedisStore::admins() const {
    auto flat = command({"HGETALL", key("admins")}).strings();
    std::vector<AdminAccount> out;
    for (size_t i = 0; i + 1 < flat.size(); i += 2) {
        auto f = split(flat[i + 1]);
        out.push_back({flat[i], parse_role(f[0]).value_or(Role::moderator), {}});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
    return out;
}

void RedisStore::add_token(std::string_view digest, std::string_view admin, int64_t expires_unix) {
    int64_t ttl = expires_unix - unix_now();
    if (ttl <= 0) {
        return;  // born expired
    }
    command({"SET", key(fmt::format("token:{}", digest)), admin, "EX", std::to_string(ttl)});
    command({"SADD", key(fmt::format("tokens-of:{}", admin)), digest});
}

std::optional<std::string> RedisStore::token_admin(std::string_view digest, int64_t) const {
    Reply reply = command({"GET", key(fmt::format("token:{}", digest))});
    if (reply.nil()) {
        return std::nullopt;
    }
    std::string name = reply.text();
    if (!admin(name)) {
        return std::nullopt;
    }
    return name;
}

void RedisStore::revoke_token(std::string_view digest) {
    command({"DEL", key(fmt::format("token:{}", digest))});
}

void RedisStore::revoke_tokens_of(std::string_view admin) {
    std::string set = key(fmt::format("tokens-of:{}", admin));
    for (const auto& digest : command({"SMEMBERS", set}).strings()) {
        revoke_token(digest);
    }
    command({"DEL", set});
}

// --- bans ---

int64_t RedisStore::add_ban(const Ban& ban) {
    int64_t id = command({"INCR", key("ids:ban")}).integer();
    command({"HSET", key("bans"), std::to_string(id),
             join({ban.cidr, ban.reason, ban.created_by, std::to_string(ban.created_unix),
                   optional_text(ban.expires_unix), ""})});
    return id;
}

bool RedisStore::remove_ban(int64_t id) {
    Reply reply = command({"HGET", key("bans"), std::to_string(id)});
    if (reply.nil()) {
        return false;
    }
    auto f = split(reply.text());
    if (f.size() != 6 || !f[5].empty()) {
        return false;
    }
    f[5] = std::to_string(unix_now());
    command({"HSET", key("bans"), std::to_string(id), join({f[0], f[1], f[2], f[3], f[4], f[5]})});
    return true;
}

std::vector<Ban> RedisStore::all_bans() const {
    auto flat = command({"HGETALL", key("bans")}).strings();
    std::vector<Ban> out;
    for (size_t i = 0; i + 1 < flat.size(); i += 2) {
        auto f = split(flat[i + 1]);
        if (f.size() != 6 || !f[5].empty()) {
            continue;  // lifted
        }
        out.push_back({number(flat[i]).value_or(0), f[0], f[1], f[2], number(f[3]).value_or(0),
                       number(f[4])});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id > b.id; });
    return out;
}

std::vector<Ban> RedisStore::bans(int64_t now_unix, Page page) const {
    std::vector<Ban> live;
    for (auto& ban : all_bans()) {
        if (!ban.expires_unix || *ban.expires_unix > now_unix) {
            live.push_back(std::move(ban));
        }
    }
    auto first = std::min<size_t>(live.size(), static_cast<size_t>(page.offset));
    auto last = std::min<size_t>(live.size(), first + static_cast<size_t>(page.limit));
    return {std::make_move_iterator(live.begin() + static_cast<long>(first)),
            std::make_move_iterator(live.begin() + static_cast<long>(last))};
}

std::optional<int64_t> RedisStore::next_ban_expiry(int64_t now_unix) const {
    std::optional<int64_t> next;
    for (const auto& ban : all_bans()) {
        if (ban.expires_unix && *ban.expires_unix > now_unix &&
            (!next || *ban.expires_unix < *next)) {
            next = ban.expires_unix;
        }
    }
    return next;
}

// --- reports ---

void RedisStore::add(signal::Report report) {
    int64_t id = command({"INCR", key("ids:report")}).integer();
    std::string record = join({std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                  report.at.time_since_epoch())
                                                  .count()),
                               report.reporter_session, report.reporter_ip, report.reported_session,
                               report.reported_ip, report.reason, "", "", ""});
    for (const auto& line : report.transcript) {
        record += '\t';
        record += escape(line);
    }
    command({"HSET", key("reports"), std::to_string(id), record});
}

std::vector<StoredReport> RedisStore::all_reports() const {
    auto flat = command({"HGETALL", key("reports")}).strings();
    std::vector<StoredReport> out;
    for (size_t i = 0; i + 1 < flat.size(); i += 2) {
        auto f = split(flat[i + 1]);
        if (f.size() < 9) {
            continue;
        }
        StoredReport r;
        r.id = number(flat[i]).value_or(0);
        r.report.at =
            std::chrono::system_clock::time_point(std::chrono::seconds(number(f[0]).value_or(0)));
        r.report.reporter_session = f[1];
        r.report.reporter_ip = f[2];
        r.report.reported_session = f[3];
        r.report.reported_ip = f[4];
        r.report.reason = f[5];
        r.resolved_unix = number(f[6]);
        r.resolved_by = f[7];
        r.resolution = f[8];
        r.report.transcript.assign(f.begin() + 9, f.end());
        out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id > b.id; });
    return out;
}

std::vector<StoredReport> RedisStore::reports(bool open_only, Page page) const {
    std::vector<StoredReport> chosen;
    for (auto& r : all_reports()) {
        if (!open_only || !r.resolved_unix) {
            chosen.push_back(std::move(r));
        }
    }
    auto first = std::min<size_t>(chosen.size(), static_cast<size_t>(page.offset));
    auto last = std::min<size_t>(chosen.size(), first + static_cast<size_t>(page.limit));
    return {std::make_move_iterator(chosen.begin() + static_cast<long>(first)),
            std::make_move_iterator(chosen.begin() + static_cast<long>(last))};
}

size_t RedisStore::size() const {
    return static_cast<size_t>(command({"HLEN", key("reports")}).integer());
}

bool RedisStore::resolve_report(int64_t id, std::string_view by, std::string_view resolution,
                                int64_t now_unix) {
    Reply reply = command({"HGET", key("reports"), std::to_string(id)});
    if (reply.nil()) {
        return false;
    }
    std::string record = reply.text();
    auto f = split(record);
    if (f.size() < 9 || !f[6].empty()) {
        return false;
    }
    std::string updated =
        join({f[0], f[1], f[2], f[3], f[4], f[5], std::to_string(now_unix), by, resolution});
    for (size_t i = 9; i < f.size(); ++i) {
        updated += '\t';
        updated += escape(f[i]);
    }
    command({"HSET", key("reports"), std::to_string(id), updated});
    return true;
}

// --- audit ---

void RedisStore::audit(std::string_view admin, std::string_view action, std::string_view detail) {
    int64_t id = command({"INCR", key("ids:audit")}).integer();
    command({"LPUSH", key("audit"),
             join({std::to_string(id), std::to_string(unix_now()), admin, action, detail})});
}

std::vector<AuditEntry> RedisStore::audit_log(Page page) const {
    auto lines = command({"LRANGE", key("audit"), std::to_string(page.offset),
                          std::to_string(page.offset + page.limit - 1)})
                     .strings();
    std::vector<AuditEntry> out;
    for (const auto& line : lines) {
        auto f = split(line);
        if (f.size() == 5) {
            out.push_back({number(f[0]).value_or(0), number(f[1]).value_or(0), f[2], f[3], f[4]});
        }
    }
    return out;
}

}  // namespace turnpike::admin
