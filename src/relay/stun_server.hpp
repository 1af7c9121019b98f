#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/address.hpp"
#include "relay/client_link.hpp"
#include "relay/counters.hpp"
#include "relay/stun_codec.hpp"
#include "relay/turn_auth.hpp"

namespace turnpike::relay {

class Allocation;
class Worker;
struct TurnState;

// Answers STUN and TURN messages for one worker. It owns no sockets: the
// worker hands it a received message and a buffer for the answer, so UDP
// batches and TCP streams share one code path. Without a worker (unit tests
// of plain STUN) it serves Binding only.
class StunServer {
  public:
    StunServer(std::string software, WorkerCounters& counters, Worker* worker = nullptr);

    // Returns the length of the answer written to `out`; 0 means send nothing
    // (not STUN, an indication, a response, or a message to drop silently).
    size_t handle(std::span<const uint8_t> packet, const ClientLink& link, std::span<uint8_t> out);
    size_t handle(std::span<const uint8_t> packet, const SocketAddress& from,
                  std::span<uint8_t> out) {
        ClientLink link;
        link.client = from;
        return handle(packet, link, out);
    }

    // ChannelData from a client (RFC 8656 section 12.5): relayed to the
    // channel's peer, or dropped.
    void handle_channel_data(std::span<const uint8_t> packet, const ClientLink& link);

  private:
    size_t handle_request(const StunMessage& msg, std::span<const uint8_t> packet,
                          const ClientLink& link, std::span<uint8_t> out);
    void handle_indication(const StunMessage& msg, std::span<const uint8_t> packet,
                           const ClientLink& link);

    // One per TURN method, each in the file of its name.
    size_t allocate(const StunMessage& msg, std::span<const uint8_t> packet, const ClientLink& link,
                    const AuthOutcome& auth, std::span<uint8_t> out);
    size_t refresh(const StunMessage& msg, std::span<const uint8_t> packet, const ClientLink& link,
                   const AuthOutcome& auth, std::span<uint8_t> out);
    size_t create_permission(const StunMessage& msg, std::span<const uint8_t> packet,
                             Allocation& allocation, const AuthOutcome& auth,
                             std::span<uint8_t> out);
    size_t channel_bind(const StunMessage& msg, std::span<const uint8_t> packet,
                        Allocation& allocation, const AuthOutcome& auth, std::span<uint8_t> out);
    void send_indication(std::span<const uint8_t> packet, Allocation& allocation);

    size_t error(const StunMessage& msg, std::span<uint8_t> out, int code,
                 const AuthOutcome* auth = nullptr);
    size_t challenge(const StunMessage& msg, std::span<uint8_t> out, int code,
                     const ClientLink& link);
    size_t success(StunWriter& response, const AuthOutcome& auth);
    // A success response with no attributes but MESSAGE-INTEGRITY and FINGERPRINT.
    size_t empty_success(const StunMessage& msg, std::span<uint8_t> out, const AuthOutcome& auth);

    StunCodec codec_;
    WorkerCounters& counters_;
    Worker* worker_;
};

// RFC 8489 section 7.3.1: a Binding success response carrying the source
// address the request came from.
size_t answer_binding(StunCodec& codec, const StunMessage& request, const SocketAddress& from,
                      std::span<uint8_t> out);

// The lifetime to grant for a requested one (RFC 8656 section 7.2): the
// default when none or less is asked, capped at the configured maximum.
std::chrono::seconds granted_lifetime(std::optional<uint32_t> requested,
                                      std::chrono::seconds maximum);

}  // namespace turnpike::relay
