#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"

namespace turnpike::signal {

// The `iceServers` of `matched`: this appliance's STUN and TURN URLs, the TURN
// ones with fresh TURN REST credentials (username "<expiry>:<session id>",
// which the relay checks against the same [auth] static-auth-secret). With no
// secret, STUN only.
//
// URLs come from [signal] ice-servers, or are derived from this node's relay:
// stun:H:P, turn:H:P?transport=udp and turn:H:P?transport=tcp, P the first
// [relay] listen port and H [signal] ice-host, else the first [server]
// external-ip, else the host the browser reached this server by (its Host
// header), which is right for a single-node appliance behind one name.
class IceServers {
  public:
    explicit IceServers(const Config& config);

    // A JSON array for RTCConfiguration.iceServers.
    std::string json(std::string_view session_id, std::string_view request_host,
                     std::chrono::sys_seconds now) const;
    bool has_turn() const { return !turn_urls_.empty() && !secret_.empty(); }
    bool empty() const { return stun_urls_.empty() && turn_urls_.empty(); }

  private:
    // A derived URL holds "{host}" until the request's host is known.
    std::vector<std::string> stun_urls_;
    std::vector<std::string> turn_urls_;
    std::string fixed_host_;
    std::string secret_;
    std::chrono::seconds ttl_;
};

// "example.com:8080" → "example.com", "[2001:db8::1]:8080" → "[2001:db8::1]".
std::string_view host_without_port(std::string_view host_header);

}  // namespace turnpike::signal
