#include "signal/sdp_check.hpp"

#include <glib.h>
#include <gst/sdp/sdp.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "signal/ice_candidate.hpp"
#include "signal/protocol.hpp"

namespace turnpike::signal {

namespace {

struct SdpMessageFree {
    void operator()(GstSDPMessage* message) const { gst_sdp_message_free(message); }
};
using SdpMessagePtr = std::unique_ptr<GstSDPMessage, SdpMessageFree>;

struct Line {
    std::string_view text;    // without the line ending
    std::string_view ending;  // "\r\n", "\n" or "" for a last line without one
};

std::vector<Line> split_lines(std::string_view sdp) {
    std::vector<Line> lines;
    while (!sdp.empty()) {
        auto newline = sdp.find('\n');
        std::string_view line = sdp.substr(0, newline);
        std::string_view ending = newline == std::string_view::npos ? "" : "\n";
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
            ending = newline == std::string_view::npos ? "\r" : "\r\n";
        }
        lines.push_back({line, ending});
        if (newline == std::string_view::npos) {
            break;
        }
        sdp.remove_prefix(newline + 1);
    }
    return lines;
}

SdpCheck refuse(std::string problem) {
    return {false, std::move(problem), {}, 0};
}

bool well_formed(std::string_view line) {
    return line.size() >= 2 && line[0] >= 'a' && line[0] <= 'z' && line[1] == '=';
}

// "m=<media> <port>[/<count>] <proto> <fmt> ..."
bool valid_media_line(std::string_view line) {
    auto rest = line.substr(2);
    std::vector<std::string_view> tokens;
    for (size_t start = 0; start <= rest.size();) {
        auto space = rest.find(' ', start);
        tokens.push_back(rest.substr(start, space - start));
        if (space == std::string_view::npos) {
            break;
        }
        start = space + 1;
    }
    if (tokens.size() < 4 || tokens[0].empty() || tokens[2].empty()) {
        return false;
    }
    auto port = tokens[1].substr(0, tokens[1].find('/'));
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    return !port.empty() && ec == std::errc{} && end == port.data() + port.size() && value <= 65535;
}

SdpCheck check_lines(const std::vector<Line>& lines) {
    if (lines.size() > max_sdp_lines) {
        return refuse(fmt::format("SDP over {} lines", max_sdp_lines));
    }
    if (lines.empty() || lines.front().text != "v=0") {
        return refuse("SDP must start with \"v=0\"");
    }
    bool o = false, s = false, t = false;
    size_t media = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        auto text = lines[i].text;
        if (text.empty() && i + 1 == lines.size()) {
            break;
        }
        if (!well_formed(text)) {
            return refuse(fmt::format("SDP line {} is not <letter>=<value>", i + 1));
        }
        if (text[0] == 'm') {
            if (!valid_media_line(text)) {
                return refuse(fmt::format("SDP line {}: malformed m= line", i + 1));
            }
            ++media;
        } else if (media == 0) {
            o = o || text[0] == 'o';
            s = s || text[0] == 's';
            t = t || text[0] == 't';
        }
        if (text.starts_with("a=candidate:")) {
            std::string problem;
            if (!parse_candidate(text, &problem)) {
                return refuse(fmt::format("SDP line {}: {}", i + 1, problem));
            }
        }
    }
    if (!o || !s || !t) {
        return refuse("SDP needs o=, s= and t= lines before the first m=");
    }
    if (media > max_sdp_media) {
        return refuse(fmt::format("SDP over {} media sections", max_sdp_media));
    }
    return {true, {}, {}, 0};
}

bool has(const GstSDPMedia* media, const char* key) {
    return gst_sdp_media_get_attribute_val(media, key) != nullptr;
}

// What GStreamer's parser makes of it: the media sections it found, and the
// ICE credentials and DTLS fingerprint each of them needs.
SdpCheck check_parsed(std::string_view sdp) {
    GstSDPMessage* raw = nullptr;
    gst_sdp_message_new(&raw);
    SdpMessagePtr message(raw);
    if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()),
                                     static_cast<guint>(sdp.size()), message.get()) != GST_SDP_OK) {
        return refuse("SDP does not parse");
    }
    if (gst_sdp_message_get_version(message.get()) == nullptr ||
        std::string_view(gst_sdp_message_get_version(message.get())) != "0") {
        return refuse("SDP version must be 0");
    }
    guint count = gst_sdp_message_medias_len(message.get());
    if (count == 0) {
        return refuse("SDP has no media section");
    }
    bool session_ufrag = gst_sdp_message_get_attribute_val(message.get(), "ice-ufrag") != nullptr;
    bool session_pwd = gst_sdp_message_get_attribute_val(message.get(), "ice-pwd") != nullptr;
    bool session_fingerprint =
        gst_sdp_message_get_attribute_val(message.get(), "fingerprint") != nullptr;
    for (guint i = 0; i < count; ++i) {
        const GstSDPMedia* media = gst_sdp_message_get_media(message.get(), i);
        if (gst_sdp_media_get_media(media) == nullptr ||
            gst_sdp_media_get_proto(media) == nullptr) {
            return refuse(fmt::format("SDP media section {} is malformed", i + 1));
        }
        if (!(session_ufrag || has(media, "ice-ufrag")) ||
            !(session_pwd || has(media, "ice-pwd"))) {
            return refuse(fmt::format("SDP media section {} has no ICE ufrag and pwd", i + 1));
        }
        if (!(session_fingerprint || has(media, "fingerprint"))) {
            return refuse(fmt::format("SDP media section {} has no DTLS fingerprint", i + 1));
        }
    }
    return {true, {}, {}, 0};
}

// --- privacy: rewriting ---

std::string unspecified_like(std::string_view addrtype) {
    return addrtype == "IP6" ? "::" : "0.0.0.0";
}

// "IN IP4 <address>" at `at` in `line`: the address replaced unless kept.
// Anything else there (which GStreamer let through) loses its address too.
std::string scrub_connection(std::string_view line, size_t at, const std::set<std::string>& kept) {
    auto rest = line.substr(std::min(at, line.size()));
    bool well_formed = rest.size() > 7 && rest.starts_with("IN IP") && rest[6] == ' ';
    auto addrtype = well_formed ? rest.substr(3, 3) : std::string_view("IP4");
    auto address = well_formed ? rest.substr(7) : std::string_view{};
    address = address.substr(0, address.find('/'));  // a multicast TTL
    if (well_formed && (kept.contains(std::string(address)) || address == "0.0.0.0" ||
                        address == "::" || address == "127.0.0.1")) {
        return std::string(line);
    }
    return fmt::format("{}IN {} {}", line.substr(0, at), addrtype, unspecified_like(addrtype));
}

std::string scrub_origin(std::string_view line) {
    // o=<username> <sess-id> <sess-version> IN <addrtype> <address>
    size_t at = 2;
    for (int field = 0; field < 3 && at != std::string_view::npos; ++field) {
        at = line.find(' ', at);
        at = at == std::string_view::npos ? at : at + 1;
    }
    return at == std::string_view::npos ? std::string("o=- 0 0 IN IP4 0.0.0.0")
                                        : scrub_connection(line, at, {});
}

std::string scrub_rtcp(std::string_view line, const std::set<std::string>& kept) {
    // a=rtcp:<port> IN IP4 <address>
    auto space = line.find(' ');
    return space == std::string_view::npos ? fmt::format("{} IN IP4 0.0.0.0", line)
                                           : scrub_connection(line, space + 1, kept);
}

SdpCheck relay_only_sdp(const std::vector<Line>& lines) {
    std::set<std::string> relay_addresses;
    for (const auto& line : lines) {
        if (line.text.starts_with("a=candidate:")) {
            auto candidate = parse_candidate(line.text);
            if (candidate && candidate->type == CandidateType::relay) {
                relay_addresses.insert(candidate->address);
            }
        }
    }
    SdpCheck out{true, {}, {}, 0};
    for (const auto& line : lines) {
        std::string text(line.text);
        if (line.text.starts_with("a=candidate:")) {
            auto kept = scrub_candidate(*parse_candidate(line.text), true);
            if (!kept) {
                ++out.candidates_removed;
                continue;
            }
            text = "a=" + *kept;
        } else if (line.text.starts_with("a=remote-candidates")) {
            continue;  // names the partner's addresses back: not needed relayed
        } else if (line.text.starts_with("c=")) {
            text = scrub_connection(line.text, 2, relay_addresses);
        } else if (line.text.starts_with("o=")) {
            text = scrub_origin(line.text);
        } else if (line.text.starts_with("a=rtcp:")) {
            text = scrub_rtcp(line.text, relay_addresses);
        }
        out.sdp.append(text).append(line.ending);
    }
    return out;
}

}  // namespace

SdpCheck check_sdp(std::string_view sdp, bool relay_only) {
    if (sdp.size() > max_sdp_bytes) {
        return refuse(fmt::format("SDP over {} bytes", max_sdp_bytes));
    }
    if (sdp.find('\0') != std::string_view::npos ||
        !g_utf8_validate(sdp.data(), static_cast<gssize>(sdp.size()), nullptr)) {
        return refuse("SDP must be UTF-8 text without NUL");
    }
    auto lines = split_lines(sdp);
    if (auto checked = check_lines(lines); !checked.ok) {
        return checked;
    }
    if (auto parsed = check_parsed(sdp); !parsed.ok) {
        return parsed;
    }
    if (relay_only) {
        return relay_only_sdp(lines);
    }
    return {true, {}, std::string(sdp), 0};
}

std::optional<DescriptionType> parse_description_type(std::string_view type) {
    if (type == "offer") {
        return DescriptionType::offer;
    }
    if (type == "answer") {
        return DescriptionType::answer;
    }
    if (type == "pranswer") {
        return DescriptionType::pranswer;
    }
    if (type == "rollback") {
        return DescriptionType::rollback;
    }
    return std::nullopt;
}

}  // namespace turnpike::signal
