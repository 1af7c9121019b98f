#include "relay/outbox.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace turnpike::relay {

void Outbox::add(int fd, const void* data, size_t size, const sockaddr* name, socklen_t name_length,
                 const void* control, size_t control_length) {
    if (full()) {
        flush();
    }
    unsigned i = count_++;
    fds_[i] = fd;
    iov_[i] = {const_cast<void*>(data), size};
    msghdr& h = headers_[i].msg_hdr;
    std::memcpy(&names_[i], name, std::min<size_t>(name_length, sizeof(sockaddr_storage)));
    h.msg_name = &names_[i];
    h.msg_namelen = name_length;
    h.msg_iov = &iov_[i];
    h.msg_iovlen = 1;
    h.msg_control = nullptr;
    h.msg_controllen = 0;
    if (control != nullptr && control_length <= UdpBatch::control_bytes) {
        std::memcpy(control_[i].data(), control, control_length);
        h.msg_control = control_[i].data();
        h.msg_controllen = control_length;
    }
    h.msg_flags = 0;
}

void Outbox::flush() {
    unsigned first = 0;
    while (first < count_) {
        unsigned end = first + 1;
        while (end < count_ && fds_[end] == fds_[first]) {
            ++end;
        }
        send_run(first, end - first);
        first = end;
    }
    count_ = 0;
}

void Outbox::send_run(unsigned first, unsigned count) {
    unsigned sent = 0;
    while (sent < count) {
        int n = sendmmsg(fds_[first], headers_.data() + first + sent, count - sent, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            // A full buffer or an unreachable destination: UDP may lose this
            // one; skip it and send the rest.
            bump(counters_.dropped_send_failed);
            ++sent;
            continue;
        }
        for (int i = 0; i < n; ++i) {
            bump(counters_.udp_datagrams_out);
            bump(counters_.bytes_out, iov_[first + sent + i].iov_len);
        }
        sent += static_cast<unsigned>(n);
    }
}

}  // namespace turnpike::relay
