#pragma once

#include <cstddef>
#include <string_view>

// The WebSocket protocol at /ws: names and limits shared by the server, its
// tests and docs/protocol.md (the full text).
namespace turnpike::signal {

// Announced in `hello`; bumped on any change a client could notice.
inline constexpr int protocol_version = 1;

// Largest text frame accepted; a bigger one closes the socket with 1009.
inline constexpr size_t max_frame_bytes = 64 * 1024;
inline constexpr size_t max_sdp_bytes = 64 * 1024;
inline constexpr size_t max_report_chars = 500;
inline constexpr size_t max_raw_interests = 50;

// Frames a session may send: a burst (a browser trickles dozens of ICE
// candidates at once) refilled at a steady rate. Past it the session is
// closed with 1008: nothing legitimate sends faster.
inline constexpr double frame_burst = 200;
inline constexpr double frames_per_second = 50;

// The `code` of an `error` message.
enum class ErrorCode {
    bad_json,       // not a JSON object, or not UTF-8
    binary_frame,   // binary frames carry nothing in this protocol
    unknown_type,   // `type` missing or not one we know
    bad_field,      // a field missing, of the wrong type or out of range
    no_partner,     // signal/chat/typing/media/block/report with nobody to send to
    bad_sdp,        // the SDP did not parse or is over its limits
    bad_candidate,  // the ICE candidate did not parse
    rate_limited,   // chat over its rate: a time-out starts
    muted,          // chat during a time-out
    bad_state,      // e.g. `stats` while not paired
    internal,       // a server bug; logged
    unavailable,    // matching is down (the Redis matcher lost its server); retry later
};

std::string_view to_string(ErrorCode code);

// WebSocket close codes and the reasons sent with them.
inline constexpr unsigned short close_policy = 1008;      // flood, origin, repeated abuse
inline constexpr unsigned short close_too_big = 1009;     // sent by the WebSocket layer itself
inline constexpr unsigned short close_going_away = 1001;  // server shutting down
inline constexpr unsigned short close_idle = 4000;        // no frame or pong for idle-timeout
inline constexpr unsigned short close_chat_abuse = 4001;  // chat rate time-outs repeated

}  // namespace turnpike::signal
