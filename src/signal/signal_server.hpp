#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/cidr.hpp"
#include "common/config.hpp"
#include "matcher/matcher.hpp"
#include "signal/report_store.hpp"
#include "signal/signal_stats.hpp"

namespace turnpike::signal {

class Switchboard;
class ChatFilter;

// The chat filter a config asks for: [signal] word-list, or the built-in
// list. Throws ConfigError naming the config file, the key, and the list's
// own problem.
ChatFilter chat_filter_for(const Config& config);

// The WebSocket signaling server: HTTP on [signal] listen, the protocol of
// docs/protocol.md at /ws. Runs on the thread-default GLib main context, which
// must be the thread that owns `matcher`.
class SignalServer {
  public:
    // [auth] static-auth-secret signs the TURN credentials in `matched`
    // (empty: STUN only). Throws ConfigError for a word list that will not load.
    SignalServer(const Config& config, matcher::Matcher& matcher, ReportStore& reports);
    ~SignalServer();
    SignalServer(const SignalServer&) = delete;
    SignalServer& operator=(const SignalServer&) = delete;

    // Binds every listen address; throws std::runtime_error naming the one
    // that failed.
    void start();
    // Sessions get a close frame (1001, going away).
    void stop();
    // Throws ConfigError (a word list that will not load) before changing
    // anything; returns the keys that need a restart.
    std::vector<std::string> reload(const Config& config);
    SignalStats stats() const;

    // Banned client addresses (the admin component's): refused at the
    // handshake with 403, and their live sessions closed (1008, "banned").
    void set_bans(std::shared_ptr<const CidrSet> bans);
    std::vector<SessionSummary> sessions() const;
    bool disconnect(std::string_view id, std::string_view reason);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace turnpike::signal
