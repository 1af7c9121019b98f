#include "relay/outbox.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include <spdlog/spdlog.h>

namespace turnpike::relay {

namespace {

// How far back a datagram looks for its flow's group. A batch interleaves
// few flows closely, and the search must stay short: it runs per datagram.
constexpr unsigned group_search_depth = 16;

// A cheap first test of "same destination": family, port and the IPv4
// address, or the low half of an IPv6 one. Equal keys are confirmed in full.
uint64_t destination_key(const sockaddr* name, socklen_t name_length) {
    uint64_t key = 0;
    const auto* bytes = reinterpret_cast<const uint8_t*>(name);
    std::memcpy(&key, bytes, std::min<size_t>(name_length, sizeof(key)));
    if (name_length >= sizeof(sockaddr_in6)) {
        uint64_t low = 0;
        std::memcpy(&low, bytes + offsetof(sockaddr_in6, sin6_addr) + 8, sizeof(low));
        key ^= low;
    }
    return key;
}

}  // namespace

void Outbox::add(int fd, const void* data, size_t size, const sockaddr* name, socklen_t name_length,
                 const void* control, size_t control_length, bool may_fragment) {
    if (full()) {
        flush();
    }
    name_length = std::min<socklen_t>(name_length, sizeof(sockaddr_storage));
    if (control == nullptr || control_length > UdpBatch::control_bytes) {
        control_length = 0;
    }
    uint64_t key = destination_key(name, name_length);
    Group* group = group_for(key, fd, size, name, name_length, control, control_length);
    if (group == nullptr) {
        group = &open_group(key, fd, size, name, name_length, control, control_length);
        group->may_fragment = may_fragment;
    } else if (size < group->segment) {
        group->closed = true;
    }
    ++group->count;
    group->bytes += size;
    datagrams_[count_] = {const_cast<void*>(data), size};
    group_of_[count_] = static_cast<uint16_t>(group - groups_.data());
    ++count_;
}

// The latest group of this flow, if the datagram may join it.
Outbox::Group* Outbox::group_for(uint64_t key, int fd, size_t size, const sockaddr* name,
                                 socklen_t name_length, const void* control,
                                 size_t control_length) {
    if (!segmentation_) {
        return nullptr;
    }
    unsigned stop = group_count_ > group_search_depth ? group_count_ - group_search_depth : 0;
    for (unsigned g = group_count_; g-- > stop;) {
        Group& group = groups_[g];
        if (group.key != key || group.fd != fd || group.name_length != name_length ||
            group.control_length != control_length ||
            std::memcmp(&group.name, name, name_length) != 0 ||
            (control_length != 0 &&  // no control: `control` may be null
             std::memcmp(group.control.data(), control, control_length) != 0)) {
            continue;
        }
        bool fits = !group.closed && group.count < max_segments && size <= group.segment &&
                    group.bytes + size <= max_group_bytes;
        return fits ? &group : nullptr;
    }
    return nullptr;
}

Outbox::Group& Outbox::open_group(uint64_t key, int fd, size_t size, const sockaddr* name,
                                  socklen_t name_length, const void* control,
                                  size_t control_length) {
    Group& group = groups_[group_count_++];
    group.key = key;
    group.fd = fd;
    group.name_length = name_length;
    group.control_length = control_length;
    group.segment = size;
    group.bytes = 0;
    group.count = 0;
    group.closed = size > max_segment_bytes;  // too large to share a send
    std::memcpy(&group.name, name, name_length);
    if (control_length != 0) {
        std::memcpy(group.control.data(), control, control_length);
    }
    return group;
}

void Outbox::flush() {
    if (count_ == 0) {
        return;
    }
    lay_out();
    unsigned first = 0;
    while (first < group_count_) {
        unsigned end = first + 1;
        while (end < group_count_ && groups_[end].fd == groups_[first].fd) {
            ++end;
        }
        send_run(first, end - first);
        first = end;
    }
    count_ = 0;
    group_count_ = 0;
}

// Puts each group's datagrams side by side in slots_ (a GSO send takes them
// as one iovec array) and writes one header per group.
void Outbox::lay_out() {
    std::array<unsigned, capacity> filled;
    unsigned next = 0;
    for (unsigned g = 0; g < group_count_; ++g) {
        groups_[g].first_slot = next;
        filled[g] = next;
        next += groups_[g].count;
    }
    for (unsigned i = 0; i < count_; ++i) {
        slots_[filled[group_of_[i]]++] = datagrams_[i];
    }
    for (unsigned g = 0; g < group_count_; ++g) {
        Group& group = groups_[g];
        msghdr& h = headers_[g].msg_hdr;
        h.msg_name = &group.name;
        h.msg_namelen = group.name_length;
        h.msg_iov = &slots_[group.first_slot];
        h.msg_iovlen = group.count;
        h.msg_flags = 0;
        size_t control_length = group.control_length;
        if (group.count > 1) {
            control_length = CMSG_ALIGN(control_length);  // where the next message may start
            auto* c = reinterpret_cast<cmsghdr*>(group.control.data() + control_length);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            auto segment = static_cast<uint16_t>(group.segment);
            std::memcpy(CMSG_DATA(c), &segment, sizeof(segment));
            control_length += CMSG_SPACE(sizeof(uint16_t));
        }
        h.msg_control = control_length != 0 ? group.control.data() : nullptr;
        h.msg_controllen = control_length;
    }
}

void Outbox::send_run(unsigned first, unsigned count) {
    unsigned sent = 0;
    while (sent < count) {
        const Group& group = groups_[first + sent];
        int n = sendmmsg(group.fd, headers_.data() + first + sent, count - sent, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EMSGSIZE && group.may_fragment) {
                send_alone(group);
                ++sent;
                continue;
            }
            if (group.count > 1 && (errno == EIO || errno == EINVAL)) {
                // The route refused segmentation (EIO: no checksum offload,
                // e.g. IPsec; EINVAL: a segment above its MTU). Send the
                // datagrams as they came; after EIO, never segment again.
                if (errno == EIO && segmentation_) {
                    segmentation_ = false;
                    spdlog::warn(
                        "relay: UDP segmentation refused by the kernel; sending "
                        "datagrams one by one from now on");
                }
                send_alone(group);
                ++sent;
                continue;
            }
            // A full buffer or an unreachable destination: UDP may lose
            // these; skip them and send the rest.
            bump(counters_.dropped_send_failed, group.count);
            ++sent;
            continue;
        }
        for (int i = 0; i < n; ++i) {
            count_sent(groups_[first + sent + static_cast<unsigned>(i)]);
        }
        sent += static_cast<unsigned>(n);
    }
}

void Outbox::send_alone(const Group& group) {
    for (unsigned i = 0; i < group.count; ++i) {
        msghdr h{};
        h.msg_name = const_cast<sockaddr_storage*>(&group.name);
        h.msg_namelen = group.name_length;
        h.msg_iov = &slots_[group.first_slot + i];
        h.msg_iovlen = 1;
        if (group.control_length != 0) {
            h.msg_control = const_cast<uint8_t*>(group.control.data());
            h.msg_controllen = group.control_length;
        }
        if (sendmsg(group.fd, &h, MSG_DONTWAIT) < 0 &&
            !(errno == EMSGSIZE && group.may_fragment && send_fragmenting(group.fd, h))) {
            bump(counters_.dropped_send_failed);
            continue;
        }
        bump(counters_.udp_datagrams_out);
        bump(counters_.bytes_out, slots_[group.first_slot + i].iov_len);
    }
}

// Rare (a datagram above the route's MTU), so two setsockopt calls are cheap
// enough; the socket is this worker's alone, so nothing else sends meanwhile.
bool Outbox::send_fragmenting(int fd, const msghdr& h) {
    int mode = IP_PMTUDISC_WANT;
    if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof(mode)) != 0) {
        return false;
    }
    bool sent = sendmsg(fd, &h, MSG_DONTWAIT) >= 0;
    int error = errno;
    mode = IP_PMTUDISC_DO;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof(mode));
    if (sent) {
        bump(counters_.udp_datagrams_fragmented);
    }
    errno = error;
    return sent;
}

void Outbox::count_sent(const Group& group) {
    bump(counters_.udp_datagrams_out, group.count);
    bump(counters_.bytes_out, group.bytes);
    if (group.count > 1) {
        bump(counters_.udp_segmented_sends);
        bump(counters_.udp_datagrams_segmented, group.count);
    }
}

}  // namespace turnpike::relay
