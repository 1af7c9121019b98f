#include "relay/stun_server.hpp"

namespace turnpike::relay {

size_t answer_binding(StunCodec& codec, const StunMessage& request, const SocketAddress& from,
                      std::span<uint8_t> out) {
    StunWriter response = codec.start_response(out, request);
    StunCodec::append_mapped_address(response, from);
    return StunCodec::finish(response);
}

}  // namespace turnpike::relay
