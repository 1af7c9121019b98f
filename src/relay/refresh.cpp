// Refresh (RFC 8656 section 8): extend an allocation, or delete it with a
// lifetime of zero.
#include "relay/allocation.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/stun_server.hpp"
#include "relay/turn_state.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

size_t StunServer::refresh(const StunMessage& msg, std::span<const uint8_t> packet,
                           const ClientLink& link, const AuthOutcome& auth,
                           std::span<uint8_t> out) {
    TurnState& turn = worker_->turn();
    FiveTuple tuple = FiveTuple::of(link);
    Allocation* allocation = turn.find(tuple);
    if (allocation == nullptr) {
        return error(msg, out, 437, &auth);
    }
    if (allocation->username() != auth.username) {
        return error(msg, out, 441, &auth);
    }
    std::optional<uint32_t> requested;
    bool malformed = false;
    std::optional<uint8_t> family;
    for_each_attribute(packet, [&](const AttributeView& a) {
        if (a.type == STUN_ATTRIBUTE_LIFETIME) {
            if (a.value.size() != 4) {
                malformed = true;
            } else {
                requested = (uint32_t{a.value[0]} << 24) | (uint32_t{a.value[1]} << 16) |
                            (uint32_t{a.value[2]} << 8) | a.value[3];
            }
        } else if (a.type == 0x0017 /* REQUESTED-ADDRESS-FAMILY */) {
            a.value.size() == 4 ? void(family = a.value[0]) : void(malformed = true);
        }
        return a.type != STUN_ATTRIBUTE_MESSAGE_INTEGRITY;
    });
    if (malformed) {
        return error(msg, out, 400, &auth);
    }
    int allocation_family = allocation->relayed().family();
    if (family && (*family == 0x01 ? AF_INET : AF_INET6) != allocation_family) {
        return error(msg, out, 443, &auth);
    }

    std::chrono::seconds lifetime{0};
    if (requested && *requested == 0) {
        turn.remove(tuple);
        drop(counters_.allocations_active);
    } else {
        lifetime = granted_lifetime(requested, turn.settings->quotas.max_lifetime);
        allocation->expires = worker_->now() + lifetime;
    }
    StunWriter response = codec_.start_response(out, msg);
    response.append_u32(STUN_ATTRIBUTE_LIFETIME, static_cast<uint32_t>(lifetime.count()));
    return success(response, auth);
}

}  // namespace turnpike::relay
