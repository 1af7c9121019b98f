#include "relay/stun_server.hpp"

namespace turnpike::relay {

size_t answer_binding(StunCodec& codec, const StunMessage& request, const SocketAddress& from,
                      std::span<uint8_t> out) {
    StunMessage response;
    if (!codec.start_response(response, out, request) ||
        !StunCodec::append_mapped_address(response, from)) {
        return 0;
    }
    return codec.finish(response);
}

}  // namespace turnpike::relay
