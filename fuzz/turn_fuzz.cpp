// libFuzzer target: datagrams from four clients into one relay worker
// (fuzz_worker.hpp has the worker and the input's record format). Signed
// records get past authentication into Allocate, Refresh, CreatePermission,
// ChannelBind and Send with arbitrary attributes, and ChannelData reaches the
// channels they bound. Peer records arrive at a relayed address for real,
// over UDP from 127.0.0.1, and go through the permission check and the
// wrapping into ChannelData or a Data indication on their way back.
//
// Aborts on a crash, a sanitizer report, an answer longer than its buffer, or
// state that no longer adds up (FuzzWorker::check_state).

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz_worker.hpp"
#include "relay/allocation.hpp"
#include "relay/channel_data.hpp"
#include "relay/udp_batch.hpp"

namespace {

// `packet` from the peer socket to the relayed address of the client's
// allocation, if it has one, and the allocation's turn to read it.
void from_peer(turnpike::fuzz::FuzzWorker& server, const turnpike::relay::ClientLink& link,
               std::span<const uint8_t> packet) {
    using namespace turnpike;
    relay::Allocation* allocation = server.worker.turn().find(relay::FiveTuple::of(link));
    if (allocation == nullptr) {
        return;
    }
    static const UniqueFd peer = fuzz::loopback_udp_socket();
    const SocketAddress& relayed = allocation->relayed();
    if (::sendto(peer.get(), packet.data(), packet.size(), 0, relayed.sockaddr_ptr(),
                 relayed.length()) < 0) {
        return;  // too large for a datagram, say
    }
    allocation->on_events(EPOLLIN);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace turnpike;
    fuzz::FuzzWorker server;
    std::array<uint8_t, relay::UdpBatch::slot_bytes> out{};
    std::array<uint8_t, 12> transaction{};

    std::span<const uint8_t> input(data, size);
    for (size_t index = 0; index < fuzz::max_records; ++index) {
        auto record = fuzz::next_record(input);
        if (!record) {
            break;
        }
        if (server.housekeeping(*record)) {
            continue;
        }
        const relay::ClientLink link =
            fuzz::client(record->flags & 0x03, server.client_socket.get());
        std::vector<uint8_t> packet =
            fuzz::packet_of(*record, index, transaction, server.shared, link);
        if ((record->flags & 0x20) != 0) {
            from_peer(server, link, packet);
        } else if (relay::channel_data::looks_like(packet)) {
            server.worker.stun().handle_channel_data(packet, link);
        } else if (server.worker.stun().handle(packet, link, out) > out.size()) {
            std::abort();
        }
        // What was relayed points into `packet`: out before it goes.
        server.worker.outbox().flush();
        server.check_state();
    }
    return 0;
}
