#pragma once

#include <string>

#include "relay/relay.hpp"
#include "signal/signal_stats.hpp"

namespace turnpike::admin {

// The Prometheus text exposition (format 0.0.4) of this node's counters,
// read live from the relay's per-worker counters and the switchboard. A
// role this node does not run is left out (nullptr).
std::string render_metrics(const relay::RelayStats* relay, const signal::SignalStats* signal);

}  // namespace turnpike::admin
