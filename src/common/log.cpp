#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace turnpike {

void init_logging(std::string_view level) {
    auto logger = spdlog::stderr_logger_mt("turnpike");
    // journald adds its own timestamps; keep ours for plain terminals and tests.
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    set_log_level(level);
}

void set_log_level(std::string_view level) {
    spdlog::set_level(spdlog::level::from_str(std::string(level)));
    spdlog::flush_on(spdlog::level::warn);
}

}  // namespace turnpike
