#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signal/report_store.hpp"

namespace turnpike::admin {

enum class Role { superadmin, moderator };

std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

struct AdminAccount {
    std::string name;
    Role role = Role::moderator;
    std::string password_hash;  // argon2id, libsodium's crypto_pwhash_str form
};

struct Ban {
    int64_t id = 0;
    std::string cidr;  // as written: "203.0.113.9/32", "2001:db8::/48"
    std::string reason;
    std::string created_by;
    int64_t created_unix = 0;
    std::optional<int64_t> expires_unix;  // none: until lifted
};

struct StoredReport {
    int64_t id = 0;
    signal::Report report;
    std::optional<int64_t> resolved_unix;
    std::string resolved_by;
    std::string resolution;
};

struct AuditEntry {
    int64_t id = 0;
    int64_t at_unix = 0;
    std::string admin;
    std::string action;
    std::string detail;
};

struct Page {
    int64_t offset = 0;
    int64_t limit = 50;
};

// The records that must survive a restart: admin accounts and their login
// tokens, bans, reports, the audit log. One interface, so a cluster can keep
// them in Redis; SQLite (sqlite_store.hpp) is the single-node default. It is
// also where the signal server's reports go.
class Store : public signal::ReportStore {
  public:
    // Accounts.
    virtual bool add_admin(const AdminAccount& account) = 0;  // false: the name is taken
    virtual bool remove_admin(std::string_view name) = 0;
    virtual std::optional<AdminAccount> admin(std::string_view name) const = 0;
    virtual std::vector<AdminAccount> admins() const = 0;

    // Login tokens, kept as a digest only.
    virtual void add_token(std::string_view digest, std::string_view admin,
                           int64_t expires_unix) = 0;
    // The admin a live token belongs to.
    virtual std::optional<std::string> token_admin(std::string_view digest,
                                                   int64_t now_unix) const = 0;
    virtual void revoke_token(std::string_view digest) = 0;
    virtual void revoke_tokens_of(std::string_view admin) = 0;

    // Bans.
    virtual int64_t add_ban(const Ban& ban) = 0;
    virtual bool remove_ban(int64_t id) = 0;
    virtual std::vector<Ban> bans(int64_t now_unix,
                                  Page page) const = 0;  // live ones, newest first
    virtual std::optional<int64_t> next_ban_expiry(int64_t now_unix) const = 0;

    // Reports (add() and size() come from signal::ReportStore).
    virtual std::vector<StoredReport> reports(bool open_only, Page page) const = 0;
    std::vector<signal::Report> recent(size_t limit) const final;
    virtual bool resolve_report(int64_t id, std::string_view by, std::string_view resolution,
                                int64_t now_unix) = 0;

    // Audit log of every admin action.
    virtual void audit(std::string_view admin, std::string_view action,
                       std::string_view detail) = 0;
    virtual std::vector<AuditEntry> audit_log(Page page) const = 0;

    // Whether other nodes share these records (then bans made elsewhere
    // must be picked up by polling).
    virtual bool shared() const { return false; }
};

}  // namespace turnpike::admin
