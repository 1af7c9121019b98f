#pragma once

#include <string_view>

namespace turnpike::signal {

// What the signal listener hands on of a plain HTTP request (one that is not
// the WebSocket handshake): views into its buffer, valid during the call.
struct HttpRequest {
    std::string_view method;
    std::string_view target;  // the path, query already cut off
    std::string_view host;
    std::string_view if_none_match;
    std::string_view if_modified_since;
};

}  // namespace turnpike::signal
