#pragma once

#include <cstdint>

#include "common/address.hpp"
#include "common/unique_fd.hpp"
#include "relay/event_source.hpp"

namespace turnpike::relay {

class Worker;

// A bound UDP socket that relays for one allocation at a time. It stays in
// the worker's epoll set for its whole life and passes its events to the
// allocation that owns it; between owners it sits in the worker's pool
// (relay_socket_pool.hpp), bound and watched, and drops what arrives. So an
// allocation is set up and torn down without socket, bind, epoll_ctl or close
// calls, and an epoll event already fetched for a socket whose allocation
// has just ended finds an object that is still there.
class RelaySocket final : public EventSource {
  public:
    // Registers `fd` with the worker's epoll set; closing it deregisters.
    RelaySocket(Worker& worker, UniqueFd fd, const SocketAddress& bound);
    RelaySocket(const RelaySocket&) = delete;
    RelaySocket& operator=(const RelaySocket&) = delete;

    int fd() const { return fd_.get(); }
    const SocketAddress& bound() const { return bound_; }

    void attach(EventSource* owner) { owner_ = owner; }
    bool attached() const { return owner_ != nullptr; }
    void on_events(uint32_t events) override;

    // Set once DONT-FRAGMENT changed the socket's path MTU discovery: such a
    // socket is not handed to another allocation.
    bool dont_fragment = false;
    // Whether a datagram above the path MTU is sent fragmented (sockets.hpp,
    // set_df_for_speed): unless the client asked for DF.
    bool may_fragment() const { return bound_.is_v4() && !dont_fragment; }

  private:
    void drain();

    Worker& worker_;
    UniqueFd fd_;
    SocketAddress bound_;
    EventSource* owner_ = nullptr;
};

}  // namespace turnpike::relay
