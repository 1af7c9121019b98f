#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "common/address.hpp"
#include "relay/relay_socket.hpp"

namespace turnpike::relay {

// One worker's relay sockets that no allocation uses: kept bound so the next
// Allocate on the same relay IP takes one instead of opening a socket and
// searching for a free port. Oldest first, so a relayed address goes back
// into use as late as the pool allows, and a peer of the former allocation
// meets an allocation with no permission for it (its traffic is dropped).
//
// The pool is small and bounded by the port range: a worker must not hold
// ports another worker needs.
class RelaySocketPool {
  public:
    static constexpr size_t max_kept = 256;

    // Up to max_kept per worker, and all workers' pools together hold at
    // most a sixteenth of the port range.
    static size_t capacity_for(uint16_t min_port, uint16_t max_port, unsigned workers);

    // A kept socket bound to `ip` (its port is ignored) on a port within
    // min..max, or nullptr. Kept sockets outside the range (it may have been
    // reloaded) are closed on the way.
    std::unique_ptr<RelaySocket> take(const SocketAddress& ip, uint16_t min_port,
                                      uint16_t max_port);
    // Keeps `socket` for reuse, or closes it once the current batch of
    // events is handled (an event for it may still be in the batch).
    void give(std::unique_ptr<RelaySocket> socket, size_t capacity);
    // Closes what give() did not keep; the worker calls it after each batch.
    void reap() { closing_.clear(); }
    // Lets every kept socket go (a reload may have moved the relay IP or the
    // port range); they close at the next reap().
    void drop_all();

    size_t size() const { return kept_.size(); }
    uint64_t reused() const { return reused_; }

  private:
    std::deque<std::unique_ptr<RelaySocket>> kept_;
    std::vector<std::unique_ptr<RelaySocket>> closing_;
    uint64_t reused_ = 0;
};

}  // namespace turnpike::relay
