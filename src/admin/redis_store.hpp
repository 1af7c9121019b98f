#pragma once

#include <hiredis/hiredis.h>

#include <string>

#include "admin/store.hpp"
#include "common/redis_url.hpp"

namespace turnpike::admin {

// The store in Redis, for a cluster: every node sees the same accounts,
// tokens, bans, reports and audit log. Keys live under the hash tag
// `{turnpike}` beside the matcher's. Calls are synchronous (admin actions
// and reports are rare), on a connection that is re-opened when it fails.
// Durability is Redis's: run it with appendonly yes and appendfsync
// everysec or always (docs/admin.md).
//
//   {turnpike}:admins        hash  name -> role \t hash
//   {turnpike}:token:<hex>   string admin name, expiring with the token
//   {turnpike}:bans          hash  id -> cidr \t reason \t by \t created \t expires|"" \t
//   removed|"" {turnpike}:reports       hash  id -> at \t reporter \t reporter ip \t reported \t
//   reported ip
//                                         \t reason \t resolved|"" \t by \t resolution \t
//                                         transcript...
//   {turnpike}:audit         list  newest first: id \t at \t admin \t action \t detail
//   {turnpike}:ids:<kind>    counters for the ids
class RedisStore final : public Store {
  public:
    // Throws std::runtime_error naming the endpoint (never the password).
    explicit RedisStore(RedisEndpoint endpoint);
    ~RedisStore() override;
    RedisStore(const RedisStore&) = delete;
    RedisStore& operator=(const RedisStore&) = delete;

    bool add_admin(const AdminAccount& account) override;
    bool remove_admin(std::string_view name) override;
    std::optional<AdminAccount> admin(std::string_view name) const override;
    std::vector<AdminAccount> admins() const override;

    void add_token(std::string_view digest, std::string_view admin, int64_t expires_unix) override;
    std::optional<std::string> token_admin(std::string_view digest,
                                           int64_t now_unix) const override;
    void revoke_token(std::string_view digest) override;
    void revoke_tokens_of(std::string_view admin) override;

    int64_t add_ban(const Ban& ban) override;
    bool remove_ban(int64_t id) override;
    std::vector<Ban> bans(int64_t now_unix, Page page) const override;
    std::optional<int64_t> next_ban_expiry(int64_t now_unix) const override;

    void add(signal::Report report) override;
    size_t size() const override;
    std::vector<StoredReport> reports(bool open_only, Page page) const override;
    bool resolve_report(int64_t id, std::string_view by, std::string_view resolution,
                        int64_t now_unix) override;

    void audit(std::string_view admin, std::string_view action, std::string_view detail) override;
    std::vector<AuditEntry> audit_log(Page page) const override;

    bool shared() const override { return true; }

  private:
    class Reply;
    Reply command(std::initializer_list<std::string_view> args) const;
    void connect() const;
    std::vector<Ban> all_bans() const;
    std::vector<StoredReport> all_reports() const;

    RedisEndpoint endpoint_;
    mutable redisContext* context_ = nullptr;
};

}  // namespace turnpike::admin
