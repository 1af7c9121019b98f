#include "relay/stun_server.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "relay/allocation.hpp"
#include "relay/channel_data.hpp"
#include "relay/turn_state.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

namespace {

constexpr std::chrono::seconds default_lifetime{600};

}  // namespace

std::chrono::seconds granted_lifetime(std::optional<uint32_t> requested,
                                      std::chrono::seconds maximum) {
    if (!requested) {
        return std::min(default_lifetime, maximum);
    }
    // RFC 8656 section 7.2: never below the default, which is itself
    // capped by the operator's maximum.
    auto asked = std::chrono::seconds(*requested);
    return std::min(std::max(asked, default_lifetime), maximum);
}

StunServer::StunServer(std::string software, WorkerCounters& counters, Worker* worker)
    : codec_(std::move(software)), counters_(counters), worker_(worker) {}

size_t StunServer::handle(std::span<const uint8_t> packet, const ClientLink& link,
                          std::span<uint8_t> out) {
    StunMessage msg;
    switch (codec_.validate(packet, msg)) {
        case STUN_VALIDATION_SUCCESS:
            break;
        case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE: {
            bump(counters_.stun_requests);
            size_t n = codec_.unknown_attributes_error(out, msg);
            if (n != 0) {
                bump(counters_.error_responses);
            }
            return n;
        }
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
    switch (stun_message_get_class(&msg)) {
        case STUN_REQUEST:
            bump(counters_.stun_requests);
            return handle_request(msg, packet, link, out);
        case STUN_INDICATION:
            handle_indication(msg, packet, link);
            return 0;
        default:
            return 0;  // responses are for clients, not for us
    }
}

size_t StunServer::handle_request(const StunMessage& msg, std::span<const uint8_t> packet,
                                  const ClientLink& link, std::span<uint8_t> out) {
    const uint16_t method = StunCodec::method_of(msg);
    if (method == STUN_BINDING) {
        size_t n = answer_binding(codec_, msg, link.client, out);
        if (n != 0) {
            bump(counters_.binding_responses);
        }
        return n;
    }
    bool turn_method = method == STUN_ALLOCATE || method == STUN_REFRESH ||
                       method == STUN_CREATEPERMISSION || method == STUN_CHANNELBIND;
    if (worker_ == nullptr || !turn_method || StunCodec::is_classic(msg)) {
        return error(msg, out, 400);
    }

    TurnState& turn = worker_->turn();
    AuthOutcome auth = authenticate(packet, *turn.settings, turn.shared.nonces,
                                    IpAddress(link.client), worker_->wall_now());
    switch (auth.kind) {
        case AuthOutcome::Kind::ok:
            break;
        case AuthOutcome::Kind::challenge:
            return challenge(msg, out, 401, link);
        case AuthOutcome::Kind::stale_nonce:
            return challenge(msg, out, 438, link);
        case AuthOutcome::Kind::unauthorized:
            bump(counters_.auth_failures);
            return challenge(msg, out, 401, link);
        case AuthOutcome::Kind::bad_request:
            bump(counters_.auth_failures);
            return error(msg, out, 400);
    }

    if (method == STUN_ALLOCATE) {
        return allocate(msg, packet, link, auth, out);
    }
    if (method == STUN_REFRESH) {
        return refresh(msg, packet, link, auth, out);
    }
    Allocation* allocation = turn.find(FiveTuple::of(link));
    if (allocation == nullptr) {
        return error(msg, out, 437, &auth);
    }
    if (allocation->username() != auth.username) {
        return error(msg, out, 441, &auth);
    }
    if (method == STUN_CREATEPERMISSION) {
        return create_permission(msg, packet, *allocation, auth, out);
    }
    return channel_bind(msg, packet, *allocation, auth, out);
}

void StunServer::handle_indication(const StunMessage& msg, std::span<const uint8_t> packet,
                                   const ClientLink& link) {
    // Binding indications are keepalives and need nothing; Send is the one
    // indication a TURN server acts on.
    if (worker_ == nullptr || StunCodec::method_of(msg) != STUN_IND_SEND ||
        StunCodec::is_classic(msg)) {
        return;
    }
    Allocation* allocation = worker_->turn().find(FiveTuple::of(link));
    if (allocation == nullptr) {
        bump(counters_.dropped_no_allocation);
        return;
    }
    send_indication(packet, *allocation);
}

void StunServer::handle_channel_data(std::span<const uint8_t> packet, const ClientLink& link) {
    if (worker_ == nullptr || packet.size() < channel_data::header_size) {
        bump(counters_.dropped_malformed);
        return;
    }
    Allocation* allocation = worker_->turn().find(FiveTuple::of(link));
    if (allocation == nullptr) {
        bump(counters_.dropped_no_allocation);
        return;
    }
    uint16_t length = channel_data::length(packet);
    const ChannelBinding* channel = allocation->channel(channel_data::number(packet));
    if (channel == nullptr || channel_data::header_size + length > packet.size()) {
        bump(counters_.dropped_malformed);
        return;
    }
    allocation->send_to_peer(channel->peer, packet.subspan(channel_data::header_size, length),
                             worker_->outbox(), worker_->now());
}

size_t StunServer::error(const StunMessage& msg, std::span<uint8_t> out, int code,
                         const AuthOutcome* auth) {
    spdlog::debug("relay: error {} for method {:#x}", code, StunCodec::method_of(msg));
    StunWriter response = codec_.start_error(out, msg, code);
    size_t length = StunCodec::finish(
        response, auth != nullptr && auth->key() ? &auth->key()->integrity : nullptr);
    if (length != 0) {
        bump(counters_.error_responses);
    }
    return length;
}

size_t StunServer::challenge(const StunMessage& msg, std::span<uint8_t> out, int code,
                             const ClientLink& link) {
    StunWriter response = codec_.start_error(out, msg, code);
    TurnState& turn = worker_->turn();
    NonceText nonce = turn.shared.nonces.issue(worker_->wall_now(), IpAddress(link.client));
    response.append(STUN_ATTRIBUTE_REALM, std::string_view(turn.settings->realm));
    response.append(STUN_ATTRIBUTE_NONCE, nonce.view());
    size_t length = StunCodec::finish(response);
    if (length != 0) {
        bump(counters_.error_responses);
    }
    return length;
}

size_t StunServer::success(StunWriter& response, const AuthOutcome& auth) {
    return StunCodec::finish(response, auth.key() ? &auth.key()->integrity : nullptr);
}

size_t StunServer::empty_success(const StunMessage& msg, std::span<uint8_t> out,
                                 const AuthOutcome& auth) {
    StunWriter response = codec_.start_response(out, msg);
    return success(response, auth);
}

}  // namespace turnpike::relay
