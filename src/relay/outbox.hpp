#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>

#include "relay/counters.hpp"
#include "relay/udp_batch.hpp"

namespace turnpike::relay {

// Datagrams waiting to leave. The payload is not copied: it must outlive the
// flush (a receive slot or an answer slot). The destination and control data
// are copied, since they often live in a caller's stack frame.
//
// Datagrams from one socket to one destination are coalesced into one UDP GSO
// send (UDP_SEGMENT) where their sizes allow: all of one size, the last one
// possibly smaller. The kernel then walks its send path once per group
// instead of once per datagram, which is most of what relaying a packet costs;
// the datagrams still arrive one by one, byte for byte as they were added and
// in the order they were added. Groups for the same socket go out in one
// sendmmsg. Datagrams for different destinations may leave in another order
// than they were added; UDP promises no order between them anyway.
class Outbox {
  public:
    static constexpr unsigned capacity = UdpBatch::size * 2;
    // The kernel's UDP_MAX_SEGMENTS.
    static constexpr unsigned max_segments = 64;
    // Larger datagrams go alone: above a common path MTU a GSO send fails
    // (EINVAL) where a plain one would be fragmented, and media stays below it.
    static constexpr size_t max_segment_bytes = 1452;
    // A GSO send is one UDP datagram to the stack: its payload stays below
    // 64 KiB less the headers.
    static constexpr size_t max_group_bytes = 65000;

    // `segmentation` off sends every datagram on its own (the kernel lacks
    // UDP_SEGMENT, or the operator switched it off).
    explicit Outbox(WorkerCounters& counters, bool segmentation = true)
        : counters_(counters), segmentation_(segmentation) {}

    bool full() const { return count_ == capacity; }
    bool segmenting() const { return segmentation_; }

    // `control` may be null. `may_fragment`: `fd` is an IPv4 socket in
    // IP_PMTUDISC_DO for speed only (sockets.hpp, set_df_for_speed), so a
    // datagram above its route's MTU is sent again with fragmentation
    // allowed, as a socket in the kernel's default mode would have sent it.
    // Not for a socket whose DF the client asked for (DONT-FRAGMENT).
    void add(int fd, const void* data, size_t size, const sockaddr* name, socklen_t name_length,
             const void* control = nullptr, size_t control_length = 0, bool may_fragment = false);
    void flush();

  private:
    // Room for a copied IP_PKTINFO/IPV6_PKTINFO and the UDP_SEGMENT message.
    static constexpr size_t group_control_bytes =
        UdpBatch::control_bytes + CMSG_SPACE(sizeof(uint16_t));

    struct Group {
        uint64_t key;  // destination_key(): compared before the name itself
        int fd;
        socklen_t name_length;
        size_t control_length;  // the caller's control data, before UDP_SEGMENT
        size_t segment;         // the size of every datagram but the last
        size_t bytes;
        unsigned count;
        unsigned first_slot;  // where its datagrams start in slots_, once laid out
        bool closed;          // nothing may join: a smaller one came last, or it is too large
        bool may_fragment;    // the same for every datagram of one socket
        sockaddr_storage name;
        alignas(cmsghdr) std::array<uint8_t, group_control_bytes> control;
    };

    Group* group_for(uint64_t key, int fd, size_t size, const sockaddr* name, socklen_t name_length,
                     const void* control, size_t control_length);
    Group& open_group(uint64_t key, int fd, size_t size, const sockaddr* name,
                      socklen_t name_length, const void* control, size_t control_length);
    void lay_out();
    void send_run(unsigned first, unsigned count);
    void send_alone(const Group& group);
    bool send_fragmenting(int fd, const msghdr& h);
    void count_sent(const Group& group);

    WorkerCounters& counters_;
    bool segmentation_;
    // In the order added: each datagram and the group it joined.
    std::array<iovec, capacity> datagrams_{};
    std::array<uint16_t, capacity> group_of_{};
    std::array<Group, capacity> groups_{};
    // At flush: each group's datagrams side by side, one header per group.
    std::array<iovec, capacity> slots_{};
    std::array<mmsghdr, capacity> headers_{};
    unsigned count_ = 0;
    unsigned group_count_ = 0;
};

}  // namespace turnpike::relay
