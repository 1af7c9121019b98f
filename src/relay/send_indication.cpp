// Send indication (RFC 8656 section 11.4): data from the client for one peer,
// without a channel. Unauthenticated, so it needs an existing permission.
#include "relay/allocation.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/stun_server.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

void StunServer::send_indication(std::span<const uint8_t> packet, Allocation& allocation) {
    std::optional<SocketAddress> peer;
    std::optional<std::span<const uint8_t>> data;
    for_each_attribute(packet, [&](const AttributeView& a) {
        if (a.type == 0x0012 /* XOR-PEER-ADDRESS */) {
            peer = decode_xor_address(a.value, packet);
        } else if (a.type == STUN_ATTRIBUTE_DATA) {
            data = a.value;
        }
        return true;
    });
    if (!peer || !data) {
        bump(counters_.dropped_malformed);
        return;
    }
    allocation.send_to_peer(*peer, *data, worker_->outbox(), worker_->now());
}

}  // namespace turnpike::relay
