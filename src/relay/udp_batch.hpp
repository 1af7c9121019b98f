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

    // One recvmmsg into the slots, each datagram landing `headroom` bytes into
    // its slot (room for a header to be written in front of it). Every reader
    // goes through here, so none depends on how the last one left the slots;
    // only the slots the last read filled are reset, since the kernel touches
    // no others (resetting all of them cost a quarter of the relay's
    // instructions when datagrams arrive a few at a time).
    int receive(int fd, bool with_control, size_t headroom) {
        unsigned reset = (with_control != control_ || headroom != headroom_) ? size : dirty_;
        control_ = with_control;
        headroom_ = headroom;
        for (unsigned i = 0; i < reset; ++i) {
            auto& h = headers[i].msg_hdr;
            h.msg_namelen = sizeof(sockaddr_storage);
            // 4 bytes spare behind the payload for TCP padding when there is headroom.
            iov[i] = {data[i].data() + headroom, slot_bytes - headroom - (headroom ? 4 : 0)};
            h.msg_control = with_control ? control[i].data() : nullptr;
            h.msg_controllen = with_control ? control_bytes : 0;
            h.msg_flags = 0;
        }
        int received = recvmmsg(fd, headers.data(), size, MSG_DONTWAIT, nullptr);
        dirty_ = received > 0 ? static_cast<unsigned>(received) : 0;
        return received;
    }

  private:
    bool control_ = false;
    size_t headroom_ = 0;
    unsigned dirty_ = size;  // every slot needs setting up before the first read
};

}  // namespace turnpike::relay
