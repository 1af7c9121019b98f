#pragma once

#include <json-glib/json-glib.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/config.hpp"
#include "matcher/matcher.hpp"
#include "signal/chat_filter.hpp"
#include "signal/chat_rate.hpp"
#include "signal/gobject_ptr.hpp"
#include "signal/ice_servers.hpp"
#include "signal/report_store.hpp"
#include "signal/session.hpp"
#include "signal/signal_stats.hpp"

namespace turnpike::signal {

// What the switchboard needs from config, resolved once per (re)load.
struct SwitchboardSettings {
    bool privacy_default = false;
    size_t chat_max_chars = 500;
    ChatRateSettings chat_rate;
    Clock::duration idle_timeout = std::chrono::seconds(20);

    static SwitchboardSettings from(const Config& config);
};

// Every live session, and the routing between partners. Runs on the one
// thread of the GLib main loop: WebSocket events, matcher callbacks and
// timers all arrive there, so nothing here locks.
class Switchboard {
  public:
    Switchboard(matcher::Matcher& matcher, ReportStore& reports, IceServers ice_servers,
                ChatFilter chat_filter, SwitchboardSettings settings);
    ~Switchboard();
    Switchboard(const Switchboard&) = delete;
    Switchboard& operator=(const Switchboard&) = delete;

    // A new WebSocket: its session lives until the connection closes. The
    // server passes each connection's events to the three below.
    void admit(WebSocketConnection& connection);
    void receive(WebSocketConnection& connection, bool text, std::string_view message);
    void pong(WebSocketConnection& connection);
    void closed(WebSocketConnection& connection);
    // Closes idle sessions and forgets idle per-IP chat limits.
    void sweep(Clock::time_point now);
    void close_all(unsigned short code, std::string_view reason);
    // Closes every session from a banned address; returns how many.
    size_t close_banned(const CidrSet& bans);
    // Closes one session by its id text; false when there is none.
    bool disconnect(std::string_view id_text, std::string_view reason);
    std::vector<SessionSummary> summaries() const;

    void reload(IceServers ice_servers, ChatFilter chat_filter, SwitchboardSettings settings);

    // Sessions open from the client address's source (Session::source_of).
    size_t sessions_from(std::string_view ip) const;
    SignalStats stats() const;
    size_t size() const { return sessions_.size(); }

  private:
    void dispatch(Session& session, JsonObject* message);

    // Messages, one handler each (switchboard_messages.cpp).
    void on_find(Session& session, JsonObject* message);
    void on_next(Session& session);
    void on_leave(Session& session);
    void on_signal(Session& session, JsonObject* message);
    void on_chat(Session& session, JsonObject* message);
    void on_typing(Session& session, JsonObject* message);
    void on_media(Session& session, JsonObject* message);
    void on_block(Session& session);
    void on_report(Session& session, JsonObject* message);
    void on_stats(Session& session, JsonObject* message);

    // Pairing.
    void on_match(const matcher::Match& match);
    void pair(Session& session, const matcher::Match& match);
    // Frames for the partner: sent directly when it is here, through the
    // matcher's bus when it is on another node.
    void to_partner(Session& session, matcher::Parcel::Kind kind, std::string body);
    void on_parcel(const matcher::Parcel& parcel);
    void partner_gone(Session& session, std::string_view reason);
    void queue(Session& session, matcher::Seeker seeker);
    // Ends the session's pair, or takes it out of the queue; tells the partner.
    void part(Session& session, std::string_view reason);
    void retire(Session& session, std::string_view reason);
    Session* find(SessionId id);
    std::optional<SessionId> last_partner_of(Session& session);
    void error(Session& session, ErrorCode code, std::string_view message);

    matcher::Matcher& matcher_;
    ReportStore& reports_;
    IceServers ice_servers_;
    ChatFilter chat_filter_;
    SwitchboardSettings settings_;
    GObjectPtr<JsonParser> parser_;

    std::unordered_map<SessionId, std::unique_ptr<Session>> sessions_;
    // By Session::source: an IPv4 address, or an IPv6 /64.
    std::unordered_map<std::string, unsigned> sessions_per_ip_;
    std::unordered_map<std::string, ChatRateLimiter> chat_rate_per_ip_;
    SignalStats stats_;
};

}  // namespace turnpike::signal
