// ChannelBind (RFC 8656 section 11): a channel number for one peer transport
// address; it installs or refreshes the permission for that peer too.
#include "relay/allocation.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/stun_server.hpp"
#include "relay/turn_state.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

size_t StunServer::channel_bind(const StunMessage& msg, std::span<const uint8_t> packet,
                                Allocation& allocation, const AuthOutcome& auth,
                                std::span<uint8_t> out) {
    const TurnSettings& s = *worker_->turn().settings;
    std::optional<uint16_t> number;
    std::optional<SocketAddress> peer;
    bool malformed = false;
    for_each_attribute(packet, [&](const AttributeView& a) {
        if (a.type == STUN_ATTRIBUTE_CHANNEL_NUMBER) {
            a.value.size() == 4
                ? void(number = static_cast<uint16_t>((a.value[0] << 8) | a.value[1]))
                : void(malformed = true);
        } else if (a.type == 0x0012 /* XOR-PEER-ADDRESS */) {
            peer = decode_xor_address(a.value, packet);
            malformed = malformed || !peer;
        }
        return a.type != STUN_ATTRIBUTE_MESSAGE_INTEGRITY;
    });
    if (malformed || !number || !peer || !ChannelBinding::valid_number(*number)) {
        return error(msg, out, 400, &auth);
    }
    if (peer->family() != allocation.relayed().family()) {
        return error(msg, out, 443, &auth);
    }
    if (!s.policy.permits(IpAddress(*peer))) {
        bump(counters_.peer_denied);
        return error(msg, out, 403, &auth);
    }
    // The permission must fit before the channel is bound: a 508 leaves
    // neither behind.
    const IpAddress peer_ip(*peer);
    const unsigned max_permissions = s.quotas.max_permissions;
    if (max_permissions != 0 &&
        allocation.permission_count() + allocation.new_permissions({&peer_ip, 1}) >
            max_permissions) {
        return error(msg, out, 508, &auth);
    }
    Clock::time_point now = worker_->now();
    switch (allocation.bind_channel(*number, *peer, now, s.quotas.max_channels)) {
        case Allocation::BindResult::conflict:
            return error(msg, out, 400, &auth);
        case Allocation::BindResult::full:
            return error(msg, out, 508, &auth);
        case Allocation::BindResult::bound:
        case Allocation::BindResult::refreshed:
            break;
    }
    allocation.install_permission(peer_ip, now, max_permissions);
    return empty_success(msg, out, auth);
}

}  // namespace turnpike::relay
