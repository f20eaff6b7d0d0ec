#include "store/sqlite/sqlite_store.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "common/errors.h"
#include "notify/status.h"
#include "store/migrations.h"

namespace notify {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// As many as the threads that read at once (handlers and workers): opening one costs a schema parse.
constexpr std::size_t kMaxIdleReaders = 64;
constexpr int kMaxHistoryLimit = 1000;
// Statistics buckets (UTC hours and days since the epoch) and the end of time for a range: the
// year 10000, a whole number of days.
constexpr TimeMs kStatsHourMs = 3'600'000;
constexpr TimeMs kStatsDayMs = 24 * kStatsHourMs;
constexpr TimeMs kStatsEnd = 253'402'300'800'000;

// ---- SQL: every statement the store runs, in one place. Values are always bound, never spliced in.

// synchronous = FULL: a commit reaches the disk (fsync of the WAL) before the caller is answered, so
// an accepted message survives a power cut as well as a crash. Group commit (below) shares that
// fsync among the writes that arrive together.
constexpr const char* kWriterPragmas =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
// query_only: a reader connection that tried to write would be a bug here, not a second writer.
constexpr const char* kReaderPragmas = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA query_only = ON;";
constexpr const char* kJournalMode = "PRAGMA journal_mode";

constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
// Each write of a group runs inside its own savepoint, so that one that fails is undone alone.
constexpr const char* kSavepoint = "SAVEPOINT group_member";
constexpr const char* kReleaseSavepoint = "RELEASE group_member";
constexpr const char* kRollbackToSavepoint = "ROLLBACK TO group_member";
// WAL pages after which the background thread checkpoints (SQLite's own default threshold).
constexpr int kCheckpointPages = 1000;
// Bounds how long the last write of a group waits behind the others.
constexpr std::size_t kMaxGroupSize = 128;

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
constexpr const char* kMigrationsTableExists =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
constexpr const char* kSelectMigrations = "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";
constexpr const char* kMigrationApplied = "SELECT 1 FROM schema_migrations WHERE version = ?1";
constexpr const char* kInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";

// Reads page 1, so a vanished or corrupt file fails here rather than later.
constexpr const char* kPing = "SELECT COUNT(*) FROM sqlite_master";

constexpr const char* kSelectTemplates =
    "SELECT name, description, language, provider_template_name, variables, body, category, enabled, updated_at"
    " FROM notification_templates ORDER BY name";
constexpr const char* kSelectTemplate =
    "SELECT name, description, language, provider_template_name, variables, body, category, enabled, updated_at"
    " FROM notification_templates WHERE name = ?1";
constexpr const char* kUpdateTemplate =
    "UPDATE notification_templates SET description = ?2, language = ?3, provider_template_name = ?4, variables = ?5,"
    " body = ?6, category = ?7, enabled = ?8, updated_at = ?9 WHERE name = ?1";

constexpr const char* kSelectSettings =
    "SELECT enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at, updated_by"
    " FROM notification_settings WHERE id = 1";
constexpr const char* kUpsertSettings =
    "INSERT INTO notification_settings"
    " (id, enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at, updated_by)"
    " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, paused = excluded.paused,"
    " rollout_percent = excluded.rollout_percent, recipient_min_gap_seconds = excluded.recipient_min_gap_seconds,"
    " updated_at = excluded.updated_at, updated_by = excluded.updated_by";

constexpr const char* kInsertToken =
    "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kSelectToken = "SELECT name, role, token_hash, created_at FROM api_tokens WHERE token_hash = ?1";

// The columns ReadMessage expects, in this order; the queue join gives next_attempt_at.
constexpr const char* kSelectMessage =
    "SELECT l.seq, l.id, l.phone, l.message_type, l.provider_template_name, l.language, l.parameters, l.context,"
    " l.status, l.provider_message_id, l.attempts, l.last_error, l.idempotency_key, l.created_at, l.updated_at,"
    " l.sent_at, l.delivered_at, l.read_at, l.failed_at, q.next_attempt_at"
    " FROM notifications_log AS l LEFT JOIN notifications_queue AS q ON q.message_id = l.id";

// The conflict target makes a repeated idempotency key a no-op, while a repeated id stays an error.
// No RETURNING: SQLite runs it through a temporary table, which costs more than the insert itself;
// sqlite3_changes and sqlite3_last_insert_rowid tell the same.
constexpr const char* kInsertMessage =
    "INSERT INTO notifications_log (id, phone, message_type, provider_template_name, language, parameters, context,"
    " status, provider_message_id, attempts, last_error, idempotency_key, created_at, updated_at, sent_at,"
    " delivered_at, read_at, failed_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
    " ON CONFLICT (idempotency_key) DO NOTHING";
constexpr const char* kInsertQueueEntry =
    "INSERT INTO notifications_queue (message_id, next_attempt_at, lease_owner, lease_expires_at, enqueued_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
// Puts an entry back in line, free, whether or not it is still there.
constexpr const char* kUpsertQueueEntry =
    "INSERT INTO notifications_queue (message_id, next_attempt_at, lease_owner, lease_expires_at, enqueued_at)"
    " VALUES (?1, ?2, NULL, NULL, ?3)"
    " ON CONFLICT (message_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at, lease_owner = NULL,"
    " lease_expires_at = NULL";
constexpr const char* kDeleteQueueEntry = "DELETE FROM notifications_queue WHERE message_id = ?1";
// Only an entry that is still there: if it is gone, a worker that took over after this one's lease
// expired has finished the message, and recreating the entry would send it twice.
constexpr const char* kRescheduleEntry =
    "UPDATE notifications_queue SET next_attempt_at = ?2, lease_owner = NULL, lease_expires_at = NULL"
    " WHERE message_id = ?1";

constexpr const char* kSelectDue =
    "SELECT message_id FROM notifications_queue"
    " WHERE next_attempt_at <= ?1 AND (lease_owner IS NULL OR lease_expires_at <= ?2)"
    " ORDER BY next_attempt_at, enqueued_at LIMIT ?3";
constexpr const char* kLeaseEntry =
    "UPDATE notifications_queue SET lease_owner = ?2, lease_expires_at = ?3 WHERE message_id = ?1";
constexpr const char* kMarkSending =
    "UPDATE notifications_log SET status = 'sending', updated_at = ?2"
    " WHERE id = ?1 AND status IN ('queued', 'sending')";

constexpr const char* kInsertAttempt =
    "INSERT INTO message_attempts (message_id, number, started_at, latency_ms, outcome, http_status, error,"
    " provider_message_id, stops_all_sending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
// A status never moves backwards: a delivery webhook may have landed before the send was recorded.
constexpr const char* kApplyAttempt =
    "UPDATE notifications_log SET"
    " attempts = MAX(attempts, ?2),"
    " last_error = ?3,"
    " status = CASE WHEN status IN ('sent', 'delivered', 'read') THEN status ELSE ?4 END,"
    " provider_message_id = COALESCE(?5, provider_message_id),"
    " sent_at = CASE WHEN ?4 = 'sent' THEN COALESCE(sent_at, ?6) ELSE sent_at END,"
    " failed_at = CASE WHEN ?4 = 'failed' AND status NOT IN ('sent', 'delivered', 'read') THEN ?6 ELSE failed_at END,"
    " updated_at = ?6"
    " WHERE id = ?1";
constexpr const char* kSelectAttempts =
    "SELECT message_id, number, started_at, latency_ms, outcome, http_status, error, provider_message_id,"
    " stops_all_sending FROM message_attempts WHERE message_id = ?1 ORDER BY number, id";

constexpr const char* kReleaseLease =
    "UPDATE notifications_queue SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = ?3"
    " WHERE message_id = ?1 AND lease_owner = ?2";
constexpr const char* kMarkQueued =
    "UPDATE notifications_log SET status = 'queued' WHERE id = ?1 AND status = 'sending'";

constexpr const char* kRequeueFailed =
    "UPDATE notifications_log SET status = 'queued', failed_at = NULL, updated_at = ?2"
    " WHERE id = ?1 AND status = 'failed'";

// Statistics (migrations 0004 and 0005): counters per hour, per day and for all time of
// (message type, current status), and for the partial hours at the ends of a range the covering
// index on (created_at, message_type, status). The counter rows are summed here, not by SQL:
// they come in key order and a GROUP BY would sort them first.
constexpr const char* kStatsFromLog =
    "SELECT message_type, status, COUNT(*) FROM notifications_log"
    " WHERE created_at >= ?1 AND created_at < ?2 GROUP BY message_type, status";
constexpr const char* kStatsHourly =
    "SELECT message_type, status, count FROM stats_hourly WHERE hour >= ?1 AND hour < ?2";
constexpr const char* kStatsDaily = "SELECT message_type, status, count FROM stats_daily WHERE day >= ?1 AND day < ?2";
constexpr const char* kStatsTotal = "SELECT message_type, status, count FROM stats_total";
// The days that hold messages, first and last (each subquery is one look-up at an end of the key).
constexpr const char* kStatsDays = "SELECT (SELECT MIN(day) FROM stats_daily), (SELECT MAX(day) FROM stats_daily)";
// A read that runs several statements sees one snapshot between these two.
constexpr const char* kBeginRead = "BEGIN DEFERRED";

// The primary key decides duplicates: a repeated event_id inserts nothing (sqlite3_changes 0).
constexpr const char* kInsertWebhookEvent =
    "INSERT INTO webhook_events (event_id, event_type, received_at, occurred_at, provider_message_id, outcome)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING";
// The columns ApplyStatusReport writes: the message as ApplyProviderStatus left it.
constexpr const char* kApplyStatusReport =
    "UPDATE notifications_log SET status = ?2, sent_at = ?3, delivered_at = ?4, read_at = ?5, failed_at = ?6,"
    " last_error = ?7, updated_at = ?8 WHERE id = ?1";
constexpr const char* kInsertStatusEvent =
    "INSERT INTO message_status_events (message_id, event_id, status, occurred_at, received_at, applied, note)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kSelectStatusEvents =
    "SELECT message_id, event_id, status, occurred_at, received_at, applied, note"
    " FROM message_status_events WHERE message_id = ?1 ORDER BY id";

// Only a change at least as recent as the one in force replaces it (STOP and START out of order).
constexpr const char* kUpsertOptOut =
    "INSERT INTO opt_outs (phone, opted_out, opted_out_at, updated_at)"
    " VALUES (?1, ?2, CASE WHEN ?2 = 1 THEN ?3 END, ?3)"
    " ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out,"
    " opted_out_at = CASE WHEN excluded.opted_out = 1 THEN excluded.updated_at ELSE opt_outs.opted_out_at END,"
    " updated_at = excluded.updated_at"
    " WHERE excluded.updated_at >= opt_outs.updated_at";
constexpr const char* kSelectOptOut = "SELECT opted_out FROM opt_outs WHERE phone = ?1";

constexpr const char* kMarkSuppressed =
    "UPDATE notifications_log SET status = 'suppressed', last_error = ?3, updated_at = ?2"
    " WHERE id = ?1 AND status IN ('queued', 'sending')";

constexpr const char* kQueueDepth = "SELECT COUNT(*) FROM notifications_queue";
// A leased entry becomes claimable when its lease expires (if it is due by then): that is when the
// processor must look again, in case its worker died.
constexpr const char* kNextDue =
    "SELECT MIN(due) FROM ("
    " SELECT next_attempt_at AS due FROM (SELECT next_attempt_at FROM notifications_queue"
    "  WHERE lease_owner IS NULL ORDER BY next_attempt_at LIMIT 1)"
    " UNION ALL"
    " SELECT MAX(next_attempt_at, lease_expires_at) FROM notifications_queue WHERE lease_owner IS NOT NULL)";

// ---- Helpers

TimeMs SystemNowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

[[noreturn]] void ThrowUnavailable(std::string_view operation, std::string_view detail) {
    std::string message = "store: ";
    message += operation;
    message += ": ";
    message += detail;
    throw StoreUnavailable(message);
}

[[noreturn]] void ThrowSqliteError(std::string_view operation, sqlite3* db) {
    ThrowUnavailable(operation, db != nullptr ? sqlite3_errmsg(db) : "out of memory");
}

}  // namespace

// One sqlite3 handle with its prepared statements. Used by one thread at a time (the store's mutex
// or reader pool sees to that), hence SQLITE_OPEN_NOMUTEX.
class SqliteConnection {
public:
    SqliteConnection(const std::string& path, bool writer) {
        const std::string operation = "open database " + path;
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
        const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
        if (rc != SQLITE_OK) {
            const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close(db_);
            ThrowUnavailable(operation, detail);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, kBusyTimeoutMs);
        try {
            Exec(writer ? kWriterPragmas : kReaderPragmas, operation);
        } catch (...) {
            sqlite3_close(db_);
            throw;
        }
    }

    ~SqliteConnection() {
        for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
        sqlite3_close(db_);
    }

    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    sqlite3* db() const { return db_; }

    // Prepared once per connection and kept: the statements are few and run all the time.
    sqlite3_stmt* Prepare(std::string_view sql, std::string_view operation) {
        std::string key(sql);
        if (auto it = statements_.find(key); it != statements_.end()) return it->second;
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                               nullptr) != SQLITE_OK) {
            ThrowSqliteError(operation, db_);
        }
        statements_.emplace(std::move(key), stmt);
        return stmt;
    }

    // For pragmas and migration scripts: constant text with several statements and no values.
    void Exec(const char* sql, std::string_view operation) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string detail = error != nullptr ? error : sqlite3_errmsg(db_);
            sqlite3_free(error);
            ThrowUnavailable(operation, detail);
        }
    }

private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

namespace {

// One use of a cached prepared statement; resets it when done so that it holds no read snapshot.
class Statement {
public:
    Statement(SqliteConnection& connection, std::string_view sql, std::string_view operation)
        : db_(connection.db()), stmt_(connection.Prepare(sql, operation)), operation_(operation) {
        if (sqlite3_stmt_busy(stmt_) != 0) std::abort();  // the same statement used twice at once: a bug here
    }
    ~Statement() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void BindInt(int index, std::int64_t value) { Check(sqlite3_bind_int64(stmt_, index, value)); }
    void BindNull(int index) { Check(sqlite3_bind_null(stmt_, index)); }
    void BindText(int index, std::string_view value) {
        // A null data pointer would bind NULL; an empty string must stay an empty string.
        const char* data = value.data() != nullptr ? value.data() : "";
        Check(sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), SQLITE_TRANSIENT));
    }
    void BindTextOrNull(int index, std::string_view value) {
        if (value.empty()) {
            BindNull(index);
        } else {
            BindText(index, value);
        }
    }
    void BindOptText(int index, const std::optional<std::string>& value) {
        if (value) {
            BindText(index, *value);
        } else {
            BindNull(index);
        }
    }
    void BindOptInt(int index, const std::optional<std::int64_t>& value) {
        if (value) {
            BindInt(index, *value);
        } else {
            BindNull(index);
        }
    }

    // True while there is a row to read.
    bool Step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        ThrowSqliteError(operation_, db_);
    }
    void Run() {
        while (Step()) {
        }
    }

    bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
    std::string Text(int column) const {
        const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
        if (data == nullptr) return {};
        return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
    }
    // Valid until the next Step or the end of the statement.
    std::string_view View(int column) const {
        const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
        if (data == nullptr) return {};
        return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
    }
    std::optional<std::int64_t> OptInt(int column) const {
        if (IsNull(column)) return std::nullopt;
        return Int(column);
    }
    std::optional<std::string> OptText(int column) const {
        if (IsNull(column)) return std::nullopt;
        return Text(column);
    }

private:
    void Check(int rc) {
        if (rc != SQLITE_OK) ThrowSqliteError(operation_, db_);
    }

    sqlite3* db_;
    sqlite3_stmt* stmt_;
    std::string_view operation_;
};

// BEGIN IMMEDIATE takes the write lock at once: a deferred transaction that upgrades later can fail
// with SQLITE_BUSY without waiting for the busy timeout.
class Transaction {
public:
    Transaction(SqliteConnection& connection, std::string_view operation)
        : connection_(connection), operation_(operation) {
        Statement(connection_, kBegin, operation_).Run();
    }
    ~Transaction() {
        if (sqlite3_get_autocommit(connection_.db()) == 0) {
            sqlite3_exec(connection_.db(), kRollback, nullptr, nullptr, nullptr);
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void Commit() { Statement(connection_, kCommit, operation_).Run(); }

private:
    SqliteConnection& connection_;
    std::string_view operation_;
};

std::string ToJsonArray(const std::vector<std::string>& values) {
    // replace: a stray invalid UTF-8 byte must not make the message unstorable.
    return nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> FromJsonArray(const std::string& text, std::string_view what) {
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_array()) ThrowUnavailable(what, "stored value is not a JSON array");
    std::vector<std::string> values;
    values.reserve(json.size());
    for (const auto& item : json) {
        if (!item.is_string()) ThrowUnavailable(what, "stored array holds a non-string");
        values.push_back(item.get<std::string>());
    }
    return values;
}

std::string Join(std::string_view a, std::string_view b) {
    std::string out(a);
    out += b;
    return out;
}

// Only a message still to be sent waits in the queue; suppressed and skipped_rollout never do.
bool NeedsQueueEntry(MessageStatus status) {
    return status == MessageStatus::kQueued || status == MessageStatus::kSending;
}

std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view text) {
    for (AttemptOutcome outcome : {AttemptOutcome::kAccepted, AttemptOutcome::kRetryable, AttemptOutcome::kPermanent}) {
        if (ToString(outcome) == text) return outcome;
    }
    return std::nullopt;
}

std::int64_t MigrationVersion(const std::string& name) {
    std::int64_t version = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
    if (ec != std::errc() || end == name.data()) {
        throw std::logic_error("migration file name must start with its version number: " + name);
    }
    return version;
}

Template ReadTemplate(const Statement& row) {
    Template tmpl;
    tmpl.name = row.Text(0);
    tmpl.description = row.Text(1);
    tmpl.language = row.Text(2);
    tmpl.provider_template_name = row.Text(3);
    tmpl.variables = FromJsonArray(row.Text(4), "read template " + tmpl.name);
    tmpl.body = row.Text(5);
    tmpl.category = row.Text(6);
    tmpl.enabled = row.Int(7) != 0;
    tmpl.updated_at = row.Int(8);
    return tmpl;
}

// Reads the columns of kSelectMessage. Without `payload`, parameters and context_json stay empty:
// lists (GET /history) do not show them, and parsing the parameters' JSON was a good part of
// reading a row.
Message ReadMessage(const Statement& row, bool payload = true) {
    Message m;
    m.seq = row.Int(0);
    m.id = row.Text(1);
    m.phone = row.Text(2);
    m.message_type = row.Text(3);
    m.provider_template_name = row.Text(4);
    m.language = row.Text(5);
    if (payload) {
        m.parameters = FromJsonArray(row.Text(6), "read message " + m.id);
        m.context_json = row.Text(7);
    }
    const std::string_view status = row.View(8);
    const auto parsed = ParseMessageStatus(status);
    if (!parsed) ThrowUnavailable("read message " + m.id, "unknown status '" + std::string(status) + "'");
    m.status = *parsed;
    m.provider_message_id = row.Text(9);
    m.attempts = static_cast<int>(row.Int(10));
    m.last_error = row.Text(11);
    m.idempotency_key = row.OptText(12);
    m.created_at = row.Int(13);
    m.updated_at = row.Int(14);
    m.sent_at = row.OptInt(15);
    m.delivered_at = row.OptInt(16);
    m.read_at = row.OptInt(17);
    m.failed_at = row.OptInt(18);
    m.next_attempt_at = row.OptInt(19);
    return m;
}

std::optional<Message> LoadMessage(SqliteConnection& connection, std::string_view id, std::string_view operation) {
    static const std::string kSql = Join(kSelectMessage, " WHERE l.id = ?1");
    Statement select(connection, kSql, operation);
    select.BindText(1, id);
    if (!select.Step()) return std::nullopt;
    return ReadMessage(select);
}

std::optional<Message> LoadMessageByProviderId(SqliteConnection& connection, std::string_view provider_message_id,
                                               std::string_view operation) {
    // The oldest, should the provider ever reuse an id.
    static const std::string kSql = Join(kSelectMessage, " WHERE l.provider_message_id = ?1 ORDER BY l.seq LIMIT 1");
    Statement select(connection, kSql, operation);
    select.BindText(1, provider_message_id);
    if (!select.Step()) return std::nullopt;
    return ReadMessage(select);
}

// Records the event; false when its event_id was recorded before (nothing written then).
bool InsertWebhookEvent(SqliteConnection& connection, const WebhookEventRecord& event,
                        std::string_view provider_message_id, std::string_view outcome, std::string_view operation) {
    Statement insert(connection, kInsertWebhookEvent, operation);
    insert.BindText(1, event.event_id);
    insert.BindText(2, event.event_type);
    insert.BindInt(3, event.received_at);
    insert.BindOptInt(4, event.occurred_at);
    insert.BindTextOrNull(5, provider_message_id);
    insert.BindText(6, outcome);
    insert.Run();
    return sqlite3_changes(connection.db()) > 0;
}

bool UpsertOptOut(SqliteConnection& connection, std::string_view phone, bool opted_out, TimeMs at,
                  std::string_view operation) {
    Statement upsert(connection, kUpsertOptOut, operation);
    upsert.BindText(1, phone);
    upsert.BindInt(2, opted_out ? 1 : 0);
    upsert.BindInt(3, at);
    upsert.Run();
    return sqlite3_changes(connection.db()) > 0;
}

bool PhoneOptedOut(SqliteConnection& connection, std::string_view phone, std::string_view operation) {
    Statement select(connection, kSelectOptOut, operation);
    select.BindText(1, phone);
    return select.Step() && select.Int(0) != 0;
}

std::optional<Message> LoadMessageByKey(SqliteConnection& connection, std::string_view key,
                                        std::string_view operation) {
    static const std::string kSql = Join(kSelectMessage, " WHERE l.idempotency_key = ?1");
    Statement select(connection, kSql, operation);
    select.BindText(1, key);
    if (!select.Step()) return std::nullopt;
    return ReadMessage(select);
}

}  // namespace

// ---- Connections

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {
    if (path_.empty()) ThrowUnavailable("open database", "empty path");
    const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) {
        std::error_code error;
        std::filesystem::create_directories(parent, error);
        if (error) {
            ThrowUnavailable("open database " + path_, "cannot create " + parent.string() + ": " + error.message());
        }
    }
    writer_ = std::make_unique<SqliteConnection>(path_, true);

    const std::string operation = "open database " + path_;
    bool wal = false;
    {
        Statement mode(*writer_, kJournalMode, operation);
        wal = mode.Step() && mode.Text(0) == "wal";
        if (!wal) {
            // Still correct, only slower: readers then wait for writers.
            spdlog::warn("store: {} does not support WAL; using journal mode {}", path_, mode.Text(0));
        }
    }
    if (wal) StartCheckpointer();
}

// SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold, so one group of
// writers would wait for copying the WAL into the database and its fsync. Here the writer only
// signals (the WAL hook runs after each commit) and a thread with its own connection checkpoints
// PASSIVE: it never blocks the writer nor waits for readers.
void SqliteStore::StartCheckpointer() {
    checkpointer_ = std::make_unique<SqliteConnection>(path_, true);
    sqlite3_wal_autocheckpoint(writer_->db(), 0);
    sqlite3_wal_hook(
        writer_->db(),
        [](void* self, sqlite3*, const char*, int wal_pages) {
            if (wal_pages >= kCheckpointPages) static_cast<SqliteStore*>(self)->RequestCheckpoint();
            return SQLITE_OK;
        },
        this);
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
}

void SqliteStore::RequestCheckpoint() {
    {
        std::lock_guard lock(checkpoint_mutex_);
        checkpoint_requested_ = true;
    }
    checkpoint_wanted_.notify_one();
}

void SqliteStore::CheckpointLoop() {
    std::unique_lock lock(checkpoint_mutex_);
    while (true) {
        checkpoint_wanted_.wait(lock, [this] { return checkpoint_requested_ || checkpoint_stop_; });
        if (checkpoint_stop_) return;
        checkpoint_requested_ = false;
        lock.unlock();
        int wal_pages = 0;
        int copied = 0;
        const int rc =
            sqlite3_wal_checkpoint_v2(checkpointer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        // Busy (a checkpoint from another process) is harmless: the next commit asks again.
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            spdlog::warn("store: checkpoint of {} failed: {}", path_, sqlite3_errmsg(checkpointer_->db()));
        }
        lock.lock();
    }
}

SqliteStore::~SqliteStore() {
    if (checkpoint_thread_.joinable()) {
        {
            std::lock_guard lock(checkpoint_mutex_);
            checkpoint_stop_ = true;
        }
        checkpoint_wanted_.notify_one();
        checkpoint_thread_.join();
    }
    // The writer closes last (members are destroyed in reverse order): SQLite checkpoints and
    // removes the WAL when the last connection to the file closes.
}

std::unique_ptr<SqliteConnection> SqliteStore::AcquireReader() {
    {
        std::lock_guard lock(readers_mutex_);
        if (!idle_readers_.empty()) {
            std::unique_ptr<SqliteConnection> connection = std::move(idle_readers_.back());
            idle_readers_.pop_back();
            return connection;
        }
    }
    return std::make_unique<SqliteConnection>(path_, false);
}

void SqliteStore::ReleaseReader(std::unique_ptr<SqliteConnection> connection) {
    std::lock_guard lock(readers_mutex_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(connection));
}

template <typename Fn>
auto SqliteStore::Read(Fn&& fn) {
    std::unique_ptr<SqliteConnection> connection = AcquireReader();
    // Back to the pool also when fn throws.
    struct Return {
        SqliteStore& store;
        std::unique_ptr<SqliteConnection>& connection;
        ~Return() { store.ReleaseReader(std::move(connection)); }
    } give_back{*this, connection};
    return fn(*connection);
}

template <typename Fn>
auto SqliteStore::Write(const char* operation, Fn&& fn) {
    using Result = std::invoke_result_t<Fn&, SqliteConnection&>;
    if constexpr (std::is_void_v<Result>) {
        auto body = [&fn](SqliteConnection& c) { fn(c); };
        WriteJob job(operation, body);
        RunInGroup(job);
    } else {
        std::optional<Result> result;
        auto body = [&fn, &result](SqliteConnection& c) { result.emplace(fn(c)); };
        WriteJob job(operation, body);
        RunInGroup(job);
        return std::move(*result);
    }
}

// Group commit: the first caller that finds no group in progress becomes the leader, takes every
// write waiting (up to kMaxGroupSize) and commits them as one transaction, one fsync for all; the
// others wait for it. No write waits for a timer: a group is whatever arrived during the previous
// commit, so a lone write commits at once.
void SqliteStore::RunInGroup(WriteJob& job) {
    std::unique_lock lock(group_mutex_);
    pending_writes_.push_back(&job);
    while (!job.done) {
        if (group_in_progress_) {
            // Woken when a group holding this job is committed, or when it is first in line and
            // the leader's place is free. One condition per job: no herd of waiters wakes for nothing.
            job.wake.wait(lock);
            continue;
        }
        group_in_progress_ = true;
        const std::size_t n = std::min(pending_writes_.size(), kMaxGroupSize);
        std::vector<WriteJob*> group(pending_writes_.begin(), pending_writes_.begin() + static_cast<std::ptrdiff_t>(n));
        pending_writes_.erase(pending_writes_.begin(), pending_writes_.begin() + static_cast<std::ptrdiff_t>(n));
        lock.unlock();
        CommitGroup(group);
        lock.lock();
        group_in_progress_ = false;
        for (WriteJob* member : group) {
            member->done = true;
            if (member != &job) member->wake.notify_one();
        }
        if (!pending_writes_.empty()) pending_writes_.front()->wake.notify_one();
    }
    if (job.error) std::rethrow_exception(job.error);
}

// Runs each member in its own savepoint of one transaction. A member that throws is rolled back
// to its savepoint and gets its exception; the others commit. If the transaction itself fails
// (BEGIN, COMMIT, or SQLite abandoning it), every member gets that failure: none is acknowledged.
void SqliteStore::CommitGroup(const std::vector<WriteJob*>& group) {
    std::lock_guard lock(write_mutex_);
    SqliteConnection& c = *writer_;
    const auto fail_all = [&group](const std::exception_ptr& error) {
        for (WriteJob* member : group) member->error = error;
    };
    const bool single = group.size() == 1;
    try {
        Transaction transaction(c, group.front()->operation);
        for (WriteJob* member : group) {
            try {
                if (!single) Statement(c, kSavepoint, member->operation).Run();
                member->invoke(member->body, c);
                if (!single) Statement(c, kReleaseSavepoint, member->operation).Run();
            } catch (...) {
                member->error = std::current_exception();
                if (single) return;  // the transaction's destructor rolls back
                // Some errors (disk full, I/O) make SQLite abandon the whole transaction.
                if (sqlite3_get_autocommit(c.db()) != 0) {
                    fail_all(member->error);
                    return;
                }
                Statement(c, kRollbackToSavepoint, member->operation).Run();
                Statement(c, kReleaseSavepoint, member->operation).Run();
            }
        }
        transaction.Commit();
    } catch (...) {
        // BEGIN or COMMIT failed, or undoing a member did: nothing of the group is kept.
        if (sqlite3_get_autocommit(c.db()) == 0) sqlite3_exec(c.db(), kRollback, nullptr, nullptr, nullptr);
        fail_all(std::current_exception());
    }
}

// ---- Migrations

std::vector<MigrationState> SqliteStore::MigrationStatus() {
    constexpr const char* kOperation = "read migration status";
    return Read([&](SqliteConnection& c) {
        std::map<std::int64_t, MigrationState> states;
        for (const MigrationFile& file : EmbeddedMigrations()) {
            states[MigrationVersion(file.name)] = MigrationState{file.name, false, std::nullopt};
        }
        bool has_table = false;
        {
            Statement exists(c, kMigrationsTableExists, kOperation);
            has_table = exists.Step();
        }
        if (has_table) {
            Statement select(c, kSelectMigrations, kOperation);
            while (select.Step()) {
                // A version this binary does not know (a newer build migrated the file) is listed too.
                MigrationState& state = states[select.Int(0)];
                if (state.name.empty()) state.name = select.Text(1);
                state.applied = true;
                state.applied_at = select.Int(2);
            }
        }
        std::vector<MigrationState> out;
        out.reserve(states.size());
        for (auto& [version, state] : states) out.push_back(std::move(state));
        return out;
    });
}

int SqliteStore::Migrate() {
    std::lock_guard lock(write_mutex_);
    SqliteConnection& c = *writer_;
    c.Exec(kCreateMigrationsTable, "create schema_migrations");
    int applied = 0;
    for (const MigrationFile& file : EmbeddedMigrations()) {
        const std::int64_t version = MigrationVersion(file.name);
        const std::string operation = "apply migration " + file.name;
        // Checked inside the transaction: another process may be migrating the same file right now.
        Transaction transaction(c, operation);
        {
            Statement done(c, kMigrationApplied, operation);
            done.BindInt(1, version);
            if (done.Step()) continue;
        }
        c.Exec(file.sql.c_str(), operation);
        {
            Statement record(c, kInsertMigration, operation);
            record.BindInt(1, version);
            record.BindText(2, file.name);
            record.BindInt(3, SystemNowMs());
            record.Run();
        }
        transaction.Commit();
        settings_cache_.Invalidate();  // a migration may seed or change them
        template_cache_.Invalidate();
        ++applied;
        spdlog::info("store: applied migration {}", file.name);
    }
    return applied;
}

void SqliteStore::Ping() {
    Read([&](SqliteConnection& c) {
        Statement ping(c, kPing, "ping");
        ping.Run();
    });
}

// ---- Templates, settings, tokens

std::vector<Template> SqliteStore::ListTemplates() {
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectTemplates, "list templates");
        std::vector<Template> templates;
        while (select.Step()) templates.push_back(ReadTemplate(select));
        return templates;
    });
}

std::optional<Template> SqliteStore::GetTemplate(std::string_view name) {
    return template_cache_.Get(name, [&] {
        return Read([&](SqliteConnection& c) -> std::optional<Template> {
            Statement select(c, kSelectTemplate, "get template");
            select.BindText(1, name);
            if (!select.Step()) return std::nullopt;
            return ReadTemplate(select);
        });
    });
}

void SqliteStore::UpdateTemplate(const Template& tmpl) {
    Write("update template", [&](SqliteConnection& c) {
        {
            Statement update(c, kUpdateTemplate, "update template");
            update.BindText(1, tmpl.name);
            update.BindText(2, tmpl.description);
            update.BindText(3, tmpl.language);
            update.BindText(4, tmpl.provider_template_name);
            update.BindText(5, ToJsonArray(tmpl.variables));
            update.BindText(6, tmpl.body);
            update.BindText(7, tmpl.category);
            update.BindInt(8, tmpl.enabled ? 1 : 0);
            update.BindInt(9, tmpl.updated_at);
            update.Run();
        }
        if (sqlite3_changes(c.db()) == 0) {
            throw Error(ErrorKind::kNotFound, "not_found", "no template named '" + tmpl.name + "'");
        }
    });
    template_cache_.Invalidate();
}

Settings SqliteStore::GetSettings() {
    return *settings_cache_.Get("", [&] { return std::optional<Settings>(ReadSettings()); });
}

Settings SqliteStore::ReadSettings() {
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectSettings, "get settings");
        Settings settings;
        if (select.Step()) {
            settings.enabled = select.Int(0) != 0;
            settings.paused = select.Int(1) != 0;
            settings.rollout_percent = static_cast<int>(select.Int(2));
            settings.recipient_min_gap_seconds = static_cast<int>(select.Int(3));
            settings.updated_at = select.Int(4);
            settings.updated_by = select.Text(5);
        }
        return settings;
    });
}

void SqliteStore::PutSettings(const Settings& settings) {
    Write("put settings", [&](SqliteConnection& c) {
        Statement upsert(c, kUpsertSettings, "put settings");
        upsert.BindInt(1, settings.enabled ? 1 : 0);
        upsert.BindInt(2, settings.paused ? 1 : 0);
        upsert.BindInt(3, settings.rollout_percent);
        upsert.BindInt(4, settings.recipient_min_gap_seconds);
        upsert.BindInt(5, settings.updated_at);
        upsert.BindText(6, settings.updated_by);
        upsert.Run();
    });
    settings_cache_.Invalidate();
}

void SqliteStore::InsertToken(const ApiToken& token) {
    Write("insert token", [&](SqliteConnection& c) {
        Statement insert(c, kInsertToken, "insert token");
        insert.BindText(1, token.name);
        insert.BindText(2, ToString(token.role));
        insert.BindText(3, token.token_hash);
        insert.BindInt(4, token.created_at);
        insert.Run();
    });
}

std::optional<ApiToken> SqliteStore::FindTokenByHash(std::string_view token_hash) {
    return Read([&](SqliteConnection& c) -> std::optional<ApiToken> {
        Statement select(c, kSelectToken, "find token");
        select.BindText(1, token_hash);
        if (!select.Step()) return std::nullopt;
        ApiToken token;
        token.name = select.Text(0);
        const std::string role = select.Text(1);
        const auto parsed = ParseRole(role);
        if (!parsed) ThrowUnavailable("find token", "unknown role '" + role + "'");
        token.role = *parsed;
        token.token_hash = select.Text(2);
        token.created_at = select.Int(3);
        return token;
    });
}

// ---- Queue

EnqueueResult SqliteStore::Enqueue(const Message& message, TimeMs next_attempt_at, const std::optional<Lease>& claim) {
    return Write("enqueue message", [&](SqliteConnection& c) { return EnqueueIn(c, message, next_attempt_at, claim); });
}

// One message's insert, inside the caller's transaction: Enqueue and EnqueueBatch (sqlite_batch.cpp).
EnqueueResult SqliteStore::EnqueueIn(SqliteConnection& c, const Message& message, TimeMs next_attempt_at,
                                     const std::optional<Lease>& claim) {
    constexpr const char* kOperation = "enqueue message";
    {
        Message stored = message;
        // Checked in the transaction that stores the message, so that a STOP recorded before it is
        // never missed.
        if (NeedsQueueEntry(stored.status) && PhoneOptedOut(c, stored.phone, kOperation)) {
            stored.status = MessageStatus::kSuppressed;
        }
        const bool queued = NeedsQueueEntry(stored.status);
        // A message leased for an immediate send is being sent, as if ClaimDue had taken it.
        if (queued && claim && stored.status == MessageStatus::kQueued) stored.status = MessageStatus::kSending;
        if (stored.updated_at == 0) stored.updated_at = stored.created_at;
        stored.next_attempt_at.reset();

        bool inserted = false;
        {
            Statement insert(c, kInsertMessage, kOperation);
            insert.BindText(1, stored.id);
            insert.BindText(2, stored.phone);
            insert.BindText(3, stored.message_type);
            insert.BindText(4, stored.provider_template_name);
            insert.BindText(5, stored.language);
            insert.BindText(6, ToJsonArray(stored.parameters));
            insert.BindText(7, stored.context_json);
            insert.BindText(8, ToString(stored.status));
            insert.BindTextOrNull(9, stored.provider_message_id);
            insert.BindInt(10, stored.attempts);
            insert.BindText(11, stored.last_error);
            insert.BindOptText(12, stored.idempotency_key);
            insert.BindInt(13, stored.created_at);
            insert.BindInt(14, stored.updated_at);
            insert.BindOptInt(15, stored.sent_at);
            insert.BindOptInt(16, stored.delivered_at);
            insert.BindOptInt(17, stored.read_at);
            insert.BindOptInt(18, stored.failed_at);
            insert.Run();
            // No change: an idempotency conflict. Trigger rows do not count here, nor do they move
            // the last rowid once the trigger is done.
            if (sqlite3_changes(c.db()) == 1) {
                inserted = true;
                stored.seq = sqlite3_last_insert_rowid(c.db());
            }
        }
        if (!inserted) {
            auto first =
                message.idempotency_key ? LoadMessageByKey(c, *message.idempotency_key, kOperation) : std::nullopt;
            if (!first) ThrowUnavailable(kOperation, "insert ignored but no message holds its idempotency key");
            return EnqueueResult{std::move(*first), false};
        }
        if (queued) {
            Statement queue(c, kInsertQueueEntry, kOperation);
            queue.BindText(1, stored.id);
            queue.BindInt(2, next_attempt_at);
            if (claim) {
                queue.BindText(3, claim->owner);
                queue.BindInt(4, claim->expires_at);
            } else {
                queue.BindNull(3);
                queue.BindNull(4);
            }
            queue.BindInt(5, stored.created_at);
            queue.Run();
            stored.next_attempt_at = next_attempt_at;
        }
        return EnqueueResult{std::move(stored), true};
    }
}

std::vector<Message> SqliteStore::ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) {
    constexpr const char* kOperation = "claim due messages";
    if (limit <= 0) return {};
    return Write(kOperation, [&](SqliteConnection& c) {
        std::vector<std::string> ids;
        {
            Statement due(c, kSelectDue, kOperation);
            due.BindInt(1, force ? std::numeric_limits<TimeMs>::max() : now);
            due.BindInt(2, now);
            due.BindInt(3, limit);
            while (due.Step()) ids.push_back(due.Text(0));
        }
        std::vector<Message> claimed;
        claimed.reserve(ids.size());
        for (const std::string& id : ids) {
            {
                Statement take(c, kLeaseEntry, kOperation);
                take.BindText(1, id);
                take.BindText(2, lease.owner);
                take.BindInt(3, lease.expires_at);
                take.Run();
            }
            {
                Statement mark(c, kMarkSending, kOperation);
                mark.BindText(1, id);
                mark.BindInt(2, now);
                mark.Run();
            }
            if (auto message = LoadMessage(c, id, kOperation)) claimed.push_back(std::move(*message));
        }
        return claimed;
    });
}

void SqliteStore::CompleteAttempt(const AttemptResult& result) {
    constexpr const char* kOperation = "complete attempt";
    const Attempt& attempt = result.attempt;
    Write(kOperation, [&](SqliteConnection& c) {
        {
            Statement insert(c, kInsertAttempt, kOperation);
            insert.BindText(1, attempt.message_id);
            insert.BindInt(2, attempt.number);
            insert.BindInt(3, attempt.started_at);
            insert.BindInt(4, attempt.latency_ms);
            insert.BindText(5, ToString(attempt.outcome));
            insert.BindInt(6, attempt.http_status);
            insert.BindText(7, attempt.error);
            insert.BindText(8, attempt.provider_message_id);
            insert.BindInt(9, attempt.stops_all_sending ? 1 : 0);
            insert.Run();
        }
        if (result.next == AttemptResult::Next::kRetry) {
            {
                Statement retry(c, kRescheduleEntry, kOperation);
                retry.BindText(1, attempt.message_id);
                retry.BindInt(2, result.next_attempt_at);
                retry.Run();
            }
            // The entry is gone: this worker's lease had expired and another one finished the message.
            // The attempt stays on record; the message is not moved back to queued.
            if (sqlite3_changes(c.db()) == 0) return;
        } else {
            Statement remove(c, kDeleteQueueEntry, kOperation);
            remove.BindText(1, attempt.message_id);
            remove.Run();
        }

        const bool sent = result.next == AttemptResult::Next::kSent;
        MessageStatus status = MessageStatus::kQueued;
        if (sent) status = MessageStatus::kSent;
        if (result.next == AttemptResult::Next::kFailed) status = MessageStatus::kFailed;
        Statement apply(c, kApplyAttempt, kOperation);
        apply.BindText(1, attempt.message_id);
        apply.BindInt(2, attempt.number);
        apply.BindText(3, sent ? std::string_view() : std::string_view(attempt.error));
        apply.BindText(4, ToString(status));
        if (sent) {
            apply.BindTextOrNull(5, attempt.provider_message_id);
        } else {
            apply.BindNull(5);
        }
        apply.BindInt(6, result.now);
        apply.Run();
    });
}

void SqliteStore::ReleaseLeases(const std::string& owner, const std::vector<std::string>& message_ids, TimeMs due_at) {
    constexpr const char* kOperation = "release leases";
    if (message_ids.empty()) return;
    Write(kOperation, [&](SqliteConnection& c) {
        for (const std::string& id : message_ids) {
            {
                Statement release(c, kReleaseLease, kOperation);
                release.BindText(1, id);
                release.BindText(2, owner);
                release.BindInt(3, due_at);
                release.Run();
            }
            // Not ours (expired and taken by another worker, or already completed): leave it alone.
            if (sqlite3_changes(c.db()) == 0) continue;
            Statement mark(c, kMarkQueued, kOperation);
            mark.BindText(1, id);
            mark.Run();
        }
    });
}

bool SqliteStore::Requeue(std::string_view message_id, TimeMs now) {
    constexpr const char* kOperation = "requeue message";
    return Write(kOperation, [&](SqliteConnection& c) {
        {
            Statement requeue(c, kRequeueFailed, kOperation);
            requeue.BindText(1, message_id);
            requeue.BindInt(2, now);
            requeue.Run();
        }
        if (sqlite3_changes(c.db()) == 0) return false;
        Statement queue(c, kUpsertQueueEntry, kOperation);
        queue.BindText(1, message_id);
        queue.BindInt(2, now);
        queue.BindInt(3, now);
        queue.Run();
        return true;
    });
}

// ---- Reads

std::optional<Message> SqliteStore::GetMessage(std::string_view message_id) {
    return Read([&](SqliteConnection& c) { return LoadMessage(c, message_id, "get message"); });
}

std::vector<Attempt> SqliteStore::ListAttempts(std::string_view message_id) {
    constexpr const char* kOperation = "list attempts";
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectAttempts, kOperation);
        select.BindText(1, message_id);
        std::vector<Attempt> attempts;
        while (select.Step()) {
            Attempt attempt;
            attempt.message_id = select.Text(0);
            attempt.number = static_cast<int>(select.Int(1));
            attempt.started_at = select.Int(2);
            attempt.latency_ms = static_cast<int>(select.Int(3));
            const std::string outcome = select.Text(4);
            const auto parsed = ParseAttemptOutcome(outcome);
            if (!parsed) ThrowUnavailable(kOperation, "unknown attempt outcome '" + outcome + "'");
            attempt.outcome = *parsed;
            attempt.http_status = static_cast<int>(select.Int(5));
            attempt.error = select.Text(6);
            attempt.provider_message_id = select.Text(7);
            attempt.stops_all_sending = select.Int(8) != 0;
            attempts.push_back(std::move(attempt));
        }
        return attempts;
    });
}

HistoryPage SqliteStore::History(const HistoryQuery& query) {
    constexpr const char* kOperation = "read history";
    // The statement text depends only on which filters are present (constant fragments, one cached
    // statement per combination), so that each filter can use its index; values are bound.
    std::string sql = kSelectMessage;
    const char* glue = " WHERE ";
    const auto add = [&](const char* condition) {
        sql += glue;
        sql += condition;
        glue = " AND ";
    };
    if (query.phone) add("l.phone = ?");
    if (query.status) add("l.status = ?");
    if (query.message_type) add("l.message_type = ?");
    if (query.since) add("l.created_at >= ?");
    if (query.until) add("l.created_at < ?");
    if (query.before_seq) add("l.seq < ?");
    sql += " ORDER BY l.seq DESC LIMIT ?";

    const int limit = std::clamp(query.limit, 1, kMaxHistoryLimit);
    return Read([&](SqliteConnection& c) {
        Statement select(c, sql, kOperation);
        HistoryPage page;
        page.items.reserve(static_cast<std::size_t>(limit));
        int index = 0;
        if (query.phone) select.BindText(++index, *query.phone);
        if (query.status) select.BindText(++index, ToString(*query.status));
        if (query.message_type) select.BindText(++index, *query.message_type);
        if (query.since) select.BindInt(++index, *query.since);
        if (query.until) select.BindInt(++index, *query.until);
        if (query.before_seq) select.BindInt(++index, *query.before_seq);
        select.BindInt(++index, limit + 1);  // one more than asked tells whether another page exists

        bool more = false;
        while (select.Step()) {
            if (static_cast<int>(page.items.size()) == limit) {
                more = true;
                break;
            }
            page.items.push_back(ReadMessage(select, false));
        }
        if (more) page.next_before_seq = page.items.back().seq;
        return page;
    });
}

namespace {

// Adds `n` messages whose current status is `status` to the contract's counts.
void AddToCounts(StatusCounts& counts, std::string_view status, std::int64_t n) {
    counts.total += n;
    if (status == "queued" || status == "sending") counts.queued += n;
    if (status == "sent" || status == "delivered" || status == "read") counts.sent += n;
    if (status == "delivered" || status == "read") counts.delivered += n;
    if (status == "read") counts.read += n;
    if (status == "failed") counts.failed += n;
    if (status == "suppressed") counts.suppressed += n;
    if (status == "skipped_rollout") counts.skipped_rollout += n;
}

// Holds one read snapshot across several statements on a reader connection.
class ReadTransaction {
public:
    ReadTransaction(SqliteConnection& connection, std::string_view operation)
        : db_(connection.db()), commit_(connection.Prepare(kCommit, operation)) {
        Statement(connection, kBeginRead, operation).Run();
    }
    ~ReadTransaction() {
        // Nothing was written: ending it cannot lose anything, and a failure here has no one to tell.
        if (sqlite3_get_autocommit(db_) == 0) {
            sqlite3_step(commit_);
            sqlite3_reset(commit_);
        }
    }
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;

private:
    sqlite3* db_;
    sqlite3_stmt* commit_;
};

// Counts of messages created in a range of time, per (message type, status), as a signed sum of
// counter rows and index counts. The range is cut into pieces from the coarsest counters that fit
// (whole days, then whole hours, then milliseconds from the index). A piece that covers most of
// its bucket is counted as the bucket less the rest of it, so that no piece reads more than half
// a bucket of the finer level.
class StatsRange {
public:
    StatsRange(SqliteConnection& connection, std::string_view operation)
        : connection_(connection), operation_(operation) {}

    // Adds sign x the messages created in [from, to); 0 <= from, to <= kStatsEnd.
    void Add(TimeMs from, TimeMs to, int sign) { Span(kDayLevel, from, to, sign); }

    // Adds sign x every message ever stored.
    void AddAll(int sign) {
        Statement select(connection_, kStatsTotal, operation_);
        AddRows(select, sign);
    }

    Statistics Result() const {
        Statistics stats;
        for (const Entry& entry : entries_) {
            if (entry.count == 0) continue;
            AddToCounts(stats.by_type[entry.type], entry.status, entry.count);
            AddToCounts(stats.all, entry.status, entry.count);
        }
        // Counters of buckets whose messages all changed status can sit at zero.
        std::erase_if(stats.by_type, [](const auto& item) { return item.second.total == 0; });
        return stats;
    }

private:
    static constexpr int kLogLevel = 0;
    static constexpr int kHourLevel = 1;
    static constexpr int kDayLevel = 2;
    static constexpr TimeMs kUnit[] = {1, kStatsHourMs, kStatsDayMs};

    struct Entry {
        std::string type;
        std::string status;
        std::int64_t count;
    };

    // [from, to) where both are multiples of the unit of the level below.
    void Span(int level, TimeMs from, TimeMs to, int sign) {
        if (from >= to) return;
        if (level == kLogLevel) {
            Log(from, to, sign);
            return;
        }
        const TimeMs unit = kUnit[level];
        const TimeMs first = (from + unit - 1) / unit;  // first whole bucket inside
        const TimeMs end = to / unit;                   // whole buckets end here
        // Both ends inside the same bucket.
        if (first > end) {
            Piece(level, from, to, sign);
            return;
        }
        Piece(level, from, first * unit, sign);
        Buckets(level, first, end, sign);
        Piece(level, end * unit, to, sign);
    }

    // [from, to) inside one bucket of the level.
    void Piece(int level, TimeMs from, TimeMs to, int sign) {
        if (from >= to) return;
        const TimeMs unit = kUnit[level];
        if (2 * (to - from) <= unit) {
            Span(level - 1, from, to, sign);
            return;
        }
        const TimeMs bucket = from / unit;
        Buckets(level, bucket, bucket + 1, sign);
        Span(level - 1, bucket * unit, from, -sign);
        Span(level - 1, to, (bucket + 1) * unit, -sign);
    }

    void Buckets(int level, TimeMs first, TimeMs end, int sign) {
        if (first >= end) return;
        Statement select(connection_, level == kHourLevel ? kStatsHourly : kStatsDaily, operation_);
        select.BindInt(1, first);
        select.BindInt(2, end);
        AddRows(select, sign);
    }

    void Log(TimeMs from, TimeMs to, int sign) {
        Statement select(connection_, kStatsFromLog, operation_);
        select.BindInt(1, from);
        select.BindInt(2, to);
        AddRows(select, sign);
    }

    // Rows of (message_type, status, count).
    void AddRows(Statement& select, int sign) {
        while (select.Step()) {
            const std::string_view type = select.View(0);
            const std::string_view status = select.View(1);
            const std::int64_t n = sign * select.Int(2);
            auto it = std::find_if(entries_.begin(), entries_.end(),
                                   [&](const Entry& e) { return e.status == status && e.type == type; });
            if (it != entries_.end()) {
                it->count += n;
            } else {
                entries_.push_back(Entry{std::string(type), std::string(status), n});
            }
        }
    }

    SqliteConnection& connection_;
    std::string_view operation_;
    std::vector<Entry> entries_;  // a few dozen at most: types x statuses
};

}  // namespace

Statistics SqliteStore::Stats(const StatsQuery& query) {
    constexpr const char* kOperation = "read statistics";
    // The range is clamped to [0, kStatsEnd): created_at is a time of this service's clock, after
    // 1970 and before the year 10000, so the clamped range holds the same messages.
    const TimeMs since = std::clamp<TimeMs>(query.since.value_or(0), 0, kStatsEnd);
    const TimeMs until = std::clamp<TimeMs>(query.until.value_or(kStatsEnd), 0, kStatsEnd);
    if (since >= until) return {};
    return Read([&](SqliteConnection& c) {
        ReadTransaction snapshot(c, kOperation);
        TimeMs first_day = 0;
        TimeMs last_day = 0;
        {
            Statement days(c, kStatsDays, kOperation);
            if (!days.Step() || days.IsNull(0)) return Statistics{};  // no message at all
            first_day = days.Int(0);
            last_day = days.Int(1);
        }
        // Days holding messages in [from_day, to_day): what counting those days would read.
        const auto days_with_data = [&](TimeMs from_day, TimeMs to_day) {
            return std::max<TimeMs>(0, std::min(to_day, last_day + 1) - std::max(from_day, first_day));
        };
        const TimeMs inside = days_with_data(since / kStatsDayMs, (until + kStatsDayMs - 1) / kStatsDayMs);
        const TimeMs outside = days_with_data(0, (since + kStatsDayMs - 1) / kStatsDayMs) +
                               days_with_data(until / kStatsDayMs, kStatsEnd / kStatsDayMs);
        StatsRange range(c, kOperation);
        if (outside < inside) {
            // Mostly everything (no since, until now or later): all time less what lies outside.
            range.AddAll(1);
            range.Add(0, since, -1);
            range.Add(until, kStatsEnd, -1);
        } else {
            range.Add(since, until, 1);
        }
        return range.Result();
    });
}

// ---- Webhooks and opt-outs

StatusReportResult SqliteStore::ApplyStatusReport(const WebhookEventRecord& event, const StatusReport& report) {
    constexpr const char* kOperation = "apply status report";
    return Write(kOperation, [&](SqliteConnection& c) {
        StatusReportResult result;
        std::optional<Message> message = LoadMessageByProviderId(c, report.provider_message_id, kOperation);
        if (!InsertWebhookEvent(c, event, report.provider_message_id, message ? "applied" : "unknown_message",
                                kOperation)) {
            result.outcome = WebhookOutcome::kDuplicate;
            return result;
        }
        if (!message) {
            result.outcome = WebhookOutcome::kUnknownMessage;
            return result;
        }
        const StatusTransition transition = ApplyProviderStatus(*message, report.status, report.at, report.reason);
        Message updated = WithTransition(*message, transition, event.received_at);
        if (transition.ChangesMessage()) {
            Statement apply(c, kApplyStatusReport, kOperation);
            apply.BindText(1, updated.id);
            apply.BindText(2, ToString(updated.status));
            apply.BindOptInt(3, updated.sent_at);
            apply.BindOptInt(4, updated.delivered_at);
            apply.BindOptInt(5, updated.read_at);
            apply.BindOptInt(6, updated.failed_at);
            apply.BindText(7, updated.last_error);
            apply.BindInt(8, updated.updated_at);
            apply.Run();
        }
        StatusEvent recorded;
        recorded.message_id = updated.id;
        recorded.event_id = event.event_id;
        recorded.status = report.status;
        recorded.occurred_at = report.at;
        recorded.received_at = event.received_at;
        recorded.applied = transition.ChangesMessage();
        recorded.note = transition.note;
        if (recorded.note.empty() && transition.last_error) recorded.note = *transition.last_error;
        {
            Statement insert(c, kInsertStatusEvent, kOperation);
            insert.BindText(1, recorded.message_id);
            insert.BindText(2, recorded.event_id);
            insert.BindText(3, ToString(recorded.status));
            insert.BindInt(4, recorded.occurred_at);
            insert.BindInt(5, recorded.received_at);
            insert.BindInt(6, recorded.applied ? 1 : 0);
            insert.BindText(7, recorded.note);
            insert.Run();
        }
        result.outcome = WebhookOutcome::kApplied;
        result.message = std::move(updated);
        result.event = std::move(recorded);
        return result;
    });
}

WebhookOutcome SqliteStore::RecordWebhookEvent(const WebhookEventRecord& event,
                                               const std::optional<OptOutChange>& opt_out) {
    constexpr const char* kOperation = "record webhook event";
    return Write(kOperation, [&](SqliteConnection& c) {
        if (!InsertWebhookEvent(c, event, {}, "applied", kOperation)) return WebhookOutcome::kDuplicate;
        if (opt_out) {
            UpsertOptOut(c, opt_out->phone, opt_out->opted_out, event.occurred_at.value_or(event.received_at),
                         kOperation);
        }
        return WebhookOutcome::kApplied;
    });
}

std::vector<StatusEvent> SqliteStore::ListStatusEvents(std::string_view message_id) {
    constexpr const char* kOperation = "list status events";
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectStatusEvents, kOperation);
        select.BindText(1, message_id);
        std::vector<StatusEvent> events;
        while (select.Step()) {
            StatusEvent event;
            event.message_id = select.Text(0);
            event.event_id = select.Text(1);
            const std::string status = select.Text(2);
            const auto parsed = ParseMessageStatus(status);
            if (!parsed) ThrowUnavailable(kOperation, "unknown status '" + status + "'");
            event.status = *parsed;
            event.occurred_at = select.Int(3);
            event.received_at = select.Int(4);
            event.applied = select.Int(5) != 0;
            event.note = select.Text(6);
            events.push_back(std::move(event));
        }
        return events;
    });
}

bool SqliteStore::SetOptOut(std::string_view phone, bool opted_out, TimeMs at) {
    constexpr const char* kOperation = "set opt-out";
    return Write(kOperation, [&](SqliteConnection& c) { return UpsertOptOut(c, phone, opted_out, at, kOperation); });
}

bool SqliteStore::IsOptedOut(std::string_view phone) {
    return Read([&](SqliteConnection& c) { return PhoneOptedOut(c, phone, "read opt-out"); });
}

bool SqliteStore::MarkSuppressed(std::string_view message_id, TimeMs now) {
    constexpr const char* kOperation = "suppress message";
    return Write(kOperation, [&](SqliteConnection& c) {
        {
            Statement mark(c, kMarkSuppressed, kOperation);
            mark.BindText(1, message_id);
            mark.BindInt(2, now);
            mark.BindText(3, "recipient opted out after the message was queued");
            mark.Run();
        }
        if (sqlite3_changes(c.db()) == 0) return false;
        Statement remove(c, kDeleteQueueEntry, kOperation);
        remove.BindText(1, message_id);
        remove.Run();
        return true;
    });
}

std::int64_t SqliteStore::QueueDepth() {
    return Read([&](SqliteConnection& c) {
        Statement select(c, kQueueDepth, "read queue depth");
        return select.Step() ? select.Int(0) : std::int64_t{0};
    });
}

std::optional<TimeMs> SqliteStore::NextDueAt() {
    return Read([&](SqliteConnection& c) -> std::optional<TimeMs> {
        Statement select(c, kNextDue, "read next due time");
        if (!select.Step()) return std::nullopt;
        return select.OptInt(0);
    });
}

}  // namespace notify
