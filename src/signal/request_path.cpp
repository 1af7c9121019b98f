#include "signal/request_path.hpp"

#include <glib.h>

namespace turnpike::signal {

namespace {

constexpr size_t max_target = 1024;
constexpr size_t max_depth = 16;

int hex_value(char c) {
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

// Appends the decoded segment to `out`; false when it may not be served.
bool decode_segment(std::string_view raw, std::string& out) {
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= raw.size()) {
                return false;
            }
            int high = hex_value(raw[i + 1]);
            int low = hex_value(raw[i + 2]);
            if (high < 0 || low < 0) {
                return false;
            }
            c = static_cast<char>(high * 16 + low);
            if (c == '/') {
                return false;
            }
            i += 2;
        }
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F || c == '\\') {
            return false;
        }
        out += c;
    }
    return g_utf8_validate(out.data(), static_cast<gssize>(out.size()), nullptr);
}

}  // namespace

std::optional<std::vector<std::string>> request_path_segments(std::string_view target) {
    if (target.empty() || target.front() != '/' || target.size() > max_target) {
        return std::nullopt;
    }
    std::vector<std::string> segments;
    std::string_view rest = target.substr(1);
    bool folder = true;  // the last segment seen names a folder
    while (!rest.empty()) {
        auto slash = rest.find('/');
        std::string_view raw = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        folder = slash != std::string_view::npos;
        if (raw.empty()) {
            continue;
        }
        std::string segment;
        if (!decode_segment(raw, segment) || segment.empty() || segment.front() == '.') {
            return std::nullopt;
        }
        segments.push_back(std::move(segment));
        if (segments.size() > max_depth) {
            return std::nullopt;
        }
    }
    if (folder || segments.empty()) {
        segments.emplace_back("index.html");
    }
    return segments;
}

}  // namespace turnpike::signal
