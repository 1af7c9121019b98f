#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

#include "admin/store.hpp"

namespace turnpike::admin {

// The store in one SQLite file. Durability: WAL journal with
// synchronous=FULL, so every committed write is on disk (fsync) before the
// call returns and survives kill -9 and power loss. The schema version is
// PRAGMA user_version; opening an older file runs the migrations after it
// in one transaction, and a newer one is refused.
class SqliteStore final : public Store {
  public:
    static constexpr int schema_version = 1;

    // Throws std::runtime_error naming the path and SQLite's message.
    explicit SqliteStore(const std::string& path);
    ~SqliteStore() override;

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

    int version() const;

  private:
    class Statement;
    void exec(const char* sql) const;
    void migrate();

    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace turnpike::admin
