#pragma once

// RAII wrappers around SQLite: a connection with its cached prepared statements, one use of a
// statement, and write and read transactions. Included only by src/store/sqlite/*.cpp.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notify/counters.h"
#include "store/sqlite/sqlite_statements.h"

namespace notify {

// Throws StoreUnavailable("store: <operation>: <detail>").
[[noreturn]] void ThrowUnavailable(std::string_view operation, std::string_view detail);
// The same with SQLite's message for the connection's last error.
[[noreturn]] void ThrowSqliteError(std::string_view operation, sqlite3* db);

// The counter changes of the writes of the group being committed, in order. A write that is rolled
// back to its savepoint is undone here too (Mark / UndoTo); the group's sum is written just before
// it commits (see SqliteStore::CommitGroup).
class PendingCounters {
public:
    void Add(std::vector<CounterChange> changes) {
        for (CounterChange& change : changes) log_.push_back(std::move(change));
    }
    std::size_t Mark() const { return log_.size(); }
    void UndoTo(std::size_t mark) { log_.resize(mark); }
    void Clear() { log_.clear(); }
    const std::vector<CounterChange>& changes() const { return log_; }

private:
    std::vector<CounterChange> log_;
};

// One sqlite3 handle with its prepared statements. Used by one thread at a time (the store's mutex
// or reader pool sees to that), hence SQLITE_OPEN_NOMUTEX.
class SqliteConnection {
public:
    // A writer connection creates the file when missing; a reader is query_only.
    SqliteConnection(const std::string& path, bool writer);
    ~SqliteConnection();

    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    sqlite3* db() const { return db_; }

    // On the writer: the counter changes of the group in progress.
    PendingCounters& counters() { return counters_; }

    // Prepared once per connection and kept: the statements are few and run all the time.
    sqlite3_stmt* Prepare(std::string_view sql, std::string_view operation);

    // For pragmas and migration scripts: constant text with several statements and no values.
    void Exec(const char* sql, std::string_view operation);

private:
    // Looked up by the caller's string_view without building a std::string per statement run.
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
    };

    sqlite3* db_ = nullptr;
    PendingCounters counters_;
    std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
};

// One use of a cached prepared statement; resets it when done so that it holds no read snapshot.
class Statement {
public:
    Statement(SqliteConnection& connection, std::string_view sql, std::string_view operation)
        : db_(connection.db()), stmt_(connection.Prepare(sql, operation)), operation_(operation) {
        // The same statement used twice at once would be a bug here; refuse rather than corrupt it.
        if (sqlite3_stmt_busy(stmt_) != 0)
            throw std::logic_error("store: statement already in use: " + std::string(sql));
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

}  // namespace notify
