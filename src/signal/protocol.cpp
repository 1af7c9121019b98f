#include "signal/protocol.hpp"

namespace turnpike::signal {

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::bad_json:
            return "bad_json";
        case ErrorCode::binary_frame:
            return "binary_frame";
        case ErrorCode::unknown_type:
            return "unknown_type";
        case ErrorCode::bad_field:
            return "bad_field";
        case ErrorCode::no_partner:
            return "no_partner";
        case ErrorCode::bad_sdp:
            return "bad_sdp";
        case ErrorCode::bad_candidate:
            return "bad_candidate";
        case ErrorCode::rate_limited:
            return "rate_limited";
        case ErrorCode::muted:
            return "muted";
        case ErrorCode::bad_state:
            return "bad_state";
        case ErrorCode::unavailable:
            return "unavailable";
        case ErrorCode::internal:
            return "internal";
    }
    return "unknown";
}

}  // namespace turnpike::signal
