#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace turnpike::relay {

// Preallocated buffers for one recvmmsg or sendmmsg call: nothing on the
// packet path allocates. A datagram larger than a slot arrives with MSG_TRUNC
// and is dropped; STUN over UDP and WebRTC media both stay far below it.
struct UdpBatch {
    static constexpr unsigned size = 64;
    static constexpr size_t slot_bytes = 4096;
    // Room for one IP_PKTINFO or IPV6_PKTINFO control message.
    static constexpr size_t control_bytes = CMSG_SPACE(sizeof(in6_pktinfo));

    std::array<mmsghdr, size> headers{};
    std::array<iovec, size> iov{};
    std::array<sockaddr_storage, size> addresses{};
    std::array<std::array<uint8_t, control_bytes>, size> control{};
    std::array<std::array<uint8_t, slot_bytes>, size> data{};

    UdpBatch() {
        for (unsigned i = 0; i < size; ++i) {
            iov[i] = {data[i].data(), slot_bytes};
            headers[i].msg_hdr.msg_iov = &iov[i];
            headers[i].msg_hdr.msg_iovlen = 1;
            headers[i].msg_hdr.msg_name = &addresses[i];
        }
    }

    // Readies every slot for recvmmsg (the kernel shrinks the lengths), each
    // datagram landing `headroom` bytes into its slot. Every reader calls
    // this, so no reader depends on how the last one left the slots.
    void prepare_receive(bool with_control, size_t headroom = 0) {
        for (unsigned i = 0; i < size; ++i) {
            auto& h = headers[i].msg_hdr;
            h.msg_namelen = sizeof(sockaddr_storage);
            // 4 bytes spare behind the payload for TCP padding when there is headroom.
            iov[i] = {data[i].data() + headroom, slot_bytes - headroom - (headroom ? 4 : 0)};
            h.msg_control = with_control ? control[i].data() : nullptr;
            h.msg_controllen = with_control ? control_bytes : 0;
            h.msg_flags = 0;
        }
    }
};

}  // namespace turnpike::relay
