// The switchboard's message handlers, one per client message type
// (docs/protocol.md describes each).
#include <array>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "signal/description_type.hpp"
#include "signal/ice_candidate.hpp"
#include "signal/json_writer.hpp"
#include "signal/sdp_check.hpp"
#include "signal/switchboard.hpp"

namespace turnpike::signal {

namespace {

JsonNode* member(JsonObject* object, const char* name) {
    return object != nullptr && json_object_has_member(object, name)
               ? json_object_get_member(object, name)
               : nullptr;
}

bool holds(JsonNode* node, GType type) {
    return node != nullptr && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

std::optional<std::string_view> string_member(JsonObject* object, const char* name) {
    JsonNode* node = member(object, name);
    if (!holds(node, G_TYPE_STRING)) {
        return std::nullopt;
    }
    return std::string_view(json_node_get_string(node));
}

std::optional<bool> bool_member(JsonObject* object, const char* name) {
    JsonNode* node = member(object, name);
    if (!holds(node, G_TYPE_BOOLEAN)) {
        return std::nullopt;
    }
    return json_node_get_boolean(node) != FALSE;
}

bool is_null_or_absent(JsonObject* object, const char* name) {
    JsonNode* node = member(object, name);
    return node == nullptr || JSON_NODE_HOLDS_NULL(node);
}

JsonObject* object_member(JsonObject* object, const char* name) {
    JsonNode* node = member(object, name);
    return node != nullptr && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
}

bool valid_lang(std::string_view lang) {
    if (lang.size() > 16) {
        return false;
    }
    for (char ch : lang) {
        if (!g_ascii_isalnum(ch) && ch != '-' && ch != '_') {
            return false;
        }
    }
    return true;
}

// The interests array: strings only, a bounded number.
std::optional<std::vector<std::string>> interests_member(JsonObject* object) {
    JsonNode* node = member(object, "interests");
    if (node == nullptr || JSON_NODE_HOLDS_NULL(node)) {
        return std::vector<std::string>{};
    }
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
        return std::nullopt;
    }
    JsonArray* array = json_node_get_array(node);
    guint length = json_array_get_length(array);
    if (length > max_raw_interests) {
        return std::nullopt;
    }
    std::vector<std::string> raw;
    for (guint i = 0; i < length; ++i) {
        JsonNode* item = json_array_get_element(array, i);
        if (!holds(item, G_TYPE_STRING)) {
            return std::nullopt;
        }
        raw.emplace_back(json_node_get_string(item));
    }
    return matcher::normalise_interests(raw);
}

// A client IP shares its chat rate among this many sessions' worth of burst
// (a household or office behind one NAT), while a time-out still follows the
// IP to a new session.
constexpr unsigned ip_chat_burst_factor = 4;

int rank(ChatRateLimiter::Verdict verdict) {
    switch (verdict) {
        case ChatRateLimiter::Verdict::allow:
            return 0;
        case ChatRateLimiter::Verdict::muted:
            return 1;
        case ChatRateLimiter::Verdict::timed_out:
            return 2;
        case ChatRateLimiter::Verdict::disconnect:
            return 3;
    }
    return 0;
}

ChatRateLimiter::Decision worse(ChatRateLimiter::Decision a, ChatRateLimiter::Decision b) {
    return rank(a.verdict) >= rank(b.verdict) ? a : b;
}

long long seconds_left(Clock::duration left) {
    return std::chrono::ceil<std::chrono::seconds>(left).count();
}

std::string typed(std::string_view type) {
    return fmt::format(R"({{"type":"{}"}})", type);
}

}  // namespace

void Switchboard::dispatch(Session& session, JsonObject* message) {
    auto type = string_member(message, "type");
    if (!type) {
        error(session, ErrorCode::unknown_type, "every message needs a string `type`");
        return;
    }
    if (*type == "signal") {
        on_signal(session, message);
    } else if (*type == "chat") {
        on_chat(session, message);
    } else if (*type == "typing") {
        on_typing(session, message);
    } else if (*type == "media") {
        on_media(session, message);
    } else if (*type == "find") {
        on_find(session, message);
    } else if (*type == "next") {
        on_next(session);
    } else if (*type == "leave") {
        on_leave(session);
    } else if (*type == "block") {
        on_block(session);
    } else if (*type == "report") {
        on_report(session, message);
    } else if (*type == "stats") {
        on_stats(session, message);
    } else {
        error(session, ErrorCode::unknown_type, "unknown message type");
    }
}

void Switchboard::on_find(Session& session, JsonObject* message) {
    if (session.state == Session::State::paired) {
        error(session, ErrorCode::bad_state, "already paired: send next or leave first");
        return;
    }
    auto mode = string_member(message, "mode");
    if (!mode || (*mode != "text" && *mode != "video")) {
        error(session, ErrorCode::bad_field, "`mode` must be \"text\" or \"video\"");
        return;
    }
    auto interests = interests_member(message);
    if (!interests) {
        error(session, ErrorCode::bad_field,
              fmt::format("`interests` must be an array of at most {} strings", max_raw_interests));
        return;
    }
    auto lang = string_member(message, "lang");
    if ((lang && !valid_lang(*lang)) || (!lang && !is_null_or_absent(message, "lang"))) {
        error(session, ErrorCode::bad_field, "`lang` must be a language tag such as \"en\"");
        return;
    }
    auto privacy = bool_member(message, "privacy");
    if (!privacy && !is_null_or_absent(message, "privacy")) {
        error(session, ErrorCode::bad_field, "`privacy` must be true or false");
        return;
    }
    if (!matcher_.available()) {
        error(session, ErrorCode::unavailable, "matching is unavailable right now; try again soon");
        return;
    }
    if (session.state == Session::State::waiting) {
        matcher_.leave(session.id);
    }
    session.wants_privacy = settings_.privacy_default || privacy.value_or(false);
    matcher::Seeker seeker;
    seeker.id = session.id;
    seeker.ip = session.source;  // IP blocks hold against a whole IPv6 /64
    seeker.mode = *mode == "video" ? matcher::ChatMode::video : matcher::ChatMode::text;
    seeker.lang = matcher::normalise_lang(lang.value_or(""));
    seeker.interests = std::move(*interests);
    seeker.since = Clock::now();
    seeker.privacy = session.wants_privacy;
    queue(session, std::move(seeker));
}

void Switchboard::on_next(Session& session) {
    if (!session.last_find) {
        error(session, ErrorCode::bad_state, "send find first");
        return;
    }
    if (session.state == Session::State::waiting) {
        return;
    }
    part(session, "next");
    if (!matcher_.available()) {
        error(session, ErrorCode::unavailable, "matching is unavailable right now; try again soon");
        return;
    }
    matcher::Seeker seeker = *session.last_find;
    seeker.since = Clock::now();
    queue(session, std::move(seeker));
}

void Switchboard::on_leave(Session& session) {
    part(session, "left");
}

void Switchboard::on_signal(Session& session, JsonObject* message) {
    if (session.state != Session::State::paired) {
        error(session, ErrorCode::no_partner, "no partner to signal");
        return;
    }
    JsonObject* data = object_member(message, "data");
    JsonObject* description = object_member(data, "description");
    JsonNode* candidate_node = member(data, "candidate");
    JsonWriter out;
    out.begin_object().key("type").value("signal").key("data").begin_object();
    if (description != nullptr) {
        auto type = parse_description_type(string_member(description, "type").value_or(""));
        if (!type) {
            error(session, ErrorCode::bad_field,
                  "`data.description.type` must be offer, answer, pranswer or rollback");
            return;
        }
        out.key("description")
            .begin_object()
            .key("type")
            .value(string_member(description, "type").value_or(""));
        if (*type != DescriptionType::rollback) {
            auto sdp = string_member(description, "sdp");
            if (!sdp) {
                error(session, ErrorCode::bad_field, "`data.description.sdp` must be a string");
                return;
            }
            SdpCheck check = check_sdp(*sdp, session.pair_private);
            if (!check.ok) {
                error(session, ErrorCode::bad_sdp, check.problem);
                return;
            }
            stats_.candidates_withheld += check.candidates_removed;
            out.key("sdp").value(check.sdp);
        }
        out.end_object();
    } else if (candidate_node != nullptr && JSON_NODE_HOLDS_NULL(candidate_node)) {
        out.key("candidate").null();
    } else if (candidate_node != nullptr && JSON_NODE_HOLDS_OBJECT(candidate_node)) {
        JsonObject* init = json_node_get_object(candidate_node);
        auto text = string_member(init, "candidate");
        auto mid = string_member(init, "sdpMid");
        auto ufrag = string_member(init, "usernameFragment");
        JsonNode* index = member(init, "sdpMLineIndex");
        bool index_ok = index == nullptr || JSON_NODE_HOLDS_NULL(index) ||
                        (holds(index, G_TYPE_INT64) && json_node_get_int(index) >= 0 &&
                         json_node_get_int(index) < 1024);
        if (!text || !index_ok || (mid && mid->size() > 64) || (ufrag && ufrag->size() > 256) ||
            (!mid && !is_null_or_absent(init, "sdpMid")) ||
            (!ufrag && !is_null_or_absent(init, "usernameFragment"))) {
            error(session, ErrorCode::bad_field,
                  "`data.candidate` must be an RTCIceCandidateInit: candidate (string), "
                  "sdpMid, sdpMLineIndex, usernameFragment");
            return;
        }
        std::string forwarded;
        if (!text->empty()) {  // "" is end-of-candidates
            std::string problem;
            auto parsed = parse_candidate(*text, &problem);
            if (!parsed) {
                error(session, ErrorCode::bad_candidate, problem);
                return;
            }
            auto scrubbed = scrub_candidate(*parsed, session.pair_private);
            if (!scrubbed) {
                ++stats_.candidates_withheld;
                return;
            }
            forwarded = session.pair_private ? *scrubbed : std::string(*text);
        }
        out.key("candidate").begin_object().key("candidate").value(forwarded);
        if (mid) {
            out.key("sdpMid").value(*mid);
        }
        if (index != nullptr && !JSON_NODE_HOLDS_NULL(index)) {
            out.key("sdpMLineIndex").value(static_cast<int64_t>(json_node_get_int(index)));
        }
        if (ufrag) {
            out.key("usernameFragment").value(*ufrag);
        }
        out.end_object();
    } else {
        error(session, ErrorCode::bad_field,
              "`data` must hold a `description` or a `candidate` (object or null)");
        return;
    }
    out.end_object().end_object();
    ++stats_.signals_forwarded;
    to_partner(session, matcher::Parcel::Kind::frame, out.take());
}

void Switchboard::on_chat(Session& session, JsonObject* message) {
    if (session.state != Session::State::paired) {
        error(session, ErrorCode::no_partner, "no partner to chat with");
        return;
    }
    auto raw = string_member(message, "text");
    if (!raw) {
        error(session, ErrorCode::bad_field, "`text` must be a string");
        return;
    }
    auto now = Clock::now();
    ChatRateSettings ip_settings = settings_.chat_rate;
    ip_settings.burst *= ip_chat_burst_factor;
    auto [ip_entry, fresh] = chat_rate_per_ip_.try_emplace(session.source, ip_settings);
    auto verdict = worse(session.chat_rate.check(now), ip_entry->second.check(now));
    switch (verdict.verdict) {
        case ChatRateLimiter::Verdict::allow:
            break;
        case ChatRateLimiter::Verdict::muted:
            error(session, ErrorCode::muted,
                  fmt::format("you are muted for {} more s", seconds_left(verdict.retry_after)));
            return;
        case ChatRateLimiter::Verdict::timed_out:
            ++stats_.chat_rate_limited;
            error(session, ErrorCode::rate_limited,
                  fmt::format("too many messages: muted for {} s",
                              seconds_left(verdict.retry_after)));
            return;
        case ChatRateLimiter::Verdict::disconnect:
            ++stats_.closed_chat_abuse;
            retire(session, "disconnected");
            session.close(close_chat_abuse, "repeated chat flooding");
            return;
    }
    auto text = clean_chat_text(*raw, settings_.chat_max_chars);
    if (!text) {
        error(session, ErrorCode::bad_field, "`text` is empty");
        return;
    }
    auto filtered = chat_filter_.apply(*text);
    if (filtered.masked > 0) {
        ++stats_.chat_filtered;
        session.send_warning("filtered", "some words were masked; keep it civil");
    }
    ++stats_.chat_messages;
    session.remember_chat("me", filtered.text);
    to_partner(session, matcher::Parcel::Kind::chat, std::move(filtered.text));
}

void Switchboard::on_typing(Session& session, JsonObject* message) {
    // Typing and media state race with the partner leaving; they are dropped
    // quietly when there is nobody to tell.
    auto active = bool_member(message, "active");
    if (!active && !is_null_or_absent(message, "active")) {
        error(session, ErrorCode::bad_field, "`active` must be true or false");
        return;
    }
    to_partner(session, matcher::Parcel::Kind::frame,
               active.value_or(true) ? R"({"type":"typing","active":true})"
                                     : R"({"type":"typing","active":false})");
}

void Switchboard::on_media(Session& session, JsonObject* message) {
    auto video = bool_member(message, "video");
    auto audio = bool_member(message, "audio");
    if ((!video && !is_null_or_absent(message, "video")) ||
        (!audio && !is_null_or_absent(message, "audio")) || (!video && !audio)) {
        error(session, ErrorCode::bad_field, "`video` and `audio` must be true or false");
        return;
    }
    JsonWriter out;
    out.begin_object().key("type").value("media");
    if (video) {
        out.key("video").value(*video);
    }
    if (audio) {
        out.key("audio").value(*audio);
    }
    to_partner(session, matcher::Parcel::Kind::frame, out.end_object().take());
}

void Switchboard::on_block(Session& session) {
    std::optional<SessionId> target = last_partner_of(session);
    if (!target) {
        error(session, ErrorCode::no_partner, "nobody to block");
        return;
    }
    ++stats_.blocks;
    matcher_.block(session.id, *target, session.source, session.partner_ip);
    if (session.state == Session::State::paired && session.partner == *target) {
        part(session, "left");
    }
}

void Switchboard::on_report(Session& session, JsonObject* message) {
    std::optional<SessionId> target = last_partner_of(session);
    if (!target) {
        error(session, ErrorCode::no_partner, "nobody to report");
        return;
    }
    auto raw = string_member(message, "reason");
    auto reason = raw ? clean_chat_text(*raw, max_report_chars) : std::nullopt;
    if (!reason) {
        error(session, ErrorCode::bad_field, "`reason` must be a non-empty string");
        return;
    }
    ++stats_.reports;
    Report report;
    report.at = std::chrono::system_clock::now();
    report.reporter_session = session.id_text;
    report.reporter_ip = session.ip;
    report.reported_session = session_id_text(*target);
    report.reported_ip = session.partner_ip;
    report.reason = std::move(*reason);
    report.transcript.assign(session.transcript.begin(), session.transcript.end());
    reports_.add(std::move(report));
    session.send(typed("report_received"));
}

void Switchboard::on_stats(Session& session, JsonObject* message) {
    auto path = string_member(message, "path");
    if (!path || (*path != "p2p" && *path != "relay" && *path != "unknown")) {
        error(session, ErrorCode::bad_field, "`path` must be p2p, relay or unknown");
        return;
    }
    if (session.state != Session::State::paired && !session.last_partner) {
        error(session, ErrorCode::bad_state, "no call to report on");
        return;
    }
    if (session.path_reported) {
        return;  // once per pair, so a client cannot skew the counts
    }
    session.path_reported = true;
    if (*path == "p2p") {
        ++stats_.path_p2p;
    } else if (*path == "relay") {
        ++stats_.path_relay;
    } else {
        ++stats_.path_unknown;
    }
}

}  // namespace turnpike::signal
