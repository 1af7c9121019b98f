#pragma once

#include <span>
#include <string>
#include <string_view>

namespace turnpike::signal {

// Whether a WebSocket handshake's Origin may open a session. Browsers always
// send Origin; the check stops other sites' pages from opening /ws from their
// visitors' browsers. A client that sends no Origin is not a browser and could
// forge any Origin, so it is let through: per-IP limits are what hold it back.
// `allowed` holds lowercased "scheme://host[:port]"; empty means only the host
// the request was sent to (the Host header), whatever the scheme.
bool origin_allowed(std::string_view origin, std::string_view host_header,
                    std::span<const std::string> allowed);

}  // namespace turnpike::signal
