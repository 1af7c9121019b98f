#include "signal/ice_candidate.hpp"

#include <glib.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "common/cidr.hpp"

namespace turnpike::signal {

namespace {

std::vector<std::string_view> split_spaces(std::string_view text) {
    std::vector<std::string_view> tokens;
    while (!text.empty()) {
        auto space = text.find(' ');
        tokens.push_back(text.substr(0, space));
        if (space == std::string_view::npos) {
            break;
        }
        text.remove_prefix(space + 1);
    }
    return tokens;
}

template <typename Number>
std::optional<Number> parse_number(std::string_view text, uint64_t max) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || text.size() > 10 || ec != std::errc{} || end != text.data() + text.size() ||
        value > max) {
        return std::nullopt;
    }
    return static_cast<Number>(value);
}

bool is_ice_chars(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char ch) { return g_ascii_isalnum(ch) || ch == '+' || ch == '/'; });
}

bool is_token(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
}

// An mDNS name as browsers make them (RFC 8839 allows an FQDN; anything else
// would make the partner's browser resolve names chosen by a stranger).
bool is_mdns_name(std::string_view name) {
    constexpr std::string_view suffix = ".local";
    if (name.size() <= suffix.size() || name.size() > 253 || !name.ends_with(suffix)) {
        return false;
    }
    auto label = name.substr(0, name.size() - suffix.size());
    return std::all_of(label.begin(), label.end(),
                       [](char ch) { return g_ascii_isalnum(ch) || ch == '-'; });
}

bool is_address(std::string_view text) {
    return IpAddress::parse(text).has_value() || is_mdns_name(text);
}

std::optional<CandidateType> parse_type(std::string_view text) {
    if (text == "host") {
        return CandidateType::host;
    }
    if (text == "srflx") {
        return CandidateType::srflx;
    }
    if (text == "prflx") {
        return CandidateType::prflx;
    }
    if (text == "relay") {
        return CandidateType::relay;
    }
    return std::nullopt;
}

std::optional<IceCandidate> fail(std::string* problem, std::string why) {
    if (problem != nullptr) {
        *problem = std::move(why);
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(CandidateType type) {
    switch (type) {
        case CandidateType::host:
            return "host";
        case CandidateType::srflx:
            return "srflx";
        case CandidateType::prflx:
            return "prflx";
        case CandidateType::relay:
            return "relay";
    }
    return "host";
}

std::optional<IceCandidate> parse_candidate(std::string_view text, std::string* problem) {
    if (text.starts_with("a=")) {
        text.remove_prefix(2);
    }
    if (text.size() > max_candidate_bytes) {
        return fail(problem, fmt::format("candidate over {} bytes", max_candidate_bytes));
    }
    constexpr std::string_view prefix = "candidate:";
    if (!text.starts_with(prefix)) {
        return fail(problem, "a candidate starts with \"candidate:\"");
    }
    auto tokens = split_spaces(text.substr(prefix.size()));
    if (tokens.size() < 8 || tokens[6] != "typ") {
        return fail(problem,
                    "expected foundation, component, transport, priority, address, "
                    "port, \"typ\" and a type");
    }
    IceCandidate c;
    c.text = text;
    if (tokens[0].empty() || tokens[0].size() > 32 || !is_ice_chars(tokens[0])) {
        return fail(problem, "bad foundation");
    }
    c.foundation = tokens[0];
    auto component = parse_number<unsigned>(tokens[1], 256);
    if (!component || *component == 0) {
        return fail(problem, fmt::format("bad component '{}'", tokens[1]));
    }
    c.component = *component;
    if (!is_token(tokens[2])) {
        return fail(problem, "bad transport");
    }
    c.transport = tokens[2];
    std::transform(c.transport.begin(), c.transport.end(), c.transport.begin(),
                   [](char ch) { return g_ascii_tolower(ch); });
    auto priority = parse_number<uint32_t>(tokens[3], UINT32_MAX);
    if (!priority || *priority == 0) {
        return fail(problem, fmt::format("bad priority '{}'", tokens[3]));
    }
    c.priority = *priority;
    if (!is_address(tokens[4])) {
        return fail(problem, "the address is neither an IP address nor an mDNS .local name");
    }
    c.address = tokens[4];
    auto port = parse_number<uint16_t>(tokens[5], 65535);
    if (!port) {
        return fail(problem, fmt::format("bad port '{}'", tokens[5]));
    }
    c.port = *port;
    auto type = parse_type(tokens[7]);
    if (!type) {
        return fail(problem, fmt::format("unknown candidate type '{}'", tokens[7]));
    }
    c.type = *type;
    // The rest: name/value pairs, raddr and rport among them.
    if ((tokens.size() - 8) % 2 != 0) {
        return fail(problem, "an extension name without a value");
    }
    for (size_t i = 8; i + 1 < tokens.size(); i += 2) {
        auto name = tokens[i];
        auto value = tokens[i + 1];
        if (name == "raddr") {
            if (!is_address(value)) {
                return fail(problem, "bad raddr");
            }
            c.related_address = std::string(value);
        } else if (name == "rport") {
            auto related = parse_number<uint16_t>(value, 65535);
            if (!related) {
                return fail(problem, fmt::format("bad rport '{}'", value));
            }
            c.related_port = *related;
        } else if (!is_token(name) || !is_token(value)) {
            return fail(problem, "bad extension");
        }
    }
    return c;
}

std::optional<std::string> scrub_candidate(const IceCandidate& candidate, bool relay_only) {
    if (!relay_only) {
        return candidate.text;
    }
    if (candidate.type != CandidateType::relay) {
        return std::nullopt;
    }
    constexpr std::string_view prefix = "candidate:";
    auto tokens = split_spaces(std::string_view(candidate.text).substr(prefix.size()));
    std::string out(prefix);
    for (size_t i = 0; i < tokens.size(); ++i) {
        bool related_value =
            i >= 9 && i % 2 == 1 && (tokens[i - 1] == "raddr" || tokens[i - 1] == "rport");
        std::string_view token = tokens[i];
        if (related_value) {
            token = tokens[i - 1] == "raddr" ? "0.0.0.0" : "0";
        }
        out.append(i == 0 ? "" : " ").append(token);
    }
    return out;
}

}  // namespace turnpike::signal
