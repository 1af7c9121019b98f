#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace turnpike::signal {

// One code point decoded from UTF-8. `length` is 0 when the bytes at the
// position are not valid UTF-8.
struct Utf8Char {
    char32_t code_point = 0;
    uint8_t length = 0;
};

// Strict RFC 3629 decoding: overlong forms, surrogates, code points above
// U+10FFFF and truncated sequences are invalid. Unlike g_utf8_validate, NUL
// is an ordinary (valid) code point, so the caller decides what it means.
inline Utf8Char decode_utf8(std::string_view text, size_t pos) noexcept {
    auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
    auto continuation = [&](size_t i, uint8_t low = 0x80, uint8_t high = 0xBF) {
        return pos + i < text.size() && byte(i) >= low && byte(i) <= high;
    };
    uint8_t lead = byte(0);
    if (lead < 0x80) {
        return {lead, 1};
    }
    if (lead >= 0xC2 && lead <= 0xDF && continuation(1)) {
        return {static_cast<char32_t>((lead & 0x1F) << 6 | (byte(1) & 0x3F)), 2};
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        // E0 would be overlong below A0; ED above 9F would be a surrogate.
        uint8_t low = lead == 0xE0 ? 0xA0 : 0x80;
        uint8_t high = lead == 0xED ? 0x9F : 0xBF;
        if (continuation(1, low, high) && continuation(2)) {
            return {static_cast<char32_t>((lead & 0x0F) << 12 | (byte(1) & 0x3F) << 6 |
                                          (byte(2) & 0x3F)),
                    3};
        }
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        // F0 would be overlong below 90; F4 above 8F would pass U+10FFFF.
        uint8_t low = lead == 0xF0 ? 0x90 : 0x80;
        uint8_t high = lead == 0xF4 ? 0x8F : 0xBF;
        if (continuation(1, low, high) && continuation(2) && continuation(3)) {
            return {static_cast<char32_t>((lead & 0x07) << 18 | (byte(1) & 0x3F) << 12 |
                                          (byte(2) & 0x3F) << 6 | (byte(3) & 0x3F)),
                    4};
        }
    }
    return {};
}

}  // namespace turnpike::signal
