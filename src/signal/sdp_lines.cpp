#include "signal/sdp_lines.hpp"

#include <fmt/format.h>

#include "signal/excerpt.hpp"
#include "signal/sdp_grammar.hpp"

namespace turnpike::signal {

namespace {

using namespace sdp_grammar;

// RFC 8866 section 5: the types each part may hold. Unknown types must be
// ignored or the description rejected; rejecting keeps the checks simple.
constexpr std::string_view kSessionTypes = "vosiuepcbtrzka";
constexpr std::string_view kMediaTypes = "micbka";
constexpr std::string_view kFirstLine = "v=0";
constexpr std::size_t kOriginFields = 6;
constexpr std::size_t kConnectionFields = 3;
constexpr std::size_t kMinMediaFields = 4;  // media, port, proto and a format
constexpr std::size_t kMaxTimeDigits = 20;
constexpr std::size_t kMaxPortCountDigits = 5;
constexpr unsigned kMaxPortCount = 65535;

struct RawLine {
    std::string_view text;
    std::string_view ending;
};

// Returns "" or the problem with the line's number in front.
std::string at_line(std::size_t number, std::string_view problem) {
    return problem.empty() ? std::string() : fmt::format("line {}: {}", number, problem);
}

RawLine take_line(std::string_view sdp, std::size_t start) {
    const auto lf = sdp.find('\n', start);
    if (lf == std::string_view::npos) {
        return {sdp.substr(start), sdp.substr(sdp.size())};
    }
    const bool crlf = lf > start && sdp[lf - 1] == '\r';
    const auto text_end = crlf ? lf - 1 : lf;
    return {sdp.substr(start, text_end - start), sdp.substr(text_end, lf + 1 - text_end)};
}

std::optional<std::vector<RawLine>> split_lines(std::string_view sdp, std::size_t max_lines,
                                                std::string& problem) {
    std::vector<RawLine> lines;
    for (std::size_t start = 0; start < sdp.size();) {
        if (lines.size() == max_lines) {
            problem = fmt::format("more than {} lines", max_lines);
            return std::nullopt;
        }
        const auto line = take_line(sdp, start);
        if (line.text.find('\r') != std::string_view::npos) {
            problem = at_line(lines.size() + 1, "a CR that does not end the line");
            return std::nullopt;
        }
        lines.push_back(line);
        start += line.text.size() + line.ending.size();
    }
    return lines;
}

bool is_proto(std::string_view text) {
    std::size_t start = 0;
    while (true) {
        const auto slash = text.find('/', start);
        if (!is_token(text.substr(start, slash - start))) {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        start = slash + 1;
    }
}

// <port>[/<number of ports>]
bool is_media_port(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return parse_port(text).has_value();
    }
    return parse_port(text.substr(0, slash)) &&
           parse_decimal<unsigned>(text.substr(slash + 1), kMaxPortCountDigits, kMaxPortCount);
}

bool is_number(std::string_view text, std::size_t max_digits) {
    return !text.empty() && text.size() <= max_digits && all_of(text, is_digit);
}

std::string check_origin(std::string_view value) {
    const auto fields = split_sdp_fields(value);
    if (fields.size() != kOriginFields) {
        return "o= needs 6 fields: username, session id, version, network type, address type "
               "and address";
    }
    if (!all_of(fields[1], is_digit) || !all_of(fields[2], is_digit)) {
        return "o= session id and version must be numbers";
    }
    if (!is_token(fields[3]) || !is_token(fields[4])) {
        return "o= network and address types must be tokens";
    }
    return {};
}

std::string check_timing(std::string_view value) {
    const auto fields = split_sdp_fields(value);
    if (fields.size() != 2 || !is_number(fields[0], kMaxTimeDigits) ||
        !is_number(fields[1], kMaxTimeDigits)) {
        return "t= needs a start and a stop time";
    }
    return {};
}

std::string check_media(std::string_view value) {
    const auto fields = split_sdp_fields(value);
    if (fields.size() < kMinMediaFields) {
        return "m= needs a media type, a port, a protocol and at least one format";
    }
    if (!is_token(fields[0])) {
        return fmt::format("bad media type {}", excerpt(fields[0]));
    }
    if (!is_media_port(fields[1])) {
        return fmt::format("bad m= port {}", excerpt(fields[1]));
    }
    if (!is_proto(fields[2])) {
        return fmt::format("bad m= protocol {}", excerpt(fields[2]));
    }
    for (std::size_t i = 3; i < fields.size(); ++i) {
        if (!is_token(fields[i])) {
            return fmt::format("bad m= format {}", excerpt(fields[i]));
        }
    }
    return {};
}

std::string check_connection(std::string_view value) {
    const auto fields = split_sdp_fields(value);
    if (fields.size() != kConnectionFields || !is_token(fields[0]) || !is_token(fields[1])) {
        return "c= needs a network type, an address type and an address";
    }
    return {};
}

// a=rtcp:<port> [<network type> <address type> <address>] (RFC 3605)
std::string check_rtcp(std::string_view value) {
    const auto fields = split_sdp_fields(value);
    const bool shape = fields.size() == 1 || fields.size() == 1 + kConnectionFields;
    if (!shape || !parse_port(fields[0]) ||
        (fields.size() > 1 && (!is_token(fields[1]) || !is_token(fields[2])))) {
        return "a=rtcp needs a port, optionally followed by a network type, address type and "
               "address";
    }
    return {};
}

std::string check_attribute(std::string_view value) {
    const auto name = attribute_name(value);
    if (!is_token(name)) {
        return fmt::format("bad attribute name {}", excerpt(name));
    }
    if (name == "rtcp") {
        return check_rtcp(attribute_value(value));
    }
    return {};
}

std::string check_fields(const SdpLine& line) {
    switch (line.type) {
        case 'o':
            return check_origin(line.value);
        case 't':
            return check_timing(line.value);
        case 'm':
            return check_media(line.value);
        case 'c':
            return check_connection(line.value);
        case 'a':
            return check_attribute(line.value);
        default:
            return {};
    }
}

std::optional<SdpLine> classify(const RawLine& raw, std::size_t number, std::string& problem) {
    const auto text = raw.text;
    if (text.size() < 2 || text[0] < 'a' || text[0] > 'z' || text[1] != '=') {
        problem = at_line(number, fmt::format("not <letter>=<value>: {}", excerpt(text)));
        return std::nullopt;
    }
    return SdpLine{number, text, raw.ending, text[0], text.substr(2), -1};
}

// Where a line's type may stand, and how often the session's v=, o=, s= and
// t= appear.
class Placement {
  public:
    std::string place(SdpLine& line) {
        if (line.type == 'm') {
            ++media_sections_;
        }
        line.section = static_cast<int>(media_sections_) - 1;
        if (line.number == 1) {
            return line.text == kFirstLine ? "" : "the first line must be v=0";
        }
        const bool session = line.section < 0;
        if ((session ? kSessionTypes : kMediaTypes).find(line.type) == std::string_view::npos) {
            return fmt::format("{}= does not belong in {}", line.type,
                               session ? "the session part" : "a media section");
        }
        return count(line.type);
    }

    std::string missing() const {
        const std::pair<char, std::size_t> counts[] = {
            {'o', origins_}, {'s', names_}, {'t', times_}};
        for (const auto& [type, seen] : counts) {
            if (seen == 0) {
                return fmt::format("the session part lacks {}=", type);
            }
        }
        return {};
    }

    std::size_t media_sections() const { return media_sections_; }

  private:
    std::string count(char type) {
        switch (type) {
            case 'v':
                return "v= appears twice";
            case 'o':
                return once(origins_, type);
            case 's':
                return once(names_, type);
            case 't':
                ++times_;
                return {};
            default:
                return {};
        }
    }

    static std::string once(std::size_t& seen, char type) {
        return seen++ == 0 ? std::string() : fmt::format("{}= appears twice", type);
    }

    std::size_t media_sections_ = 0;
    std::size_t origins_ = 0;
    std::size_t names_ = 0;
    std::size_t times_ = 0;
};

}  // namespace

std::optional<SdpLines> parse_sdp_lines(std::string_view sdp, std::size_t max_lines,
                                        std::string& problem) {
    const auto raw_lines = split_lines(sdp, max_lines, problem);
    if (!raw_lines) {
        return std::nullopt;
    }
    SdpLines out;
    out.lines.reserve(raw_lines->size());
    Placement placement;
    for (const auto& raw : *raw_lines) {
        auto line = classify(raw, out.lines.size() + 1, problem);
        if (!line) {
            return std::nullopt;
        }
        if (problem = at_line(line->number, placement.place(*line)); !problem.empty()) {
            return std::nullopt;
        }
        if (problem = at_line(line->number, check_fields(*line)); !problem.empty()) {
            return std::nullopt;
        }
        out.lines.push_back(*line);
    }
    if (problem = placement.missing(); !problem.empty()) {
        return std::nullopt;
    }
    out.media_sections = placement.media_sections();
    return out;
}

std::vector<std::string_view> split_sdp_fields(std::string_view value) {
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
        const auto space = value.find(' ', start);
        const auto field = value.substr(start, space - start);
        if (field.empty()) {
            return {};
        }
        fields.push_back(field);
        if (space == std::string_view::npos) {
            return fields;
        }
        start = space + 1;
    }
}

std::string_view attribute_name(std::string_view value) {
    return value.substr(0, value.find(':'));
}

std::string_view attribute_value(std::string_view value) {
    const auto colon = value.find(':');
    return colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
}

}  // namespace turnpike::signal
