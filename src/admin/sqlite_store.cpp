#include "admin/sqlite_store.hpp"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

namespace turnpike::admin {

namespace {

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Each entry takes the schema from version N to N + 1.
constexpr const char* migrations[] = {
    R"(
    CREATE TABLE admins (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created INTEGER NOT NULL);
    CREATE TABLE tokens (
        digest TEXT PRIMARY KEY,
        admin TEXT NOT NULL,
        expires INTEGER NOT NULL);
    CREATE TABLE bans (
        id INTEGER PRIMARY KEY,
        cidr TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created INTEGER NOT NULL,
        expires INTEGER,
        removed INTEGER);
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        reporter_session TEXT NOT NULL,
        reporter_ip TEXT NOT NULL,
        reported_session TEXT NOT NULL,
        reported_ip TEXT NOT NULL,
        reason TEXT NOT NULL,
        transcript TEXT NOT NULL,
        resolved INTEGER,
        resolved_by TEXT,
        resolution TEXT);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        admin TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL);
    CREATE INDEX reports_open ON reports (resolved, id);
    )",
};
static_assert(std::size(migrations) == SqliteStore::schema_version);

// Transcript lines never hold a newline (chat text is cleaned of control
// characters), so they are stored joined by one.
std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        if (!out.empty()) {
            out.push_back('\n');
        }
        out.append(line);
    }
    return out;
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        size_t newline = text.find('\n');
        out.emplace_back(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    }
    return out;
}

}  // namespace

// One prepared statement, finalized on scope exit; binds by position.
class SqliteStore::Statement {
  public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw std::runtime_error(fmt::format("sqlite: {}: {}", sql, sqlite3_errmsg(db)));
        }
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::string_view text) {
        sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(int i, int64_t value) {
        sqlite3_bind_int64(stmt_, i, value);
        return *this;
    }
    Statement& bind(int i, std::optional<int64_t> value) {
        if (value) {
            sqlite3_bind_int64(stmt_, i, *value);
        } else {
            sqlite3_bind_null(stmt_, i);
        }
        return *this;
    }
    // True while there is a row; throws on an error.
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) {
            return true;
        }
        if (rc == SQLITE_DONE) {
            return false;
        }
        throw std::runtime_error(fmt::format("sqlite: {}", sqlite3_errmsg(db_)));
    }
    // For writes that may break a constraint: false instead of throwing.
    bool try_step() {
        int rc = sqlite3_step(stmt_);
        return rc == SQLITE_DONE || rc == SQLITE_ROW;
    }
    std::string text(int column) const {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
        return p == nullptr
                   ? std::string{}
                   : std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
    }
    int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    std::optional<int64_t> optional_integer(int column) const {
        if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) {
            return std::nullopt;
        }
        return integer(column);
    }
    int changes() const { return sqlite3_changes(db_); }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

SqliteStore::SqliteStore(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error(fmt::format("{}: {}", path, message));
    }
    sqlite3_busy_timeout(db_, 2000);
    try {
        exec("PRAGMA journal_mode = WAL");
        exec("PRAGMA synchronous = FULL");
        exec("PRAGMA foreign_keys = ON");
        migrate();
    } catch (const std::exception& e) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
    }
}

SqliteStore::~SqliteStore() {
    sqlite3_close(db_);
}

void SqliteStore::exec(const char* sql) const {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : "unknown error";
        sqlite3_free(error);
        throw std::runtime_error(message);
    }
}

int SqliteStore::version() const {
    Statement s(db_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.integer(0));
}

void SqliteStore::migrate() {
    int from = version();
    if (from > schema_version) {
        throw std::runtime_error(
            fmt::format("schema version {} is newer than this turnpike's {}: refusing to touch it",
                        from, schema_version));
    }
    if (from == schema_version) {
        return;
    }
    exec("BEGIN IMMEDIATE");
    try {
        for (int v = from; v < schema_version; ++v) {
            exec(migrations[v]);
        }
        exec(fmt::format("PRAGMA user_version = {}", schema_version).c_str());
        exec("COMMIT");
    } catch (...) {
        exec("ROLLBACK");
        throw;
    }
}

// --- accounts ---

bool SqliteStore::add_admin(const AdminAccount& account) {
    Statement s(db_, "INSERT INTO admins (name, role, password_hash, created) VALUES (?, ?, ?, ?)");
    s.bind(1, account.name).bind(2, to_string(account.role)).bind(3, account.password_hash);
    s.bind(4, unix_now());
    return s.try_step();
}

bool SqliteStore::remove_admin(std::string_view name) {
    Statement s(db_, "DELETE FROM admins WHERE name = ?");
    s.bind(1, name).step();
    bool removed = s.changes() > 0;
    revoke_tokens_of(name);
    return removed;
}

std::optional<AdminAccount> SqliteStore::admin(std::string_view name) const {
    Statement s(db_, "SELECT name, role, password_hash FROM admins WHERE name = ?");
    s.bind(1, name);
    if (!s.step()) {
        return std::nullopt;
    }
    return AdminAccount{s.text(0), parse_role(s.text(1)).value_or(Role::moderator), s.text(2)};
}

std::vector<AdminAccount> SqliteStore::admins() const {
    Statement s(db_, "SELECT name, role FROM admins ORDER BY name");
    std::vector<AdminAccount> out;
    while (s.step()) {
        out.push_back({s.text(0), parse_role(s.text(1)).value_or(Role::moderator), {}});
    }
    return out;
}

void SqliteStore::add_token(std::string_view digest, std::string_view admin, int64_t expires_unix) {
    Statement(db_, "DELETE FROM tokens WHERE expires <= ?").bind(1, unix_now()).step();
    Statement s(db_, "INSERT INTO tokens (digest, admin, expires) VALUES (?, ?, ?)");
    s.bind(1, digest).bind(2, admin).bind(3, expires_unix).step();
}

std::optional<std::string> SqliteStore::token_admin(std::string_view digest,
                                                    int64_t now_unix) const {
    // The account must still exist: removing an admin ends its tokens.
    Statement s(db_,
                "SELECT t.admin FROM tokens t JOIN admins a ON a.name = t.admin "
                "WHERE t.digest = ? AND t.expires > ?");
    s.bind(1, digest).bind(2, now_unix);
    if (!s.step()) {
        return std::nullopt;
    }
    return s.text(0);
}

void SqliteStore::revoke_token(std::string_view digest) {
    Statement(db_, "DELETE FROM tokens WHERE digest = ?").bind(1, digest).step();
}

void SqliteStore::revoke_tokens_of(std::string_view admin) {
    Statement(db_, "DELETE FROM tokens WHERE admin = ?").bind(1, admin).step();
}

// --- bans ---

int64_t SqliteStore::add_ban(const Ban& ban) {
    Statement s(db_,
                "INSERT INTO bans (cidr, reason, created_by, created, expires) "
                "VALUES (?, ?, ?, ?, ?)");
    s.bind(1, ban.cidr).bind(2, ban.reason).bind(3, ban.created_by);
    s.bind(4, ban.created_unix).bind(5, ban.expires_unix).step();
    return sqlite3_last_insert_rowid(db_);
}

bool SqliteStore::remove_ban(int64_t id) {
    Statement s(db_, "UPDATE bans SET removed = ? WHERE id = ? AND removed IS NULL");
    s.bind(1, unix_now()).bind(2, id).step();
    return s.changes() > 0;
}

std::vector<Ban> SqliteStore::bans(int64_t now_unix, Page page) const {
    Statement s(db_,
                "SELECT id, cidr, reason, created_by, created, expires FROM bans "
                "WHERE removed IS NULL AND (expires IS NULL OR expires > ?) "
                "ORDER BY id DESC LIMIT ? OFFSET ?");
    s.bind(1, now_unix).bind(2, page.limit).bind(3, page.offset);
    std::vector<Ban> out;
    while (s.step()) {
        out.push_back(
            {s.integer(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.optional_integer(5)});
    }
    return out;
}

std::optional<int64_t> SqliteStore::next_ban_expiry(int64_t now_unix) const {
    Statement s(db_, "SELECT MIN(expires) FROM bans WHERE removed IS NULL AND expires > ?");
    s.bind(1, now_unix);
    s.step();
    return s.optional_integer(0);
}

// --- reports ---

void SqliteStore::add(signal::Report report) {
    Statement s(db_,
                "INSERT INTO reports (at, reporter_session, reporter_ip, reported_session, "
                "reported_ip, reason, transcript) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1,
           std::chrono::duration_cast<std::chrono::seconds>(report.at.time_since_epoch()).count());
    s.bind(2, report.reporter_session).bind(3, report.reporter_ip);
    s.bind(4, report.reported_session).bind(5, report.reported_ip).bind(6, report.reason);
    s.bind(7, join_lines(report.transcript)).step();
}

std::vector<StoredReport> SqliteStore::reports(bool open_only, Page page) const {
    Statement s(db_, open_only
                         ? "SELECT id, at, reporter_session, reporter_ip, reported_session, "
                           "reported_ip, reason, transcript, resolved, resolved_by, resolution "
                           "FROM reports WHERE resolved IS NULL ORDER BY id DESC LIMIT ? OFFSET ?"
                         : "SELECT id, at, reporter_session, reporter_ip, reported_session, "
                           "reported_ip, reason, transcript, resolved, resolved_by, resolution "
                           "FROM reports ORDER BY id DESC LIMIT ? OFFSET ?");
    s.bind(1, page.limit).bind(2, page.offset);
    std::vector<StoredReport> out;
    while (s.step()) {
        StoredReport r;
        r.id = s.integer(0);
        r.report.at = std::chrono::system_clock::time_point(std::chrono::seconds(s.integer(1)));
        r.report.reporter_session = s.text(2);
        r.report.reporter_ip = s.text(3);
        r.report.reported_session = s.text(4);
        r.report.reported_ip = s.text(5);
        r.report.reason = s.text(6);
        r.report.transcript = split_lines(s.text(7));
        r.resolved_unix = s.optional_integer(8);
        r.resolved_by = s.text(9);
        r.resolution = s.text(10);
        out.push_back(std::move(r));
    }
    return out;
}

size_t SqliteStore::size() const {
    Statement s(db_, "SELECT COUNT(*) FROM reports");
    s.step();
    return static_cast<size_t>(s.integer(0));
}

bool SqliteStore::resolve_report(int64_t id, std::string_view by, std::string_view resolution,
                                 int64_t now_unix) {
    Statement s(db_,
                "UPDATE reports SET resolved = ?, resolved_by = ?, resolution = ? "
                "WHERE id = ? AND resolved IS NULL");
    s.bind(1, now_unix).bind(2, by).bind(3, resolution).bind(4, id).step();
    return s.changes() > 0;
}

// --- audit ---

void SqliteStore::audit(std::string_view admin, std::string_view action, std::string_view detail) {
    Statement s(db_, "INSERT INTO audit (at, admin, action, detail) VALUES (?, ?, ?, ?)");
    s.bind(1, unix_now()).bind(2, admin).bind(3, action).bind(4, detail).step();
}

std::vector<AuditEntry> SqliteStore::audit_log(Page page) const {
    Statement s(db_,
                "SELECT id, at, admin, action, detail FROM audit ORDER BY id DESC LIMIT ? "
                "OFFSET ?");
    s.bind(1, page.limit).bind(2, page.offset);
    std::vector<AuditEntry> out;
    while (s.step()) {
        out.push_back({s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4)});
    }
    return out;
}

}  // namespace turnpike::admin
