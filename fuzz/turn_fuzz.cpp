// libFuzzer target: datagrams from four clients into one relay worker
// (fuzz_worker.hpp has the worker and the input's record format). Signed
// records get past authentication into Allocate, Refresh, CreatePermission,
// ChannelBind and Send with arbitrary attributes, and ChannelData reaches the
// channels they bound.
//
// Aborts on a crash, a sanitizer report, an answer longer than its buffer, or
// state that no longer adds up (FuzzWorker::check_state).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz_worker.hpp"
#include "relay/channel_data.hpp"
#include "relay/udp_batch.hpp"

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
        const relay::ClientLink link = fuzz::client(record->flags & 0x03);
        std::vector<uint8_t> packet =
            fuzz::packet_of(*record, index, transaction, server.shared, link);
        if (relay::channel_data::looks_like(packet)) {
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
