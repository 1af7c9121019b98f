#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>

#include "relay/counters.hpp"
#include "relay/udp_batch.hpp"

namespace turnpike::relay {

// Datagrams waiting to leave. The payload is not copied: it must outlive the
// flush (a receive slot or an answer slot). The destination and control data
// are copied, since they often live in a caller's stack frame. Consecutive
// datagrams for the same socket go out in one sendmmsg.
class Outbox {
  public:
    static constexpr unsigned capacity = UdpBatch::size * 2;

    explicit Outbox(WorkerCounters& counters) : counters_(counters) {}

    bool full() const { return count_ == capacity; }

    // `control` may be null.
    void add(int fd, const void* data, size_t size, const sockaddr* name, socklen_t name_length,
             const void* control = nullptr, size_t control_length = 0);
    void flush();

  private:
    void send_run(unsigned first, unsigned count);

    WorkerCounters& counters_;
    std::array<int, capacity> fds_{};
    std::array<mmsghdr, capacity> headers_{};
    std::array<iovec, capacity> iov_{};
    std::array<sockaddr_storage, capacity> names_{};
    std::array<std::array<uint8_t, UdpBatch::control_bytes>, capacity> control_{};
    unsigned count_ = 0;
};

}  // namespace turnpike::relay
