// libFuzzer target: one client's TCP stream into a relay worker
// (fuzz_worker.hpp has the worker and the record format): STUN messages and
// ChannelData framed back to back, signed or not, split across reads and
// joined (flag 0x20), through TcpConnection's framing into the same request
// handling as UDP. The stream is one end of a socketpair; the target reads
// the answers off the other.
//
// Aborts on a crash, a sanitizer report, or state that no longer adds up
// (FuzzWorker::check_state).

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/unique_fd.hpp"
#include "fuzz_worker.hpp"
#include "relay/tcp_connection.hpp"

namespace {

// Everything the server has answered so far, read and dropped, so its
// writes never back up.
void drain(int fd) {
    std::array<uint8_t, 4096> sink;
    while (::recv(fd, sink.data(), sink.size(), 0) > 0) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace turnpike;
    fuzz::FuzzWorker server;
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) != 0) {
        std::abort();
    }
    UniqueFd ours(ends[0]);
    const relay::ClientLink link = fuzz::client(0);
    auto owned = std::make_unique<relay::TcpConnection>(
        server.worker, UniqueFd(ends[1]), link.client, link.local,
        *server.shared.tcp_sources.acquire(IpAddress(link.client), 0));
    relay::TcpConnection* stream = owned.get();
    server.worker.adopt(std::move(owned));  // the worker owns it from here

    std::array<uint8_t, 12> transaction{};
    std::vector<uint8_t> held;
    std::span<const uint8_t> input(data, size);
    for (size_t index = 0; index < fuzz::max_records && !stream->closed(); ++index) {
        auto record = fuzz::next_record(input);
        if (!record) {
            break;
        }
        if (server.housekeeping(*record)) {
            continue;
        }
        std::vector<uint8_t> packet =
            fuzz::packet_of(*record, index, transaction, server.shared, link);
        held.insert(held.end(), packet.begin(), packet.end());
        if ((record->flags & 0x20) != 0) {
            continue;
        }
        // The socket buffer takes at least what one record can carry; a
        // stream that holds more than that unread has been closed anyway.
        size_t sent = 0;
        while (sent < held.size() && !stream->closed()) {
            ssize_t n = ::send(ours.get(), held.data() + sent, held.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) {
                break;
            }
            sent += static_cast<size_t>(n);
            stream->on_events(EPOLLIN);
            drain(ours.get());
        }
        held.clear();
        server.check_state();
    }
    return 0;
}
