// libFuzzer target: arbitrary bytes into StunServer::handle, as if received
// on UDP from one client, with no relay worker behind it (the STUN server
// alone: Binding, and 400 for the TURN methods). Crashes, sanitizer reports
// and broken invariants (an answer longer than its buffer, an answer to
// something that cannot be a STUN request, or an answer that is not itself a
// well-framed STUN response, with a good FINGERPRINT for RFC 8489) abort.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/address.hpp"
#include "relay/client_link.hpp"
#include "relay/counters.hpp"
#include "relay/fingerprint.hpp"
#include "relay/stun_attributes.hpp"
#include "relay/stun_framing.hpp"
#include "relay/stun_server.hpp"

namespace {

constexpr size_t header_size = 20;

constexpr uint16_t fingerprint_type = 0x8028;

// A response by its class bits, framed as STUN. (check_framing calls 0x0115,
// the error response to method 5, an indication, as libnice does; the class
// bits are read here directly.)
bool is_well_formed_answer(std::span<const uint8_t> answer) {
    const turnpike::relay::Framing framing = turnpike::relay::check_framing(answer);
    if (framing.status == STUN_VALIDATION_NOT_STUN ||
        framing.status == STUN_VALIDATION_INCOMPLETE_STUN || (answer[0] & 0x01) == 0) {
        return false;
    }
    if (!turnpike::relay::has_magic_cookie(answer)) {
        return framing.last_attribute_type != fingerprint_type;
    }
    return framing.last_attribute_type == fingerprint_type &&
           turnpike::relay::fingerprint_matches(answer);
}

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
    if (answer > out.size()) {
        std::abort();
    }
    if (answer != 0 &&
        (!could_be_request(packet) || !is_well_formed_answer(std::span(out).first(answer)))) {
        std::abort();
    }
    return 0;
}
