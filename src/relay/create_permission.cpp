// CreatePermission (RFC 8656 section 10): which peer IP addresses may send
// to and receive from the relayed address.
#include <vector>

#include "relay/allocation.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/stun_server.hpp"
#include "relay/turn_state.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

namespace {

constexpr uint16_t attribute_xor_peer_address = 0x0012;

}  // namespace

size_t StunServer::create_permission(const StunMessage& msg, std::span<const uint8_t> packet,
                                     Allocation& allocation, const AuthOutcome& auth,
                                     std::span<uint8_t> out) {
    const TurnSettings& s = *worker_->turn().settings;
    // All or nothing: check every peer before installing any.
    std::vector<IpAddress> peers;
    int code = 0;
    for_each_attribute(packet, [&](const AttributeView& a) {
        if (a.type == STUN_ATTRIBUTE_MESSAGE_INTEGRITY) {
            return false;
        }
        if (a.type != attribute_xor_peer_address) {
            return true;
        }
        auto peer = decode_xor_address(a.value, packet);
        if (!peer) {
            code = 400;
        } else if (peer->family() != allocation.relayed().family()) {
            code = 443;
        } else if (!s.policy.permits(IpAddress(*peer))) {
            bump(counters_.peer_denied);
            code = 403;
        } else {
            peers.emplace_back(*peer);
        }
        return code == 0;
    });
    if (code == 0 && peers.empty()) {
        code = 400;
    }
    if (code != 0) {
        return error(msg, out, code, &auth);
    }
    unsigned max = s.quotas.max_permissions;
    if (max != 0 && allocation.permission_count() + allocation.new_permissions(peers) > max) {
        return error(msg, out, 508, &auth);
    }
    Clock::time_point now = worker_->now();
    for (const auto& peer : peers) {
        allocation.install_permission(peer, now, max);
    }
    return empty_success(msg, out, auth);
}

}  // namespace turnpike::relay
