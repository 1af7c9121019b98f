#pragma once

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

// Character classes and numbers of the SDP grammar (RFC 8866 section 9) and
// the ICE attributes (RFC 8839), shared by the candidate and SDP checks.

namespace turnpike::signal::sdp_grammar {

inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

inline bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

inline char to_lower(char c) {
    return is_alpha(c) ? static_cast<char>(c | 0x20) : c;
}

// VCHAR: printable ASCII without space.
inline bool is_vchar(char c) {
    return c >= 0x21 && c <= 0x7E;
}

// token-char: VCHAR except " ( ) , / : ; < = > ? @ [ \ ]
inline bool is_token_char(char c) {
    constexpr std::string_view kExcluded = "\"(),/:;<=>?@[\\]";
    return is_vchar(c) && kExcluded.find(c) == std::string_view::npos;
}

// ice-char = ALPHA / DIGIT / "+" / "/"
inline bool is_ice_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

template <typename Predicate>
bool all_of(std::string_view text, Predicate predicate) {
    return std::all_of(text.begin(), text.end(), predicate);
}

inline bool is_token(std::string_view text) {
    return !text.empty() && all_of(text, is_token_char);
}

// Decimal digits only (no sign, no spaces), 1 to `max_digits` of them, at
// most `max`. max_digits must keep the value within 64 bits.
template <typename Number>
std::optional<Number> parse_decimal(std::string_view text, std::size_t max_digits, Number max) {
    if (text.empty() || text.size() > max_digits || !all_of(text, is_digit)) {
        return std::nullopt;
    }
    uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    if (value > max) {
        return std::nullopt;
    }
    return static_cast<Number>(value);
}

// port = 1*5DIGIT, 0 to 65535
inline std::optional<uint16_t> parse_port(std::string_view text) {
    constexpr std::size_t kMaxPortDigits = 5;
    constexpr uint16_t kMaxPort = 65535;
    return parse_decimal<uint16_t>(text, kMaxPortDigits, kMaxPort);
}

}  // namespace turnpike::signal::sdp_grammar
