#include "signal/origin.hpp"

#include <algorithm>
#include <cctype>

namespace turnpike::signal {

namespace {

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
}

std::string_view authority_of(std::string_view origin) {
    auto scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos) {
        return {};
    }
    return origin.substr(scheme_end + 3);
}

}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host_header,
                    std::span<const std::string> allowed) {
    if (origin.empty()) {
        return true;
    }
    std::string wanted = lowercase(origin);
    while (wanted.ends_with('/')) {
        wanted.pop_back();
    }
    if (!allowed.empty()) {
        return std::find(allowed.begin(), allowed.end(), wanted) != allowed.end();
    }
    auto authority = authority_of(wanted);
    return !authority.empty() && !host_header.empty() && authority == lowercase(host_header);
}

}  // namespace turnpike::signal
