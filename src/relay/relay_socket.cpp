#include "relay/relay_socket.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>

#include "relay/sockets.hpp"
#include "relay/worker.hpp"

namespace turnpike::relay {

RelaySocket::RelaySocket(Worker& worker, UniqueFd fd, const SocketAddress& bound)
    : worker_(worker), fd_(std::move(fd)), bound_(bound) {
    set_df_for_speed(fd_.get(), bound_);
    worker_.watch(fd_.get(), EPOLLIN, this);
}

void RelaySocket::on_events(uint32_t events) {
    if (owner_ != nullptr) {
        owner_->on_events(events);
    } else {
        drain();
    }
}

// Nobody owns the address: what a former allocation's peers still send is
// read and counted as dropped. A bounded number per wakeup, so one busy
// pooled socket cannot hold the worker; epoll reports it again if more wait.
void RelaySocket::drain() {
    std::array<uint8_t, 64> sink{};
    for (int i = 0; i < 64; ++i) {
        if (::recv(fd_.get(), sink.data(), sink.size(), MSG_DONTWAIT | MSG_TRUNC) < 0) {
            return;
        }
        bump(worker_.mutable_counters().dropped_no_allocation);
    }
}

}  // namespace turnpike::relay
