#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "common/cidr.hpp"
#include "relay/source_ledger.hpp"

namespace turnpike::relay {

// New TCP connections per second from one source ([quotas]
// tcp-accepts-per-ip), shared by all workers. max-tcp-per-ip bounds how many
// a source holds at once; this bounds how fast it may open and close them,
// each TLS one costing the relay a handshake. Sources are keyed as in
// SourceLedger (an IPv4 address, an IPv6 /64).
//
// Each source is one time point, the generic cell rate algorithm's
// "theoretical arrival time" (TAT): the moment its budget would be whole
// again. A connection at `now` moves the TAT one interval (a second / rate)
// on from max(TAT, now), and is refused when that TAT would lie more than a
// second ahead of now: so a quiet source may open `rate` at once, then
// `rate` a second. A source whose TAT has passed has its whole budget and
// needs no entry: the table holds only sources that opened a connection
// within the last second, and is swept of the others once a second.
// Taken on accept only, never per packet, so a mutex is fine.
class AcceptRate {
  public:
    using Clock = std::chrono::steady_clock;

    // Whether one more connection from `source` fits `per_second` (0: no
    // limit); counts it when it does.
    bool admit(const IpAddress& source, unsigned per_second, Clock::time_point now);
    size_t tracked() const;

  private:
    void sweep(Clock::time_point now);

    mutable std::mutex mutex_;
    std::unordered_map<SourceLedger::Key, Clock::time_point, SourceLedger::KeyHash> due_;
    Clock::time_point swept_{};
};

}  // namespace turnpike::relay
