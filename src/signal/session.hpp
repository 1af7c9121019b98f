#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "matcher/matcher.hpp"
#include "signal/chat_rate.hpp"
#include "signal/frame_budget.hpp"
#include "signal/protocol.hpp"
#include "signal/websocket_server.hpp"

namespace turnpike::signal {

using matcher::SessionId;
using Clock = std::chrono::steady_clock;

// One WebSocket client: its connection and where it stands. The Switchboard
// owns every Session and is the only one to change their state.
class Session {
  public:
    enum class State {
        idle,     // connected, not looking
        waiting,  // in the matcher's queue
        paired,   // has a partner
        closing,  // gone from the matcher, waiting for the socket to close
    };

    Session(SessionId id, WebSocketConnection& connection, const ChatRateSettings& chat_rate,
            Clock::time_point now);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void send(const std::string& json);
    void send_error(ErrorCode code, std::string_view message);
    void send_warning(std::string_view code, std::string_view message);
    void close(unsigned short code, std::string_view reason);
    bool is_open() const;

    void remember_chat(std::string_view who, std::string_view text);

    // What per-address limits and IP blocks count for a client address: the
    // IPv4 address, or an IPv6 address's /64 (IpAddress::subscriber) written
    // "2001:db8:1:2::/64".
    static std::string source_of(std::string_view ip);

    const SessionId id;
    const std::string id_text;  // 16 hex digits, as clients and logs see it
    const std::string ip;
    const std::string source;  // source_of(ip): what the matcher and per-address limits see
    const std::string host;    // the Host header the browser used
    WebSocketConnection& connection;

    State state = State::idle;
    SessionId partner{};
    std::string partner_ip;  // source_of the current or last partner, maybe on another node
    std::optional<SessionId> last_partner;     // the pair that ended last, for block/report
    std::optional<matcher::Seeker> last_find;  // what `next` queues again
    bool wants_privacy = false;
    bool pair_private = false;  // this pair's signals carry relay candidates only
    bool path_reported = false;
    Clock::time_point last_seen;
    const std::chrono::system_clock::time_point opened = std::chrono::system_clock::now();
    FrameBudget frames;
    ChatRateLimiter chat_rate;
    std::deque<std::string> transcript;  // of the current or last pair, newest last
};

std::string session_id_text(SessionId id);

}  // namespace turnpike::signal
