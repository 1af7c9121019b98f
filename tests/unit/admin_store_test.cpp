// The admin component's parts: the SQLite store on a temporary file
// (migrations, durability settings, every record kind), password hashing,
// tokens, and the login limiter.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include "admin/login_limiter.hpp"
#include "admin/password.hpp"
#include "admin/redis_store.hpp"
#include "admin/sqlite_store.hpp"
#include "unit/redis_server.hpp"

namespace turnpike::admin {
namespace {

class TempDb {
  public:
    TempDb() {
        char pattern[] = "/tmp/turnpike-store-XXXXXX";
        dir_ = mkdtemp(pattern);
    }
    ~TempDb() {
        std::string command = "rm -rf '" + dir_ + "'";
        [[maybe_unused]] int ignored = std::system(command.c_str());
    }
    std::string path() const { return dir_ + "/turnpike.db"; }

  private:
    std::string dir_;
};

std::string pragma(const std::string& path, const char* name) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, (std::string("PRAGMA ") + name).c_str(), -1, &s, nullptr);
    std::string value;
    if (sqlite3_step(s) == SQLITE_ROW) {
        value = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return value;
}

TEST(SqliteStore, CreatesTheSchemaInWalModeAndKeepsItsVersion) {
    TempDb temp;
    {
        SqliteStore store(temp.path());
        EXPECT_EQ(store.version(), SqliteStore::schema_version);
    }
    EXPECT_EQ(pragma(temp.path(), "journal_mode"), "wal");
    EXPECT_EQ(pragma(temp.path(), "user_version"), std::to_string(SqliteStore::schema_version));
    SqliteStore reopened(temp.path());  // no migration runs twice
    EXPECT_EQ(reopened.version(), SqliteStore::schema_version);
}

TEST(SqliteStore, RefusesAFileFromANewerTurnpike) {
    TempDb temp;
    { SqliteStore store(temp.path()); }
    sqlite3* db = nullptr;
    sqlite3_open(temp.path().c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    try {
        SqliteStore store(temp.path());
        FAIL() << "opened a schema from the future";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(temp.path()), std::string::npos) << e.what();
    }
}

TEST(SqliteStore, UnwritablePathNamesItself) {
    try {
        SqliteStore store("/nonexistent-dir/turnpike.db");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/turnpike.db"), std::string::npos);
    }
}

// The record-keeping every store must do, run against SQLite and a real
// redis-server.
struct SqliteFactory {
    TempDb temp;
    std::unique_ptr<Store> make() { return std::make_unique<SqliteStore>(temp.path()); }
};

test::RedisServer& redis() {
    static test::RedisServer server;
    return server;
}

struct RedisFactory {
    std::unique_ptr<Store> make() {
        redis().flush();
        return std::make_unique<RedisStore>(redis().endpoint());
    }
};

template <typename Factory>
class StoreContract : public ::testing::Test {
  protected:
    Factory factory;
    std::unique_ptr<Store> owned = factory.make();
    Store& subject = *owned;
};

using Stores = ::testing::Types<SqliteFactory, RedisFactory>;
TYPED_TEST_SUITE(StoreContract, Stores);

TYPED_TEST(StoreContract, AccountsAndTokens) {
    Store& store = this->subject;
    EXPECT_TRUE(store.add_admin({"ana", Role::superadmin, "hash"}));
    EXPECT_FALSE(store.add_admin({"ana", Role::moderator, "other"}));
    EXPECT_EQ(store.admin("ana")->role, Role::superadmin);
    int64_t now = ::time(nullptr);
    store.add_token("digest-live", "ana", now + 1000);
    store.add_token("digest-old", "ana", now - 10);
    EXPECT_EQ(store.token_admin("digest-live", now), "ana");
    EXPECT_EQ(store.token_admin("digest-old", now), std::nullopt);  // expired
    store.revoke_token("digest-live");
    EXPECT_EQ(store.token_admin("digest-live", now), std::nullopt);
    store.add_token("digest-again", "ana", now + 1000);
    EXPECT_TRUE(store.remove_admin("ana"));
    EXPECT_EQ(store.token_admin("digest-again", now), std::nullopt);  // gone with the account
}

TYPED_TEST(StoreContract, BansExpireAndAreLifted) {
    Store& store = this->subject;
    int64_t forever = store.add_ban({0, "192.0.2.1/32", "spam", "ana", 100, std::nullopt});
    int64_t brief = store.add_ban({0, "198.51.100.0/24", "flood", "ana", 100, 200});
    EXPECT_EQ(store.bans(150, {}).size(), 2u);
    EXPECT_EQ(store.next_ban_expiry(150), 200);
    EXPECT_EQ(store.bans(200, {}).size(), 1u);
    EXPECT_EQ(store.next_ban_expiry(200), std::nullopt);
    EXPECT_TRUE(store.remove_ban(forever));
    EXPECT_FALSE(store.remove_ban(forever));
    EXPECT_TRUE(store.bans(150, {}).size() == 1 && store.bans(150, {})[0].id == brief);
}

TYPED_TEST(StoreContract, ReportsKeepTheirTranscriptAndResolveOnce) {
    Store& store = this->subject;
    signal::Report report;
    report.at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    report.reporter_session = "a";
    report.reporter_ip = "192.0.2.1";
    report.reported_session = "b";
    report.reported_ip = "192.0.2.2";
    report.reason = "rude";
    report.transcript = {"me: hi", "them: 'quoted' \"text\"; DROP TABLE reports \\t\ttab"};
    store.add(report);
    ASSERT_EQ(store.size(), 1u);
    auto open = store.reports(true, {});
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].report.transcript, report.transcript);
    EXPECT_EQ(open[0].report.at, report.at);
    EXPECT_TRUE(store.resolve_report(open[0].id, "ana", "warned", 1700000100));
    EXPECT_FALSE(store.resolve_report(open[0].id, "ana", "again", 1700000200));
    EXPECT_TRUE(store.reports(true, {}).empty());
    EXPECT_EQ(store.reports(false, {})[0].resolution, "warned");
}

TYPED_TEST(StoreContract, AuditIsNewestFirstAndPaged) {
    Store& store = this->subject;
    for (int i = 0; i < 5; ++i) {
        store.audit("ana", "ban", std::to_string(i));
    }
    auto page = store.audit_log({1, 2});
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].detail, "3");
    EXPECT_EQ(page[1].detail, "2");
}

TEST(Password, HashIsArgon2idAndVerifies) {
    init_crypto();
    std::string hash = hash_password("a long enough password");
    EXPECT_TRUE(hash.starts_with("$argon2id$"));
    EXPECT_TRUE(verify_password(hash, "a long enough password"));
    EXPECT_FALSE(verify_password(hash, "a long enough passworD"));
    EXPECT_FALSE(verify_password("not a hash", "anything"));
    EXPECT_NE(hash_password("a long enough password"), hash);  // salted
    EXPECT_FALSE(password_problem("short").empty());
    EXPECT_TRUE(password_problem("twelve chars").empty());
}

TEST(Tokens, AreRandomAndOnlyTheirDigestIsKept) {
    init_crypto();
    std::string a = new_token();
    std::string b = new_token();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, b);
    EXPECT_EQ(token_digest(a), token_digest(a));
    EXPECT_NE(token_digest(a), token_digest(b));
    EXPECT_EQ(token_digest(a).find(a), std::string::npos);
}

TEST(LoginLimiter, LocksAnAccountAfterFiveFailuresForFifteenMinutes) {
    LoginLimiter limiter;
    auto t = LoginLimiter::Clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(limiter.check("192.0.2.1", "ana", t), LoginLimiter::Verdict::allow);
        limiter.failed("192.0.2.1", "ana", t);
    }
    EXPECT_EQ(limiter.check("192.0.2.9", "ana", t), LoginLimiter::Verdict::locked);
    EXPECT_EQ(limiter.check("192.0.2.9", "bob", t), LoginLimiter::Verdict::allow);
    EXPECT_EQ(limiter.check("192.0.2.9", "ana", t + std::chrono::minutes(15)),
              LoginLimiter::Verdict::allow);
}

TEST(LoginLimiter, SlowsAnAddressAfterTenFailuresInAMinute) {
    LoginLimiter limiter;
    auto t = LoginLimiter::Clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 10; ++i) {
        limiter.failed("192.0.2.1", "user" + std::to_string(i), t);
    }
    EXPECT_EQ(limiter.check("192.0.2.1", "someone", t), LoginLimiter::Verdict::slow_down);
    EXPECT_EQ(limiter.check("192.0.2.2", "someone", t), LoginLimiter::Verdict::allow);
    EXPECT_EQ(limiter.check("192.0.2.1", "someone", t + std::chrono::minutes(1)),
              LoginLimiter::Verdict::allow);
}

}  // namespace
}  // namespace turnpike::admin
