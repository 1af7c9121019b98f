#include "signal/session.hpp"

#include <fmt/format.h>

#include "signal/json_writer.hpp"

namespace turnpike::signal {

namespace {

// Enough context for a moderator reading a report, small enough to keep for
// every live pair.
constexpr size_t transcript_lines = 20;

}  // namespace

std::string session_id_text(SessionId id) {
    return fmt::format("{:016x}", static_cast<uint64_t>(id));
}

Session::Session(SessionId session_id, SoupWebsocketConnection* conn, std::string client_ip,
                 std::string request_host, const ChatRateSettings& chat_rate_settings,
                 Clock::time_point now)
    : id(session_id),
      id_text(session_id_text(session_id)),
      ip(std::move(client_ip)),
      host(std::move(request_host)),
      connection(conn),
      last_seen(now),
      frames(frame_burst, frames_per_second, now),
      chat_rate(chat_rate_settings),
      owned_(take_ref(conn)) {}

Session::~Session() {
    g_signal_handlers_disconnect_by_data(connection, this);
}

bool Session::is_open() const {
    return soup_websocket_connection_get_state(connection) == SOUP_WEBSOCKET_STATE_OPEN;
}

void Session::send(const std::string& json) {
    if (is_open()) {
        soup_websocket_connection_send_text(connection, json.c_str());
    }
}

void Session::send_error(ErrorCode code, std::string_view message) {
    JsonWriter out;
    out.begin_object()
        .key("type")
        .value("error")
        .key("code")
        .value(to_string(code))
        .key("message")
        .value(message)
        .end_object();
    send(out.take());
}

void Session::send_warning(std::string_view code, std::string_view message) {
    JsonWriter out;
    out.begin_object()
        .key("type")
        .value("warning")
        .key("code")
        .value(code)
        .key("message")
        .value(message)
        .end_object();
    send(out.take());
}

void Session::close(unsigned short code, std::string_view reason) {
    if (is_open()) {
        std::string text(reason);
        soup_websocket_connection_close(connection, code, text.c_str());
    }
}

void Session::remember_chat(std::string_view who, std::string_view text) {
    if (transcript.size() == transcript_lines) {
        transcript.pop_front();
    }
    transcript.push_back(fmt::format("{}: {}", who, text));
}

}  // namespace turnpike::signal
