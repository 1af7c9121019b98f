#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/address.hpp"
#include "relay/counters.hpp"
#include "relay/stun_codec.hpp"

namespace turnpike::relay {

// Answers STUN messages for one worker. It owns no sockets: the worker hands
// it a received message and a buffer for the answer, so UDP batches and TCP
// streams share one code path.
class StunServer {
  public:
    StunServer(std::string software, WorkerCounters& counters);

    // Returns the length of the answer written to `out`; 0 means send nothing
    // (not STUN, an indication, a response, or a message to drop silently).
    size_t handle(std::span<const uint8_t> packet, const SocketAddress& from,
                  std::span<uint8_t> out);

  private:
    StunCodec codec_;
    WorkerCounters& counters_;
};

// RFC 8489 section 7.3.1: a Binding success response carrying the source
// address the request came from.
size_t answer_binding(StunCodec& codec, const StunMessage& request, const SocketAddress& from,
                      std::span<uint8_t> out);

}  // namespace turnpike::relay
