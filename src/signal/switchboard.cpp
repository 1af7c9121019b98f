#include "signal/switchboard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "signal/json_writer.hpp"

namespace turnpike::signal {

SwitchboardSettings SwitchboardSettings::from(const Config& config) {
    SwitchboardSettings settings;
    settings.privacy_default = config.signal.privacy;
    settings.chat_max_chars = config.signal.chat_max_chars;
    settings.chat_rate.burst = config.signal.chat_burst;
    settings.chat_rate.window = config.signal.chat_window;
    settings.chat_rate.first_timeout = config.signal.chat_timeout;
    settings.chat_rate.max_timeout = config.signal.chat_max_timeout;
    settings.idle_timeout = config.signal.idle_timeout;
    return settings;
}

namespace {

std::string hello_message(const Session& session, const SwitchboardSettings& settings) {
    JsonWriter out;
    out.begin_object()
        .key("type")
        .value("hello")
        .key("version")
        .value(int64_t{protocol_version})
        .key("id")
        .value(session.id_text)
        .key("limits")
        .begin_object()
        .key("maxFrameBytes")
        .value(static_cast<int64_t>(max_frame_bytes))
        .key("chatMaxChars")
        .value(static_cast<int64_t>(settings.chat_max_chars))
        .key("chatBurst")
        .value(static_cast<int64_t>(settings.chat_rate.burst))
        .key("chatWindowSeconds")
        .value(static_cast<int64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(settings.chat_rate.window).count()))
        .end_object()
        .key("privacy")
        .value(settings.privacy_default)
        .end_object();
    return out.take();
}

// json-glib hands strings out NUL-terminated, so a "\u0000" inside one would
// silently cut it short: such frames are refused instead.
bool has_nul_escape(std::string_view json) {
    for (size_t at = json.find("\\u0000"); at != std::string_view::npos;
         at = json.find("\\u0000", at + 1)) {
        size_t backslashes = 0;
        while (at >= backslashes + 1 && json[at - backslashes - 1] == '\\') {
            ++backslashes;
        }
        if (backslashes % 2 == 0) {
            return true;
        }
    }
    return false;
}

std::string chat_message(std::string_view text) {
    JsonWriter out;
    out.begin_object().key("type").value("chat").key("text").value(text).end_object();
    return out.take();
}

std::string partner_left_message(std::string_view reason) {
    JsonWriter out;
    out.begin_object().key("type").value("partner_left").key("reason").value(reason).end_object();
    return out.take();
}

}  // namespace

Switchboard::Switchboard(matcher::Matcher& matcher, ReportStore& reports, IceServers ice_servers,
                         ChatFilter chat_filter, SwitchboardSettings settings)
    : matcher_(matcher),
      reports_(reports),
      ice_servers_(std::move(ice_servers)),
      chat_filter_(std::move(chat_filter)),
      settings_(settings),
      parser_(json_parser_new_immutable()) {
    matcher_.on_match([this](const matcher::Match& match) { on_match(match); });
    matcher_.on_parcel([this](const matcher::Parcel& parcel) { on_parcel(parcel); });
}

Switchboard::~Switchboard() {
    matcher_.on_match(nullptr);
    matcher_.on_parcel(nullptr);
    for (auto& [id, session] : sessions_) {
        matcher_.close(id);
    }
}

void Switchboard::reload(IceServers ice_servers, ChatFilter chat_filter,
                         SwitchboardSettings settings) {
    ice_servers_ = std::move(ice_servers);
    chat_filter_ = std::move(chat_filter);
    settings_ = settings;
}

void Switchboard::admit(WebSocketConnection& connection) {
    auto now = Clock::now();
    SessionId id = matcher_.new_session_id();
    auto session = std::make_unique<Session>(id, connection, settings_.chat_rate, now);
    Session& s = *session;
    sessions_.emplace(id, std::move(session));
    connection.user = &s;
    ++sessions_per_ip_[s.source];
    ++stats_.sessions_total;
    s.wants_privacy = settings_.privacy_default;
    s.send(hello_message(s, settings_));
    spdlog::debug("session {} open from {}", s.id_text, s.ip);
}

size_t Switchboard::sessions_from(std::string_view ip) const {
    auto it = sessions_per_ip_.find(Session::source_of(ip));
    return it == sessions_per_ip_.end() ? 0 : it->second;
}

SignalStats Switchboard::stats() const {
    SignalStats out = stats_;
    out.sessions_open = sessions_.size();
    out.sessions_waiting = 0;
    out.sessions_paired = 0;
    for (const auto& [id, session] : sessions_) {
        out.sessions_waiting += session->state == Session::State::waiting;
        out.sessions_paired += session->state == Session::State::paired;
    }
    return out;
}

// --- connection events ---

void Switchboard::pong(WebSocketConnection& connection) {
    static_cast<Session*>(connection.user)->last_seen = Clock::now();
}

void Switchboard::receive(WebSocketConnection& connection, bool text, std::string_view message) {
    auto& session = *static_cast<Session*>(connection.user);
    auto now = Clock::now();
    session.last_seen = now;
    ++stats_.frames_in;
    if (session.state == Session::State::closing) {
        return;
    }
    if (!session.frames.take(now)) {
        ++stats_.closed_flood;
        retire(session, "disconnected");
        session.close(close_policy, "too many messages");
        return;
    }
    if (!text) {
        error(session, ErrorCode::binary_frame, "binary frames are not accepted; send JSON text");
        return;
    }
    GError* raw_error = nullptr;
    if (message.empty() ||
        !json_parser_load_from_data(parser_.get(), message.data(),
                                    static_cast<gssize>(message.size()), &raw_error)) {
        g_clear_error(&raw_error);
        error(session, ErrorCode::bad_json, "a frame must be one JSON object");
        return;
    }
    if (has_nul_escape(message)) {
        error(session, ErrorCode::bad_json, "strings must not contain \\u0000");
        return;
    }
    JsonNode* root = json_parser_get_root(parser_.get());
    if (root == nullptr || !JSON_NODE_HOLDS_OBJECT(root)) {
        error(session, ErrorCode::bad_json, "a frame must be one JSON object");
        return;
    }
    // A bug in a handler must cost one message, not every session.
    try {
        dispatch(session, json_node_get_object(root));
    } catch (const std::exception& e) {
        spdlog::error("session {}: message dropped on an internal error: {}", session.id_text,
                      e.what());
        error(session, ErrorCode::internal, "internal error; the message had no effect");
    }
}

void Switchboard::closed(WebSocketConnection& connection) {
    auto& session = *static_cast<Session*>(connection.user);
    connection.user = nullptr;
    retire(session, "disconnected");
    auto it = sessions_per_ip_.find(session.source);
    if (it != sessions_per_ip_.end() && --it->second == 0) {
        sessions_per_ip_.erase(it);
    }
    spdlog::debug("session {} closed", session.id_text);
    sessions_.erase(session.id);
}

void Switchboard::sweep(Clock::time_point now) {
    for (auto& [id, session] : sessions_) {
        if (session->state != Session::State::closing &&
            now - session->last_seen > settings_.idle_timeout) {
            ++stats_.closed_idle;
            retire(*session, "disconnected");
            session->close(close_idle, "no frame or pong within the idle timeout");
        }
    }
    std::erase_if(chat_rate_per_ip_, [now](const auto& entry) { return entry.second.idle(now); });
}

void Switchboard::close_all(unsigned short code, std::string_view reason) {
    for (auto& [id, session] : sessions_) {
        retire(*session, "disconnected");
        session->close(code, reason);
    }
}

size_t Switchboard::close_banned(const CidrSet& bans) {
    size_t closed = 0;
    for (auto& [id, session] : sessions_) {
        auto ip = IpAddress::parse(session->ip);
        if (session->state != Session::State::closing && ip && bans.contains(*ip)) {
            retire(*session, "disconnected");
            session->close(close_policy, "banned");
            ++stats_.closed_banned;
            ++closed;
        }
    }
    return closed;
}

bool Switchboard::disconnect(std::string_view id_text, std::string_view reason) {
    for (auto& [id, session] : sessions_) {
        if (session->id_text == id_text && session->state != Session::State::closing) {
            retire(*session, "disconnected");
            session->close(close_policy, reason);
            return true;
        }
    }
    return false;
}

std::vector<SessionSummary> Switchboard::summaries() const {
    std::vector<SessionSummary> out;
    out.reserve(sessions_.size());
    for (const auto& [id, session] : sessions_) {
        const Session& s = *session;
        if (s.state == Session::State::closing) {
            continue;
        }
        SessionSummary summary;
        summary.id = s.id_text;
        summary.ip = s.ip;
        summary.state = s.state == Session::State::paired    ? "paired"
                        : s.state == Session::State::waiting ? "waiting"
                                                             : "idle";
        if (s.last_find) {
            summary.mode = s.last_find->mode == matcher::ChatMode::video ? "video" : "text";
        }
        if (s.state == Session::State::paired) {
            summary.partner = session_id_text(s.partner);
        }
        summary.since_unix =
            std::chrono::duration_cast<std::chrono::seconds>(s.opened.time_since_epoch()).count();
        out.push_back(std::move(summary));
    }
    return out;
}

// --- pairing ---

Session* Switchboard::find(SessionId id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() || it->second->state == Session::State::closing ? nullptr
                                                                                 : it->second.get();
}

// The partner, or the last one while it is still connected (a partner on
// another node is taken at its word: its node forgets it on its own).
std::optional<SessionId> Switchboard::last_partner_of(Session& session) {
    if (session.state == Session::State::paired) {
        return session.partner;
    }
    if (!session.last_partner ||
        (matcher_.is_local(*session.last_partner) && find(*session.last_partner) == nullptr)) {
        return std::nullopt;
    }
    return session.last_partner;
}

void Switchboard::queue(Session& session, matcher::Seeker seeker) {
    session.last_find = seeker;
    session.state = Session::State::waiting;
    session.send(R"({"type":"waiting"})");
    matcher_.enqueue(std::move(seeker));
}

void Switchboard::on_match(const matcher::Match& match) {
    Session* a = find(match.a);
    Session* b = find(match.b);
    bool a_gone = matcher_.is_local(match.a) && a == nullptr;
    bool b_gone = matcher_.is_local(match.b) && b == nullptr;
    if (a_gone || b_gone) {
        // A side here went away while the match was in flight (the Redis
        // matcher answers asynchronously): a live side here goes back to the
        // queue; a side on another node hears partner_left from the close.
        for (auto [gone, live] : {std::pair{a_gone, b}, std::pair{b_gone, a}}) {
            if (gone && live != nullptr && live->last_find) {
                matcher_.leave(live->id, "disconnected");
                matcher_.enqueue(*live->last_find);
            }
        }
        matcher_.close(a_gone ? match.a : match.b);
        return;
    }
    ++stats_.matches;
    for (Session* side : {a, b}) {
        if (side != nullptr) {
            pair(*side, match);
        }
    }
}

void Switchboard::pair(Session& session, const matcher::Match& match) {
    if (session.last_find) {
        double waited =
            std::chrono::duration<double, std::milli>(Clock::now() - session.last_find->since)
                .count();
        size_t bucket = 0;
        while (bucket < std::size(match_latency_bounds_ms) &&
               waited > match_latency_bounds_ms[bucket]) {
            ++bucket;
        }
        ++stats_.match_latency[bucket];
        stats_.match_latency_sum_ms += waited;
    }
    session.state = Session::State::paired;
    session.partner = match.partner_of(session.id);
    session.partner_ip = match.ip_of(session.partner);
    session.pair_private = match.privacy;
    session.path_reported = false;
    session.transcript.clear();
    bool impolite = match.impolite == session.id;
    JsonWriter out;
    out.begin_object()
        .key("type")
        .value("matched")
        .key("role")
        .value(impolite ? "impolite" : "polite")
        .key("initiator")
        .value(impolite)
        .key("iceServers")
        .raw(ice_servers_.json(
            session.id_text, session.host,
            std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())))
        .key("iceTransportPolicy")
        .value(session.pair_private ? "relay" : "all")
        .key("privacy")
        .value(session.pair_private)
        .key("common")
        .begin_array();
    for (const auto& interest : match.common) {
        out.value(interest);
    }
    out.end_array().end_object();
    session.send(out.take());
}

void Switchboard::to_partner(Session& session, matcher::Parcel::Kind kind, std::string body) {
    if (session.state != Session::State::paired) {
        return;
    }
    if (!matcher_.is_local(session.partner)) {
        ++stats_.messages_to_other_nodes;
        matcher_.send({.kind = kind, .from = session.id, .to = session.partner, .body = body});
        return;
    }
    Session* partner = find(session.partner);
    if (partner == nullptr) {
        return;
    }
    if (kind == matcher::Parcel::Kind::chat) {
        partner->remember_chat("them", body);
        body = chat_message(body);
    }
    partner->send(body);
}

void Switchboard::on_parcel(const matcher::Parcel& parcel) {
    Session* session = find(parcel.to);
    // A parcel from a pair that has ended meanwhile is dropped.
    if (session == nullptr || session->state != Session::State::paired ||
        session->partner != parcel.from) {
        return;
    }
    switch (parcel.kind) {
        case matcher::Parcel::Kind::frame:
            session->send(parcel.body);
            break;
        case matcher::Parcel::Kind::chat:
            session->remember_chat("them", parcel.body);
            session->send(chat_message(parcel.body));
            break;
        case matcher::Parcel::Kind::left:
            partner_gone(*session, parcel.body);
            break;
    }
}

void Switchboard::partner_gone(Session& session, std::string_view reason) {
    session.state = Session::State::idle;
    session.last_partner = session.partner;
    session.send(partner_left_message(reason));
}

void Switchboard::part(Session& session, std::string_view reason) {
    if (session.state == Session::State::paired) {
        session.last_partner = session.partner;
        matcher_.leave(session.id, reason);
        if (!matcher_.is_local(session.partner)) {
            matcher_.send({.kind = matcher::Parcel::Kind::left,
                           .from = session.id,
                           .to = session.partner,
                           .body = std::string(reason)});
        } else if (Session* partner = find(session.partner);
                   partner != nullptr && partner->state == Session::State::paired &&
                   partner->partner == session.id) {
            partner_gone(*partner, reason);
        }
    } else if (session.state == Session::State::waiting) {
        matcher_.leave(session.id, reason);
    }
    if (session.state != Session::State::closing) {
        session.state = Session::State::idle;
    }
}

void Switchboard::retire(Session& session, std::string_view reason) {
    if (session.state == Session::State::closing) {
        return;
    }
    part(session, reason);
    matcher_.close(session.id);
    session.state = Session::State::closing;
}

void Switchboard::error(Session& session, ErrorCode code, std::string_view message) {
    ++stats_.errors_sent;
    session.send_error(code, message);
}

}  // namespace turnpike::signal
