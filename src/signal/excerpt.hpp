#pragma once

#include <string>
#include <string_view>

namespace turnpike::signal {

// A piece of untrusted input, quoted for a problem message: at most 48 bytes,
// with anything but printable ASCII written as \xNN. Problem messages go to
// logs and back to the client inside JSON, so they must stay short, valid
// UTF-8 and free of control characters whatever the input held.
std::string excerpt(std::string_view text);

}  // namespace turnpike::signal
