#pragma once

#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/login_limiter.hpp"
#include "admin/store.hpp"
#include "common/cidr.hpp"
#include "common/config.hpp"
#include "matcher/matcher.hpp"
#include "relay/relay.hpp"
#include "signal/signal_stats.hpp"

namespace turnpike::admin {

// What the admin API reaches on this node; a role it does not run is left
// empty.
struct AdminHooks {
    std::function<relay::RelayStats()> relay_stats;
    std::function<signal::SignalStats()> signal_stats;
    std::function<std::vector<signal::SessionSummary>()> sessions;
    std::function<bool(std::string_view id)> disconnect;
    std::function<std::vector<relay::AllocationSummary>()> allocations;
    std::function<size_t(const SocketAddress& client)> kill_allocations;
    // Banned addresses now (nullptr: none), for the handshake and the relay.
    std::function<void(std::shared_ptr<const CidrSet>)> apply_bans;
    // Re-reads the config file as SIGHUP does; returns what went wrong.
    std::function<std::optional<std::string>()> reload;
    std::function<QuotaSettings()> quotas;
    // The matcher's IP blocks (users' `block`), perhaps answered later.
    std::function<void(matcher::Matcher::IpBlocksHandler)> ip_blocks;
    std::function<void(std::string_view a, std::string_view b)> unblock_ips;
};

// The admin HTTP API (docs/admin.md) and /metrics, on [admin] listen, on the
// control thread's GLib main context (libsoup's server).
class AdminServer {
  public:
    static constexpr size_t max_body = 64 * 1024;

    AdminServer(const Config& config, Store& store, AdminHooks hooks);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    // Throws std::runtime_error naming an address it cannot bind.
    void start();
    // Recomputes the live bans from the store and hands them on; runs again
    // when the next one expires.
    void apply_bans();

  private:
    struct Request;
    struct Reply;

    static void on_request(SoupServer*, SoupServerMessage* message, const char* path,
                           GHashTable* query, gpointer self);
    static void on_early(SoupServer*, SoupServerMessage* message, const char* path,
                         GHashTable* query, gpointer self);
    static gboolean on_ban_expiry(gpointer self);
    static gboolean on_ban_poll(gpointer self);
    Reply route(Request& request);
    // GET /admin/blocks answers when the matcher does: true when it took
    // `message` over.
    bool list_blocks_later(Request& request, SoupServerMessage* message);
    Reply blocks(Request& request);
    Reply login(Request& request);
    std::optional<AdminAccount> authenticate(Request& request);

    Reply stats();
    Reply sessions(Request& request);
    Reply allocations(Request& request);
    Reply bans(Request& request);
    Reply reports(Request& request);
    Reply audit(Request& request);
    Reply quotas(Request& request);

    Config config_;
    Store& store_;
    AdminHooks hooks_;
    SoupServer* server_ = nullptr;
    LoginLimiter limiter_;
    guint ban_timer_ = 0;
    guint ban_poll_ = 0;        // a shared store: bans made on other nodes
    std::string applied_bans_;  // what apply_bans() handed on last, to skip repeats
};

}  // namespace turnpike::admin
