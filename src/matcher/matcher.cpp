// The normal form of a seeker's interests and language, shared by every
// matcher so that "Music " on one node meets "music" on another.

#include "matcher/matcher.hpp"

#include <glib.h>

#include <algorithm>
#include <memory>
#include <random>

namespace turnpike::matcher {

// 24 random bits per process name the node; restarts and other nodes get
// other prefixes without coordination.
Matcher::Matcher() {
    std::random_device random;
    node_prefix_ = (static_cast<uint64_t>(random()) & 0xffffff) << 40;
    if (node_prefix_ == 0) {
        node_prefix_ = uint64_t{1} << 40;
    }
}
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string collapse_spaces(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (!is_space(c)) {
            out += c;
        } else if (!out.empty() && out.back() != ' ') {
            out += ' ';
        }
    }
    if (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

std::string utf8_lowercase(std::string_view text) {
    std::unique_ptr<char, decltype(&g_free)> lower(
        g_utf8_strdown(text.data(), static_cast<gssize>(text.size())), g_free);
    return lower.get();
}

bool is_continuation_byte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Never cuts inside a character, so the result stays valid UTF-8.
void truncate_utf8(std::string& text, size_t max_bytes) {
    if (text.size() <= max_bytes) {
        return;
    }
    size_t end = max_bytes;
    while (end > 0 && is_continuation_byte(text[end])) {
        --end;
    }
    text.resize(end);
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
}

std::string normalise_interest(std::string_view raw) {
    if (!g_utf8_validate(raw.data(), static_cast<gssize>(raw.size()), nullptr)) {
        return {};
    }
    std::string text = collapse_spaces(utf8_lowercase(raw));
    truncate_utf8(text, max_interest_bytes);
    return text;
}

}  // namespace

std::vector<std::string> normalise_interests(std::span<const std::string> raw) {
    std::vector<std::string> out;
    for (const std::string& item : raw) {
        if (out.size() == max_interests) {
            break;
        }
        std::string interest = normalise_interest(item);
        if (!interest.empty() && std::find(out.begin(), out.end(), interest) == out.end()) {
            out.push_back(std::move(interest));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string normalise_lang(std::string_view raw) {
    std::string lang = normalise_interest(raw);
    return lang == "any" ? std::string{} : lang;
}

}  // namespace turnpike::matcher
