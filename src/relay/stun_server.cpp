#include "relay/stun_server.hpp"

namespace turnpike::relay {

StunServer::StunServer(std::string software, WorkerCounters& counters)
    : codec_(std::move(software)), counters_(counters) {}

size_t StunServer::handle(std::span<const uint8_t> packet, const SocketAddress& from,
                          std::span<uint8_t> out) {
    StunMessage msg;
    switch (codec_.validate(packet, msg)) {
        case STUN_VALIDATION_SUCCESS:
            break;
        case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
            bump(counters_.stun_requests);
            bump(counters_.error_responses);
            return codec_.unknown_attributes_error(out, msg);
        case STUN_VALIDATION_NOT_STUN:
        case STUN_VALIDATION_INCOMPLETE_STUN:
            bump(counters_.dropped_not_stun);
            return 0;
        default:
            // A bad FINGERPRINT, an unknown optional attribute in a response,
            // an unsolicited response: RFC 8489 says discard silently.
            bump(counters_.dropped_malformed);
            return 0;
    }
    if (stun_message_get_class(&msg) != STUN_REQUEST) {
        // Binding indications are keepalives; they need no answer.
        return 0;
    }
    bump(counters_.stun_requests);
    if (stun_message_get_method(&msg) == STUN_BINDING) {
        if (size_t n = answer_binding(codec_, msg, from, out); n != 0) {
            bump(counters_.binding_responses);
            return n;
        }
        return 0;
    }
    // A request for a method this server does not offer (RFC 8489 section 6.3.1.1).
    StunMessage response;
    if (!codec_.start_error(response, out, msg, STUN_ERROR_BAD_REQUEST)) {
        return 0;
    }
    bump(counters_.error_responses);
    return codec_.finish(response);
}

}  // namespace turnpike::relay
