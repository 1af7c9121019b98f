#pragma once

#include <optional>
#include <string_view>

// The "type" of an RTCSessionDescriptionInit that `signal` relays.

namespace turnpike::signal {

enum class DescriptionType { offer, answer, pranswer, rollback };

// The WebIDL RTCSdpType names, which are case-sensitive: "offer", "answer",
// "pranswer", "rollback". Anything else is nullopt.
std::optional<DescriptionType> parse_description_type(std::string_view text);

std::string_view to_string(DescriptionType type);

// A rollback carries no SDP (an empty or absent sdp) and is not SDP-checked;
// every other type carries a description that check_sdp must pass.
inline bool carries_sdp(DescriptionType type) {
    return type != DescriptionType::rollback;
}

}  // namespace turnpike::signal
