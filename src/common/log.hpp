#pragma once

#include <string_view>

namespace turnpike {

// Logs go to stderr, where systemd's journal picks them up; the level is one
// of the names [server] log-level accepts.
void init_logging(std::string_view level);
void set_log_level(std::string_view level);

}  // namespace turnpike
