// libFuzzer target: arbitrary bytes into StunServer::handle, as if received
// on UDP from one client, with no relay worker behind it (the STUN server
// alone: Binding, and 400 for the TURN methods). Crashes, sanitizer reports
// and broken invariants (an answer longer than its buffer, or an answer to
// something that cannot be a STUN request) abort.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/address.hpp"
#include "relay/client_link.hpp"
#include "relay/counters.hpp"
#include "relay/stun_server.hpp"

namespace {

constexpr size_t header_size = 20;

bool could_be_request(std::span<const uint8_t> packet) {
    return packet.size() >= header_size && (packet[0] & 0xc0) == 0 && (packet[1] & 0x10) == 0 &&
           (packet[0] & 0x01) == 0;
}

turnpike::relay::ClientLink client() {
    turnpike::relay::ClientLink link;
    link.client = *turnpike::SocketAddress::parse("198.51.100.7:54321");
    link.local = *turnpike::SocketAddress::parse("192.0.2.1:3478");
    link.udp_fd = -1;
    link.tcp = nullptr;
    return link;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static turnpike::relay::WorkerCounters counters;
    static turnpike::relay::StunServer server("turnpike fuzz", counters);
    static const turnpike::relay::ClientLink from = client();
    std::array<uint8_t, 4096> out;

    const std::span<const uint8_t> packet(data, size);
    const size_t answer = server.handle(packet, from, out);
    if (answer > out.size() || (answer != 0 && !could_be_request(packet))) {
        std::abort();
    }
    return 0;
}
