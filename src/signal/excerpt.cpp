#include "signal/excerpt.hpp"

#include <fmt/format.h>

namespace turnpike::signal {

namespace {

constexpr std::size_t kMaxExcerptBytes = 48;

bool printable_ascii(char c) {
    return c >= 0x20 && c <= 0x7E;
}

}  // namespace

std::string excerpt(std::string_view text) {
    const bool cut = text.size() > kMaxExcerptBytes;
    std::string out = "'";
    for (char c : text.substr(0, kMaxExcerptBytes)) {
        if (printable_ascii(c) && c != '\\') {
            out += c;
        } else {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        }
    }
    out += cut ? "'..." : "'";
    return out;
}

}  // namespace turnpike::signal
