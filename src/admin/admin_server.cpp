#include "admin/admin_server.hpp"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "admin/metrics.hpp"
#include "admin/password.hpp"
#include "signal/json_writer.hpp"

namespace turnpike::admin {

using signal::JsonWriter;

namespace {

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    while (!path.empty()) {
        size_t slash = path.find('/');
        if (slash != 0) {
            out.emplace_back(path.substr(0, slash));
        }
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    }
    return out;
}

std::optional<int64_t> parse_int(std::string_view text) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// The request body as one JSON object (json-glib), or nothing.
class JsonBody {
  public:
    explicit JsonBody(std::string_view text) : parser_(json_parser_new()) {
        if (!text.empty() && json_parser_load_from_data(
                                 parser_, text.data(), static_cast<gssize>(text.size()), nullptr)) {
            JsonNode* root = json_parser_get_root(parser_);
            if (root != nullptr && JSON_NODE_HOLDS_OBJECT(root)) {
                object_ = json_node_get_object(root);
            }
        }
    }
    ~JsonBody() { g_object_unref(parser_); }
    JsonBody(const JsonBody&) = delete;
    JsonBody& operator=(const JsonBody&) = delete;

    bool ok() const { return object_ != nullptr; }
    std::optional<std::string> string(const char* name) const {
        JsonNode* node = member(name);
        if (node == nullptr || json_node_get_value_type(node) != G_TYPE_STRING) {
            return std::nullopt;
        }
        return std::string(json_node_get_string(node));
    }
    std::optional<int64_t> integer(const char* name) const {
        JsonNode* node = member(name);
        if (node == nullptr || json_node_get_value_type(node) != G_TYPE_INT64) {
            return std::nullopt;
        }
        return json_node_get_int(node);
    }
    bool has(const char* name) const { return member(name) != nullptr; }

  private:
    JsonNode* member(const char* name) const {
        if (object_ == nullptr || !json_object_has_member(object_, name)) {
            return nullptr;
        }
        JsonNode* node = json_object_get_member(object_, name);
        return JSON_NODE_HOLDS_VALUE(node) ? node : nullptr;
    }

    JsonParser* parser_;
    JsonObject* object_ = nullptr;
};

}  // namespace

struct AdminServer::Request {
    std::string method;
    std::vector<std::string> path;
    std::unordered_map<std::string, std::string> query;
    std::string body;
    std::string ip;
    std::string bearer;
    std::optional<AdminAccount> account;

    Page page() const {
        Page page;
        if (auto it = query.find("offset"); it != query.end()) {
            page.offset = std::max<int64_t>(0, parse_int(it->second).value_or(0));
        }
        if (auto it = query.find("limit"); it != query.end()) {
            page.limit = std::clamp<int64_t>(parse_int(it->second).value_or(50), 1, 500);
        }
        return page;
    }
};

struct AdminServer::Reply {
    Reply() = default;
    Reply(unsigned code, std::string text) : status(code), body(std::move(text)) {}

    unsigned status = 200;
    std::string body;
    std::string allow;  // for 405
    std::string content_type = "application/json";

    static Reply json(std::string body, unsigned status = 200) { return {status, std::move(body)}; }
    static Reply error(unsigned status, std::string_view message) {
        JsonWriter out;
        out.begin_object().key("error").value(message).end_object();
        return {status, out.take()};
    }
    static Reply method_not_allowed(std::string allow) {
        Reply r = error(405, "method not allowed");
        r.allow = std::move(allow);
        return r;
    }
};

AdminServer::AdminServer(const Config& config, Store& store, AdminHooks hooks)
    : config_(config), store_(store), hooks_(std::move(hooks)) {
    server_ = soup_server_new("server-header", "turnpike-admin", nullptr);
    soup_server_add_early_handler(server_, nullptr, &AdminServer::on_early, this, nullptr);
    soup_server_add_handler(server_, nullptr, &AdminServer::on_request, this, nullptr);
}

AdminServer::~AdminServer() {
    for (guint source : {ban_timer_, ban_poll_}) {
        if (source != 0) {
            g_source_remove(source);
        }
    }
    soup_server_disconnect(server_);
    g_object_unref(server_);
}

void AdminServer::start() {
    for (const auto& address : config_.admin.listen) {
        GSocketAddress* native = g_socket_address_new_from_native(
            const_cast<sockaddr*>(address.sockaddr_ptr()), address.length());
        GError* error = nullptr;
        bool ok =
            soup_server_listen(server_, native, static_cast<SoupServerListenOptions>(0), &error);
        g_object_unref(native);
        if (!ok) {
            std::string message = error != nullptr ? error->message : "unknown error";
            g_clear_error(&error);
            throw std::runtime_error(
                fmt::format("admin: cannot listen on {}: {}", address.to_string(), message));
        }
        auto ip = IpAddress(address);
        bool loopback =
            (ip.is_v4() && (ip.v4_value() >> 24) == 127) || address.ip_string() == "::1";
        if (!loopback) {
            spdlog::warn(
                "admin: listening on {}, which is not loopback: bearer tokens cross the network "
                "in clear text unless a TLS proxy is in front",
                address.to_string());
        }
        spdlog::info("admin: API on http://{}/admin/, metrics on /metrics", address.to_string());
    }
    if (store_.admins().empty()) {
        spdlog::warn(
            "admin: no admin account yet; create one with `turnpike admin add-user NAME --role "
            "superadmin` (password on stdin)");
    }
    apply_bans();
    if (store_.shared()) {
        ban_poll_ = g_timeout_add_seconds(1, &AdminServer::on_ban_poll, this);
    }
}

// --- bans reach the handshake and the relay ---

// Another node may have banned or lifted: looked for once a second.
gboolean AdminServer::on_ban_poll(gpointer self) {
    try {
        static_cast<AdminServer*>(self)->apply_bans();
    } catch (const std::exception& e) {
        spdlog::warn("admin: cannot read bans from the store: {}", e.what());
    }
    return G_SOURCE_CONTINUE;
}

void AdminServer::apply_bans() {
    int64_t now = unix_now();
    auto set = std::make_shared<CidrSet>();
    std::string fingerprint;
    for (int64_t offset = 0;; offset += 500) {
        auto page = store_.bans(now, {offset, 500});
        for (const auto& ban : page) {
            if (auto cidr = Cidr::try_parse(ban.cidr)) {
                set->add(*cidr);
                fingerprint += fmt::format("{} ", ban.id);
            }
        }
        if (page.size() < 500) {
            break;
        }
    }
    if (hooks_.apply_bans && fingerprint != applied_bans_) {
        hooks_.apply_bans(set->empty() ? nullptr : std::shared_ptr<const CidrSet>(set));
    }
    applied_bans_ = std::move(fingerprint);
    if (ban_timer_ != 0) {
        g_source_remove(ban_timer_);
        ban_timer_ = 0;
    }
    if (auto next = store_.next_ban_expiry(now)) {
        // A ban ends when the clock reaches its second: wake just past it. Not
        // g_timeout_add_seconds, which rounds to GLib's shared second ticks and
        // let a ban outlive its expiry by up to two seconds.
        int64_t wait_ms = std::clamp<int64_t>(*next * 1000 - unix_now_ms() + 20, 0, 86400000);
        ban_timer_ = g_timeout_add(static_cast<guint>(wait_ms), &AdminServer::on_ban_expiry, this);
    }
}

gboolean AdminServer::on_ban_expiry(gpointer self) {
    auto& server = *static_cast<AdminServer*>(self);
    server.ban_timer_ = 0;
    server.apply_bans();
    return G_SOURCE_REMOVE;
}

// --- HTTP ---

// A declared body over the cap is refused before libsoup reads it.
void AdminServer::on_early(SoupServer*, SoupServerMessage* message, const char*, GHashTable*,
                           gpointer) {
    goffset length =
        soup_message_headers_get_content_length(soup_server_message_get_request_headers(message));
    if (length > static_cast<goffset>(max_body)) {
        static constexpr std::string_view body = R"({"error":"body too large"})";
        soup_server_message_set_status(message, 413, nullptr);
        soup_server_message_set_response(message, "application/json", SOUP_MEMORY_STATIC,
                                         body.data(), body.size());
    }
}

void AdminServer::on_request(SoupServer*, SoupServerMessage* message, const char* path,
                             GHashTable* query, gpointer self) {
    auto& server = *static_cast<AdminServer*>(self);
    Request request;
    request.method = soup_server_message_get_method(message);
    request.path = split_path(path);
    if (query != nullptr) {
        GHashTableIter it;
        gpointer k = nullptr;
        gpointer v = nullptr;
        g_hash_table_iter_init(&it, query);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            request.query.emplace(static_cast<const char*>(k), static_cast<const char*>(v));
        }
    }
    SoupMessageBody* body = soup_server_message_get_request_body(message);
    Reply reply;
    if (body != nullptr && body->length > static_cast<goffset>(max_body)) {
        reply = Reply::error(413, "body too large");
    } else {
        if (body != nullptr && body->data != nullptr) {
            request.body.assign(body->data, static_cast<size_t>(body->length));
        }
        const char* remote = soup_server_message_get_remote_host(message);
        request.ip = remote != nullptr ? remote : "";
        const char* auth = soup_message_headers_get_one(
            soup_server_message_get_request_headers(message), "Authorization");
        if (auth != nullptr && std::string_view(auth).starts_with("Bearer ")) {
            request.bearer = std::string(auth + 7);
        }
        try {
            if (server.list_blocks_later(request, message)) {
                return;
            }
            reply = server.route(request);
        } catch (const std::exception& e) {
            spdlog::error("admin: {} {}: {}", request.method, path, e.what());
            reply = Reply::error(500, "internal error");
        }
    }
    SoupMessageHeaders* headers = soup_server_message_get_response_headers(message);
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
    if (!reply.allow.empty()) {
        soup_message_headers_replace(headers, "Allow", reply.allow.c_str());
    }
    soup_server_message_set_status(message, reply.status, nullptr);
    soup_server_message_set_response(message, reply.content_type.c_str(), SOUP_MEMORY_COPY,
                                     reply.body.data(), reply.body.size());
}

AdminServer::Reply AdminServer::route(Request& r) {
    const auto& p = r.path;
    if (p.size() == 1 && p[0] == "metrics") {
        if (r.method != "GET") {
            return Reply::method_not_allowed("GET");
        }
        std::optional<relay::RelayStats> relay;
        std::optional<signal::SignalStats> signal;
        if (hooks_.relay_stats) {
            relay = hooks_.relay_stats();
        }
        if (hooks_.signal_stats) {
            signal = hooks_.signal_stats();
        }
        Reply reply{200, render_metrics(relay ? &*relay : nullptr, signal ? &*signal : nullptr)};
        reply.content_type = "text/plain; version=0.0.4";
        return reply;
    }
    if (p.empty() || p[0] != "admin" || p.size() < 2) {
        return Reply::error(404, "no such endpoint");
    }
    if (p[1] == "login" && p.size() == 2) {
        return r.method == "POST" ? login(r) : Reply::method_not_allowed("POST");
    }
    if (p[1] == "blocks" && p.size() == 2) {
        r.account = authenticate(r);
        if (!r.account) {
            return Reply::error(401, "a valid bearer token is needed: POST /admin/login");
        }
        return blocks(r);
    }
    static const std::set<std::string> known = {"logout",      "stats",  "sessions",
                                                "allocations", "bans",   "reports",
                                                "audit",       "admins", "quotas"};
    if (!known.contains(p[1])) {
        return Reply::error(404, "no such endpoint");
    }
    r.account = authenticate(r);
    if (!r.account) {
        return Reply::error(401, "a valid bearer token is needed: POST /admin/login");
    }
    if (p[1] == "logout" && p.size() == 2) {
        if (r.method != "POST") {
            return Reply::method_not_allowed("POST");
        }
        store_.revoke_token(token_digest(r.bearer));
        store_.audit(r.account->name, "logout", "");
        return Reply::json(R"({"ok":true})");
    }
    if (p[1] == "stats" && p.size() == 2) {
        return r.method == "GET" ? stats() : Reply::method_not_allowed("GET");
    }
    if (p[1] == "sessions") {
        return sessions(r);
    }
    if (p[1] == "allocations" && p.size() == 2) {
        return allocations(r);
    }
    if (p[1] == "bans") {
        return bans(r);
    }
    if (p[1] == "reports") {
        return reports(r);
    }
    if (p[1] == "audit" && p.size() == 2) {
        return r.method == "GET" ? audit(r) : Reply::method_not_allowed("GET");
    }
    if (r.account->role != Role::superadmin) {
        return Reply::error(403, "this needs the superadmin role");
    }
    if (p[1] == "admins" && p.size() == 2) {
        if (r.method != "GET") {
            return Reply::method_not_allowed("GET");
        }
        JsonWriter out;
        out.begin_object().key("admins").begin_array();
        for (const auto& a : store_.admins()) {
            out.begin_object().key("name").value(a.name).key("role").value(to_string(a.role));
            out.end_object();
        }
        return Reply::json(out.end_array().end_object().take());
    }
    return quotas(r);
}

std::optional<AdminAccount> AdminServer::authenticate(Request& r) {
    if (r.bearer.empty() || r.bearer.size() > 256) {
        return std::nullopt;
    }
    // Looked up by digest: the lookup compares digests, never the token.
    auto name = store_.token_admin(token_digest(r.bearer), unix_now());
    return name ? store_.admin(*name) : std::nullopt;
}

AdminServer::Reply AdminServer::login(Request& r) {
    JsonBody body(r.body);
    auto name = body.string("name");
    auto password = body.string("password");
    if (!body.ok() || !name || !password) {
        return Reply::error(400, R"(expected {"name": "...", "password": "..."})");
    }
    auto now = LoginLimiter::Clock::now();
    switch (limiter_.check(r.ip, *name, now)) {
        case LoginLimiter::Verdict::slow_down:
            return Reply::error(429, "too many login attempts from this address; wait a minute");
        case LoginLimiter::Verdict::locked:
            store_.audit(*name, "login-locked", r.ip);
            return Reply::error(429, "this account is locked after repeated failures; wait");
        case LoginLimiter::Verdict::allow:
            break;
    }
    auto account = store_.admin(*name);
    // An unknown name costs the same hash as a known one.
    static const std::string decoy = hash_password("decoy password, never valid");
    bool good =
        verify_password(account ? account->password_hash : decoy, *password) && account.has_value();
    if (!good) {
        limiter_.failed(r.ip, *name, now);
        store_.audit(*name, "login-failed", r.ip);
        return Reply::error(401, "wrong name or password");
    }
    limiter_.succeeded(*name);
    std::string token = new_token();
    int64_t expires = unix_now() + config_.admin.token_ttl.count();
    store_.add_token(token_digest(token), account->name, expires);
    store_.audit(account->name, "login", r.ip);
    JsonWriter out;
    out.begin_object().key("token").value(token).key("expires").value(expires);
    out.key("role").value(to_string(account->role)).end_object();
    return Reply::json(out.take());
}

AdminServer::Reply AdminServer::stats() {
    JsonWriter out;
    out.begin_object();
    if (hooks_.signal_stats) {
        auto s = hooks_.signal_stats();
        uint64_t reported = s.path_p2p + s.path_relay;
        out.key("signal").begin_object();
        out.key("sessions").value(static_cast<int64_t>(s.sessions_open));
        out.key("waiting").value(static_cast<int64_t>(s.sessions_waiting));
        out.key("pairs").value(static_cast<int64_t>(s.sessions_paired / 2));
        out.key("matches").value(static_cast<int64_t>(s.matches));
        out.key("pathP2p").value(static_cast<int64_t>(s.path_p2p));
        out.key("pathRelay").value(static_cast<int64_t>(s.path_relay));
        out.key("relayFraction")
            .raw(reported == 0 ? "null"
                               : fmt::format("{:.4f}", static_cast<double>(s.path_relay) /
                                                           static_cast<double>(reported)));
        out.key("reports").value(static_cast<int64_t>(s.reports));
        out.key("blocks").value(static_cast<int64_t>(s.blocks));
        out.end_object();
    }
    if (hooks_.relay_stats) {
        auto r = hooks_.relay_stats();
        out.key("relay").begin_object();
        out.key("allocations").value(static_cast<int64_t>(r.allocations_active));
        out.key("allocationsTotal").value(static_cast<int64_t>(r.allocations_created));
        out.key("packetsToPeer").value(static_cast<int64_t>(r.relayed_to_peer_packets));
        out.key("packetsToClient").value(static_cast<int64_t>(r.relayed_to_client_packets));
        out.key("bytesToPeer").value(static_cast<int64_t>(r.relayed_to_peer_bytes));
        out.key("bytesToClient").value(static_cast<int64_t>(r.relayed_to_client_bytes));
        out.key("drops").begin_object();
        out.key("noAllocation").value(static_cast<int64_t>(r.dropped_no_allocation));
        out.key("noPermission").value(static_cast<int64_t>(r.dropped_no_permission));
        out.key("rateLimited").value(static_cast<int64_t>(r.dropped_rate_limited));
        out.key("peerDenied").value(static_cast<int64_t>(r.peer_denied));
        out.key("malformed").value(static_cast<int64_t>(r.dropped_malformed));
        out.end_object();
        out.key("authFailures").value(static_cast<int64_t>(r.auth_failures));
        out.end_object();
    }
    return Reply::json(out.end_object().take());
}

AdminServer::Reply AdminServer::sessions(Request& r) {
    if (!hooks_.sessions) {
        return Reply::error(404, "this node runs no signal server");
    }
    if (r.path.size() == 2) {
        if (r.method != "GET") {
            return Reply::method_not_allowed("GET");
        }
        auto all = hooks_.sessions();
        Page page = r.page();
        JsonWriter out;
        out.begin_object().key("total").value(static_cast<int64_t>(all.size()));
        out.key("sessions").begin_array();
        for (int64_t i = page.offset;
             i < static_cast<int64_t>(all.size()) && i < page.offset + page.limit; ++i) {
            const auto& s = all[static_cast<size_t>(i)];
            out.begin_object().key("id").value(s.id).key("ip").value(s.ip);
            out.key("state").value(s.state).key("mode").value(s.mode);
            out.key("partner").value(s.partner).key("since").value(s.since_unix).end_object();
        }
        return Reply::json(out.end_array().end_object().take());
    }
    if (r.path.size() == 3) {
        if (r.method != "DELETE") {
            return Reply::method_not_allowed("DELETE");
        }
        if (!hooks_.disconnect(r.path[2])) {
            return Reply::error(404, "no such session");
        }
        store_.audit(r.account->name, "disconnect-session", r.path[2]);
        return Reply::json(R"({"ok":true})");
    }
    return Reply::error(404, "no such endpoint");
}

AdminServer::Reply AdminServer::allocations(Request& r) {
    if (!hooks_.allocations) {
        return Reply::error(404, "this node runs no relay");
    }
    if (r.method == "DELETE") {
        auto it = r.query.find("client");
        auto client = it == r.query.end() ? std::nullopt : SocketAddress::parse(it->second);
        if (!client) {
            return Reply::error(400, "`client` must be the client's IP:PORT ([IPv6]:PORT)");
        }
        size_t ended = hooks_.kill_allocations(*client);
        if (ended == 0) {
            return Reply::error(404, "no allocation of that client");
        }
        store_.audit(r.account->name, "kill-allocation", client->to_string());
        JsonWriter out;
        out.begin_object().key("ended").value(static_cast<int64_t>(ended)).end_object();
        return Reply::json(out.take());
    }
    if (r.method != "GET") {
        return Reply::method_not_allowed("GET, DELETE");
    }
    auto all = hooks_.allocations();
    Page page = r.page();
    JsonWriter out;
    out.begin_object().key("total").value(static_cast<int64_t>(all.size()));
    out.key("allocations").begin_array();
    for (int64_t i = page.offset;
         i < static_cast<int64_t>(all.size()) && i < page.offset + page.limit; ++i) {
        const auto& a = all[static_cast<size_t>(i)];
        out.begin_object().key("client").value(a.client).key("relayed").value(a.relayed);
        out.key("username").value(a.username).key("transport").value(a.transport);
        out.key("expiresIn").value(a.expires_in);
        out.key("permissions").value(static_cast<int64_t>(a.permissions));
        out.key("channels").value(static_cast<int64_t>(a.channels)).end_object();
    }
    return Reply::json(out.end_array().end_object().take());
}

bool AdminServer::list_blocks_later(Request& r, SoupServerMessage* message) {
    if (r.method != "GET" || r.path.size() != 2 || r.path[0] != "admin" || r.path[1] != "blocks" ||
        !hooks_.ip_blocks) {
        return false;
    }
    r.account = authenticate(r);
    if (!r.account) {
        return false;  // route() answers 401
    }
    Page page = r.page();
    soup_server_message_pause(message);
    g_object_ref(message);
    // Captures no `this`: the answer may come after the server is gone.
    hooks_.ip_blocks([message, page](std::optional<std::vector<matcher::IpBlock>> blocks) {
        std::string body;
        unsigned status = 200;
        if (!blocks) {
            status = 503;
            body = R"({"error":"the matcher cannot be read now"})";
        } else {
            JsonWriter out;
            out.begin_object().key("total").value(static_cast<int64_t>(blocks->size()));
            out.key("blocks").begin_array();
            for (int64_t i = page.offset;
                 i < static_cast<int64_t>(blocks->size()) && i < page.offset + page.limit; ++i) {
                const auto& b = (*blocks)[static_cast<size_t>(i)];
                out.begin_object().key("a").value(b.ip_a).key("b").value(b.ip_b);
                out.key("expires").value(b.expires_unix).end_object();
            }
            body = out.end_array().end_object().take();
        }
        soup_message_headers_replace(soup_server_message_get_response_headers(message),
                                     "Cache-Control", "no-store");
        soup_server_message_set_status(message, status, nullptr);
        soup_server_message_set_response(message, "application/json", SOUP_MEMORY_COPY, body.data(),
                                         body.size());
        soup_server_message_unpause(message);
        g_object_unref(message);
    });
    return true;
}

// DELETE /admin/blocks?a=IP&b=IP lifts the block between two addresses.
AdminServer::Reply AdminServer::blocks(Request& r) {
    if (!hooks_.unblock_ips) {
        return Reply::error(404, "this node runs no matcher");
    }
    if (r.method != "DELETE") {
        return Reply::method_not_allowed("GET, DELETE");
    }
    auto a = r.query.find("a");
    auto b = r.query.find("b");
    if (a == r.query.end() || b == r.query.end() || !IpAddress::parse(a->second) ||
        !IpAddress::parse(b->second)) {
        return Reply::error(400, "`a` and `b` must be the two IP addresses");
    }
    hooks_.unblock_ips(a->second, b->second);
    store_.audit(r.account->name, "unblock", fmt::format("{} {}", a->second, b->second));
    return Reply::json(R"({"ok":true})");
}

AdminServer::Reply AdminServer::bans(Request& r) {
    if (r.path.size() == 2 && r.method == "GET") {
        JsonWriter out;
        out.begin_object().key("bans").begin_array();
        for (const auto& b : store_.bans(unix_now(), r.page())) {
            out.begin_object().key("id").value(b.id).key("cidr").value(b.cidr);
            out.key("reason").value(b.reason).key("by").value(b.created_by);
            out.key("created").value(b.created_unix).key("expires");
            if (b.expires_unix) {
                out.value(*b.expires_unix);
            } else {
                out.null();
            }
            out.end_object();
        }
        return Reply::json(out.end_array().end_object().take());
    }
    if (r.path.size() == 2 && r.method == "POST") {
        JsonBody body(r.body);
        auto cidr_text = body.string("cidr");
        auto reason = body.string("reason");
        auto seconds = body.integer("expiresIn");
        if (!body.ok() || !cidr_text || !reason ||
            (body.has("expiresIn") && (!seconds || *seconds <= 0))) {
            return Reply::error(400, R"(expected {"cidr": "203.0.113.9" or "198.51.100.0/24", )"
                                     R"("reason": "...", "expiresIn": seconds (optional, > 0)})");
        }
        auto cidr = Cidr::try_parse(*cidr_text);
        if (!cidr || reason->size() > 500) {
            return Reply::error(400,
                                "`cidr` must be an address or a CIDR without host bits, and "
                                "`reason` at most 500 bytes");
        }
        Ban ban;
        ban.cidr = cidr->to_string();
        ban.reason = *reason;
        ban.created_by = r.account->name;
        ban.created_unix = unix_now();
        if (seconds) {
            ban.expires_unix = ban.created_unix + *seconds;
        }
        ban.id = store_.add_ban(ban);
        store_.audit(r.account->name, "ban",
                     fmt::format("#{} {} {}", ban.id, ban.cidr, ban.reason));
        apply_bans();
        JsonWriter out;
        out.begin_object().key("id").value(ban.id).key("cidr").value(ban.cidr).end_object();
        return Reply::json(out.take(), 201);
    }
    if (r.path.size() == 3) {
        if (r.method != "DELETE") {
            return Reply::method_not_allowed("DELETE");
        }
        auto id = parse_int(r.path[2]);
        if (!id || !store_.remove_ban(*id)) {
            return Reply::error(404, "no such ban");
        }
        store_.audit(r.account->name, "unban", fmt::format("#{}", *id));
        apply_bans();
        return Reply::json(R"({"ok":true})");
    }
    return r.path.size() == 2 ? Reply::method_not_allowed("GET, POST")
                              : Reply::error(404, "no such endpoint");
}

AdminServer::Reply AdminServer::reports(Request& r) {
    if (r.path.size() == 2) {
        if (r.method != "GET") {
            return Reply::method_not_allowed("GET");
        }
        auto status = r.query.contains("status") ? r.query["status"] : "open";
        if (status != "open" && status != "all") {
            return Reply::error(400, "`status` must be open or all");
        }
        JsonWriter out;
        out.begin_object().key("reports").begin_array();
        for (const auto& s : store_.reports(status == "open", r.page())) {
            const auto& rep = s.report;
            out.begin_object().key("id").value(s.id);
            out.key("at").value(static_cast<int64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(rep.at.time_since_epoch())
                    .count()));
            out.key("reporter").begin_object().key("session").value(rep.reporter_session);
            out.key("ip").value(rep.reporter_ip).end_object();
            out.key("reported").begin_object().key("session").value(rep.reported_session);
            out.key("ip").value(rep.reported_ip).end_object();
            out.key("reason").value(rep.reason).key("transcript").begin_array();
            for (const auto& line : rep.transcript) {
                out.value(line);
            }
            out.end_array().key("resolved");
            if (s.resolved_unix) {
                out.begin_object().key("at").value(*s.resolved_unix).key("by").value(s.resolved_by);
                out.key("resolution").value(s.resolution).end_object();
            } else {
                out.null();
            }
            out.end_object();
        }
        return Reply::json(out.end_array().end_object().take());
    }
    if (r.path.size() == 4 && r.path[3] == "resolve") {
        if (r.method != "POST") {
            return Reply::method_not_allowed("POST");
        }
        JsonBody body(r.body);
        auto resolution = body.string("resolution");
        auto id = parse_int(r.path[2]);
        if (!body.ok() || !resolution || resolution->size() > 500) {
            return Reply::error(400, R"(expected {"resolution": "..."} (at most 500 bytes))");
        }
        if (!id || !store_.resolve_report(*id, r.account->name, *resolution, unix_now())) {
            return Reply::error(404, "no such open report");
        }
        store_.audit(r.account->name, "resolve-report", fmt::format("#{} {}", *id, *resolution));
        return Reply::json(R"({"ok":true})");
    }
    return Reply::error(404, "no such endpoint");
}

AdminServer::Reply AdminServer::audit(Request& r) {
    JsonWriter out;
    out.begin_object().key("entries").begin_array();
    for (const auto& e : store_.audit_log(r.page())) {
        out.begin_object().key("id").value(e.id).key("at").value(e.at_unix);
        out.key("admin").value(e.admin).key("action").value(e.action);
        out.key("detail").value(e.detail).end_object();
    }
    return Reply::json(out.end_array().end_object().take());
}

AdminServer::Reply AdminServer::quotas(Request& r) {
    const auto& p = r.path;
    if (p[1] != "quotas" || p.size() > 3 || (p.size() == 3 && p[2] != "reload")) {
        return Reply::error(404, "no such endpoint");
    }
    if (p.size() == 3) {
        if (r.method != "POST") {
            return Reply::method_not_allowed("POST");
        }
        if (!hooks_.reload) {
            return Reply::error(404, "this node cannot reload");
        }
        if (auto problem = hooks_.reload()) {
            store_.audit(r.account->name, "reload-failed", *problem);
            return Reply::error(422, *problem);
        }
        store_.audit(r.account->name, "reload", "");
    } else if (r.method != "GET") {
        return Reply::method_not_allowed("GET");
    }
    QuotaSettings q = hooks_.quotas ? hooks_.quotas() : QuotaSettings{};
    JsonWriter out;
    out.begin_object();
    out.key("userQuota").value(static_cast<int64_t>(q.user_quota));
    out.key("totalQuota").value(static_cast<int64_t>(q.total_quota));
    out.key("maxBps").value(static_cast<int64_t>(q.max_bps));
    out.key("bpsCapacity").value(static_cast<int64_t>(q.bps_capacity));
    out.key("maxPermissions").value(static_cast<int64_t>(q.max_permissions));
    out.key("maxChannels").value(static_cast<int64_t>(q.max_channels));
    out.key("maxLifetime").value(static_cast<int64_t>(q.max_lifetime.count()));
    return Reply::json(out.end_object().take());
}

}  // namespace turnpike::admin
