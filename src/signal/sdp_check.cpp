#include "signal/sdp_check.hpp"

#include <glib.h>
#include <gst/sdp/gstsdpmessage.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "signal/excerpt.hpp"
#include "signal/ice_candidate.hpp"
#include "signal/sdp_grammar.hpp"
#include "signal/sdp_lines.hpp"
#include "signal/sdp_scrub.hpp"

namespace turnpike::signal {

namespace {

using namespace sdp_grammar;

// RFC 8839 section 5.4: ice-ufrag 4 to 256 ice-chars, ice-pwd 22 to 256.
constexpr std::size_t kMinUfragChars = 4;
constexpr std::size_t kMinPwdChars = 22;
constexpr std::size_t kMaxIceCredentialChars = 256;

struct SdpMessageFree {
    void operator()(GstSDPMessage* message) const { gst_sdp_message_free(message); }
};
using SdpMessagePtr = std::unique_ptr<GstSDPMessage, SdpMessageFree>;

struct Attribute {
    std::string_view key;
    std::string_view value;
};
using Attributes = std::vector<Attribute>;

// One part of the description as GStreamer read it: the session part or a
// media section.
struct Part {
    std::string name;  // for problem messages
    unsigned port = 0;
    Attributes attributes;
};

SdpCheck refuse(std::string problem) {
    return SdpCheck{false, std::move(problem), {}, 0};
}

std::string check_bytes(std::string_view sdp) {
    if (sdp.empty()) {
        return "empty SDP";
    }
    if (sdp.size() > kMaxSdpBytes) {
        return fmt::format("SDP is {} bytes, more than {} (64 KiB)", sdp.size(), kMaxSdpBytes);
    }
    if (const auto nul = sdp.find('\0'); nul != std::string_view::npos) {
        return fmt::format("NUL byte at offset {}", nul);
    }
    const char* end = nullptr;
    if (!g_utf8_validate_len(sdp.data(), sdp.size(), &end)) {
        return fmt::format("invalid UTF-8 at offset {}", end - sdp.data());
    }
    return {};
}

SdpMessagePtr parse_with_gstreamer(std::string_view sdp) {
    GstSDPMessage* raw = nullptr;
    if (gst_sdp_message_new(&raw) != GST_SDP_OK) {
        return nullptr;
    }
    SdpMessagePtr message(raw);
    const auto* data = reinterpret_cast<const guint8*>(sdp.data());
    if (gst_sdp_message_parse_buffer(data, static_cast<guint>(sdp.size()), message.get()) !=
        GST_SDP_OK) {
        return nullptr;
    }
    return message;
}

Attribute view(const GstSDPAttribute* attribute) {
    auto text = [](const gchar* s) { return s != nullptr ? std::string_view(s) : ""; };
    return {text(attribute->key), text(attribute->value)};
}

Part session_part(const GstSDPMessage* message) {
    Part part{"session part", 0, {}};
    for (guint i = 0; i < gst_sdp_message_attributes_len(message); ++i) {
        part.attributes.push_back(view(gst_sdp_message_get_attribute(message, i)));
    }
    return part;
}

Part media_part(const GstSDPMessage* message, guint index) {
    const GstSDPMedia* media = gst_sdp_message_get_media(message, index);
    const gchar* type = gst_sdp_media_get_media(media);
    Part part{fmt::format("media section {} {}", index + 1, excerpt(type != nullptr ? type : "")),
              gst_sdp_media_get_port(media),
              {}};
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
        part.attributes.push_back(view(gst_sdp_media_get_attribute(media, i)));
    }
    return part;
}

// GStreamer's reading of a description. The parts view the GstSDPMessage
// they were read from, which must outlive them.
struct Parts {
    Part session;
    std::vector<Part> media;
};

Parts read_parts(const GstSDPMessage* message) {
    Parts parts{session_part(message), {}};
    for (guint i = 0; i < gst_sdp_message_medias_len(message); ++i) {
        parts.media.push_back(media_part(message, i));
    }
    return parts;
}

// The checks below read GStreamer's view while the scrubbing rewrites the
// lines, so the two must hold the same sections and a= lines. The grammar
// makes GStreamer's reading unambiguous; this confirms it.
bool same_shape(const SdpLines& lines, const Parts& parts) {
    if (parts.media.size() != lines.media_sections) {
        return false;
    }
    std::vector<std::size_t> attribute_lines(lines.media_sections + 1, 0);
    for (const auto& line : lines.lines) {
        attribute_lines[static_cast<std::size_t>(line.section + 1)] += line.type == 'a' ? 1 : 0;
    }
    if (parts.session.attributes.size() != attribute_lines[0]) {
        return false;
    }
    for (std::size_t i = 0; i < parts.media.size(); ++i) {
        if (parts.media[i].attributes.size() != attribute_lines[i + 1]) {
            return false;
        }
    }
    return true;
}

bool has(const Attributes& attributes, std::string_view key) {
    return std::any_of(attributes.begin(), attributes.end(),
                       [key](const Attribute& a) { return a.key == key; });
}

bool is_ice_credential(std::string_view text, std::size_t min_chars) {
    return text.size() >= min_chars && text.size() <= kMaxIceCredentialChars &&
           all_of(text, is_ice_char);
}

// hash-func SP 2HEXDIG *(":" 2HEXDIG), RFC 8122 section 5
bool is_fingerprint(std::string_view text) {
    const auto fields = split_sdp_fields(text);
    if (fields.size() != 2 || !is_token(fields[0]) || fields[1].size() % 3 != 2) {
        return false;
    }
    for (std::size_t i = 0; i < fields[1].size(); ++i) {
        const char c = fields[1][i];
        if (i % 3 == 2 ? c != ':' : !is_hex_digit(c)) {
            return false;
        }
    }
    return true;
}

std::string check_attribute(const Attribute& attribute) {
    std::string problem;
    if (attribute.key == "candidate") {
        if (!parse_candidate(fmt::format("candidate:{}", attribute.value), &problem)) {
            return fmt::format("a=candidate: {}", problem);
        }
    } else if (attribute.key == "ice-ufrag" &&
               !is_ice_credential(attribute.value, kMinUfragChars)) {
        return fmt::format("bad a=ice-ufrag {} (4 to 256 of A-Z a-z 0-9 + /)",
                           excerpt(attribute.value));
    } else if (attribute.key == "ice-pwd" && !is_ice_credential(attribute.value, kMinPwdChars)) {
        return "bad a=ice-pwd (22 to 256 of A-Z a-z 0-9 + /)";  // a secret: not echoed
    } else if (attribute.key == "fingerprint" && !is_fingerprint(attribute.value)) {
        return fmt::format("bad a=fingerprint {}", excerpt(attribute.value));
    }
    return {};
}

std::string check_transport(const Part& media, const Part& session) {
    if (media.port == 0) {
        return {};
    }
    for (std::string_view key : {"ice-ufrag", "ice-pwd", "fingerprint"}) {
        if (!has(media.attributes, key) && !has(session.attributes, key)) {
            return fmt::format("no a={} here or in the session part", key);
        }
    }
    return {};
}

std::string check_attributes(const Part& part) {
    for (const auto& attribute : part.attributes) {
        if (auto problem = check_attribute(attribute); !problem.empty()) {
            return fmt::format("{}: {}", part.name, problem);
        }
    }
    return {};
}

std::string check_media(const Part& media, const Part& session) {
    if (auto problem = check_attributes(media); !problem.empty()) {
        return problem;
    }
    if (auto problem = check_transport(media, session); !problem.empty()) {
        return fmt::format("{}: {}", media.name, problem);
    }
    return {};
}

std::string check_content(std::string_view sdp, const SdpLines& lines) {
    const auto message = parse_with_gstreamer(sdp);
    if (!message) {
        return "GStreamer could not parse the SDP";
    }
    const auto parts = read_parts(message.get());
    if (!same_shape(lines, parts)) {
        return "GStreamer read different sections or attributes than the lines hold";
    }
    if (auto problem = check_attributes(parts.session); !problem.empty()) {
        return problem;
    }
    for (const auto& media : parts.media) {
        if (auto problem = check_media(media, parts.session); !problem.empty()) {
            return problem;
        }
    }
    return {};
}

}  // namespace

SdpCheck check_sdp(std::string_view sdp, bool relay_only) {
    if (auto problem = check_bytes(sdp); !problem.empty()) {
        return refuse(std::move(problem));
    }
    std::string problem;
    const auto lines = parse_sdp_lines(sdp, kMaxSdpLines, problem);
    if (!lines) {
        return refuse(std::move(problem));
    }
    if (lines->media_sections > kMaxMediaSections) {
        return refuse(fmt::format("{} media sections, more than {}", lines->media_sections,
                                  kMaxMediaSections));
    }
    if (problem = check_content(sdp, *lines); !problem.empty()) {
        return refuse(std::move(problem));
    }
    if (!relay_only) {
        return SdpCheck{true, {}, std::string(sdp), 0};
    }
    auto scrubbed = scrub_sdp(*lines);
    return SdpCheck{true, {}, std::move(scrubbed.sdp), scrubbed.candidates_removed};
}

}  // namespace turnpike::signal
