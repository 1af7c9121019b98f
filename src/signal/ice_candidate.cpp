#include "signal/ice_candidate.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "common/cidr.hpp"
#include "signal/excerpt.hpp"
#include "signal/sdp_grammar.hpp"

namespace turnpike::signal {

namespace {

using namespace sdp_grammar;

using Fields = std::vector<std::string_view>;

constexpr std::string_view kAttributePrefix = "a=";
constexpr std::string_view kCandidatePrefix = "candidate:";
constexpr std::string_view kMdnsSuffix = ".local";
// foundation, component, transport, priority, address, port, "typ", type
constexpr std::size_t kRequiredFields = 8;
constexpr std::size_t kMaxFoundationChars = 32;
constexpr std::size_t kMaxComponentDigits = 3;
constexpr unsigned kMaxComponent = 256;
constexpr std::size_t kMaxPriorityDigits = 10;
constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxDnsLabel = 63;

constexpr std::array<std::pair<std::string_view, CandidateType>, 4> kTypeNames{{
    {"host", CandidateType::host},
    {"srflx", CandidateType::srflx},
    {"prflx", CandidateType::prflx},
    {"relay", CandidateType::relay},
}};

// `suffix` is lowercase.
bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           std::equal(suffix.begin(), suffix.end(), text.end() - suffix.size(),
                      [](char expected, char actual) { return expected == to_lower(actual); });
}

bool is_dns_label(std::string_view label) {
    return !label.empty() && label.size() <= kMaxDnsLabel && label.front() != '-' &&
           label.back() != '-' &&
           all_of(label, [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}

// Browsers hide host addresses behind a random mDNS name such as
// "1f4712db-ea17-4bcf-a596-105139dfd8bf.local" that only the local network
// resolves. Any DNS name under .local is accepted; names elsewhere are not,
// since a candidate naming a public host would make the peer resolve it.
bool is_mdns_name(std::string_view name) {
    if (name.size() > kMaxDnsName || !ends_with_ignoring_case(name, kMdnsSuffix)) {
        return false;
    }
    auto rest = name.substr(0, name.size() - kMdnsSuffix.size());
    while (true) {
        const auto dot = rest.find('.');
        if (!is_dns_label(rest.substr(0, dot))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        rest.remove_prefix(dot + 1);
    }
}

bool is_connection_address(std::string_view text) {
    return IpAddress::parse(text).has_value() || is_mdns_name(text);
}

std::optional<CandidateType> parse_type(std::string_view text) {
    for (const auto& [name, type] : kTypeNames) {
        if (text == name) {
            return type;
        }
    }
    return std::nullopt;
}

std::optional<std::string> parse_transport(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), to_lower);
    if (lower == "udp" || lower == "tcp") {
        return lower;
    }
    return std::nullopt;
}

std::string bad(std::string_view what, std::string_view value) {
    return fmt::format("bad {} {}", what, excerpt(value));
}

// Strips "a=candidate:" or "candidate:"; empty on failure.
std::optional<std::string_view> strip_prefix(std::string_view text) {
    if (text.starts_with(kAttributePrefix)) {
        text.remove_prefix(kAttributePrefix.size());
    }
    if (!text.starts_with(kCandidatePrefix)) {
        return std::nullopt;
    }
    return text.substr(kCandidatePrefix.size());
}

// Splits on single spaces. Every byte must be printable ASCII: the grammar
// has nothing else, and a tab or newline here could smuggle a line into SDP.
std::optional<Fields> split_fields(std::string_view text, std::string& problem) {
    if (!all_of(text, [](char c) { return c == ' ' || is_vchar(c); })) {
        problem = "control character or non-ASCII byte in candidate";
        return std::nullopt;
    }
    Fields fields;
    std::size_t start = 0;
    while (true) {
        const auto space = text.find(' ', start);
        const auto field = text.substr(start, space - start);
        if (field.empty()) {
            problem = "empty field: two spaces in a row, or a space at either end";
            return std::nullopt;
        }
        fields.push_back(field);
        if (space == std::string_view::npos) {
            return fields;
        }
        start = space + 1;
    }
}

std::string parse_identity(const Fields& fields, IceCandidate& out) {
    if (fields[0].size() > kMaxFoundationChars || !all_of(fields[0], is_ice_char)) {
        return bad("foundation", fields[0]) + " (1 to 32 of A-Z a-z 0-9 + /)";
    }
    out.foundation = fields[0];
    const auto component = parse_decimal<unsigned>(fields[1], kMaxComponentDigits, kMaxComponent);
    if (!component || *component == 0) {
        return bad("component", fields[1]) + " (1 to 256)";
    }
    out.component = *component;
    auto transport = parse_transport(fields[2]);
    if (!transport) {
        return fmt::format("unsupported transport {} (udp or tcp)", excerpt(fields[2]));
    }
    out.transport = std::move(*transport);
    const auto priority = parse_decimal<uint32_t>(fields[3], kMaxPriorityDigits,
                                                  std::numeric_limits<uint32_t>::max());
    if (!priority || *priority == 0) {
        return bad("priority", fields[3]) + " (1 to 4294967295)";
    }
    out.priority = *priority;
    return {};
}

std::string parse_location(const Fields& fields, IceCandidate& out) {
    if (!is_connection_address(fields[4])) {
        return bad("address", fields[4]) + " (an IP address or an mDNS name ending in .local)";
    }
    out.address = fields[4];
    const auto port = parse_port(fields[5]);
    if (!port) {
        return bad("port", fields[5]) + " (0 to 65535)";
    }
    out.port = *port;
    if (fields[6] != "typ") {
        return fmt::format("expected 'typ' after the port, found {}", excerpt(fields[6]));
    }
    const auto type = parse_type(fields[7]);
    if (!type) {
        return fmt::format("unknown candidate type {}", excerpt(fields[7]));
    }
    out.type = *type;
    return {};
}

std::string parse_related_address(std::string_view value, IceCandidate& out) {
    if (out.related_address) {
        return "raddr appears twice";
    }
    if (!is_connection_address(value)) {
        return bad("related address", value);
    }
    out.related_address = value;
    return {};
}

std::string parse_related_port(std::string_view value, IceCandidate& out) {
    if (out.related_port) {
        return "rport appears twice";
    }
    const auto port = parse_port(value);
    if (!port) {
        return bad("related port", value) + " (0 to 65535)";
    }
    out.related_port = *port;
    return {};
}

std::string parse_tcp_type(std::string_view value, IceCandidate& out) {
    if (!out.tcp_type.empty()) {
        return "tcptype appears twice";
    }
    if (value != "active" && value != "passive" && value != "so") {
        return bad("tcptype", value) + " (active, passive or so)";
    }
    out.tcp_type = value;
    return {};
}

// One name/value pair after the type. raddr, rport and tcptype have meaning
// here and may appear once; "typ" again would let two parsers disagree on the
// type, which privacy mode relies on. Anything else is an extension.
std::string parse_pair(std::string_view name, std::string_view value, IceCandidate& out) {
    if (name == "raddr") {
        return parse_related_address(value, out);
    }
    if (name == "rport") {
        return parse_related_port(value, out);
    }
    if (name == "tcptype") {
        return parse_tcp_type(value, out);
    }
    if (name == "typ") {
        return "typ appears twice";
    }
    if (!is_token(name)) {
        return bad("extension name", name);
    }
    out.extensions.emplace_back(name, value);
    return {};
}

std::string parse_pairs(const Fields& fields, IceCandidate& out) {
    for (std::size_t i = kRequiredFields; i < fields.size(); i += 2) {
        if (i + 1 == fields.size()) {
            return fmt::format("{} has no value", excerpt(fields[i]));
        }
        if (auto problem = parse_pair(fields[i], fields[i + 1], out); !problem.empty()) {
            return problem;
        }
    }
    if (!out.tcp_type.empty() && out.transport != "tcp") {
        return "tcptype on a udp candidate";
    }
    return {};
}

std::string parse_fields(std::string_view text, IceCandidate& out) {
    if (text.size() > kMaxCandidateBytes) {
        return fmt::format("candidate is longer than {} bytes", kMaxCandidateBytes);
    }
    const auto body = strip_prefix(text);
    if (!body) {
        return "does not start with 'candidate:'";
    }
    std::string problem;
    const auto fields = split_fields(*body, problem);
    if (!fields) {
        return problem;
    }
    if (fields->size() < kRequiredFields) {
        return "too few fields: expected foundation, component, transport, priority, address, "
               "port, 'typ' and a type";
    }
    for (auto* step : {parse_identity, parse_location, parse_pairs}) {
        if (problem = step(*fields, out); !problem.empty()) {
            return problem;
        }
    }
    return {};
}

}  // namespace

std::string_view to_string(CandidateType type) {
    for (const auto& [name, value] : kTypeNames) {
        if (value == type) {
            return name;
        }
    }
    return "unknown";
}

std::optional<IceCandidate> parse_candidate(std::string_view text, std::string* problem) {
    IceCandidate candidate;
    auto found = parse_fields(text, candidate);
    if (!found.empty()) {
        if (problem != nullptr) {
            *problem = std::move(found);
        }
        return std::nullopt;
    }
    return candidate;
}

std::string format_candidate(const IceCandidate& candidate) {
    auto out = fmt::format("candidate:{} {} {} {} {} {} typ {}", candidate.foundation,
                           candidate.component, candidate.transport, candidate.priority,
                           candidate.address, candidate.port, to_string(candidate.type));
    if (candidate.related_address) {
        fmt::format_to(std::back_inserter(out), " raddr {}", *candidate.related_address);
    }
    if (candidate.related_port) {
        fmt::format_to(std::back_inserter(out), " rport {}", *candidate.related_port);
    }
    if (!candidate.tcp_type.empty()) {
        fmt::format_to(std::back_inserter(out), " tcptype {}", candidate.tcp_type);
    }
    for (const auto& [name, value] : candidate.extensions) {
        fmt::format_to(std::back_inserter(out), " {} {}", name, value);
    }
    return out;
}

std::optional<std::string> scrub_candidate(const IceCandidate& candidate, bool relay_only) {
    if (!relay_only) {
        return format_candidate(candidate);
    }
    if (candidate.type != CandidateType::relay) {
        return std::nullopt;
    }
    if (!candidate.related_address && !candidate.related_port) {
        return format_candidate(candidate);
    }
    auto hidden = candidate;
    hidden.related_address = std::string(kHiddenAddress);
    hidden.related_port = 0;
    return format_candidate(hidden);
}

}  // namespace turnpike::signal
