#include "signal/session.hpp"

#include <fmt/format.h>

#include "common/cidr.hpp"
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

Session::Session(SessionId session_id, WebSocketConnection& conn,
                 const ChatRateSettings& chat_rate_settings, Clock::time_point now)
    : id(session_id),
      id_text(session_id_text(session_id)),
      ip(conn.ip()),
      source(source_of(ip)),
      host(conn.host()),
      connection(conn),
      last_seen(now),
      frames(frame_burst, frames_per_second, now),
      chat_rate(chat_rate_settings) {}

std::string Session::source_of(std::string_view ip) {
    auto address = IpAddress::parse(ip);
    if (!address) {
        return std::string(ip);
    }
    IpAddress subscriber = address->subscriber();
    // Written as the prefix it is, so that an admin reading a report can ban
    // it as it stands.
    return subscriber.is_v6() ? Cidr(subscriber, 64).to_string() : subscriber.to_string();
}

bool Session::is_open() const {
    return connection.is_open();
}

void Session::send(const std::string& json) {
    connection.send_text(json);
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
    connection.close(code, reason);
}

void Session::remember_chat(std::string_view who, std::string_view text) {
    if (transcript.size() == transcript_lines) {
        transcript.pop_front();
    }
    transcript.push_back(fmt::format("{}: {}", who, text));
}

}  // namespace turnpike::signal
