#pragma once

// libpq behind RAII: a result, a connection that prepares each statement once under a name, a
// small pool with a wait limit, and a transaction runner. Included only by src/store/postgres/.

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "notify/counters.h"

namespace notify {

// SQLSTATEs the store reacts to.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

// A statement failed inside PostgreSQL (the connection is fine): StoreUnavailable to callers, but
// the SQLSTATE and the constraint are kept so that the store can tell an expected conflict apart.
class PgStatementError : public std::runtime_error {
public:
    PgStatementError(const std::string& message, std::string sqlstate, std::string constraint)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)), constraint_(std::move(constraint)) {}
    const std::string& sqlstate() const { return sqlstate_; }
    const std::string& constraint() const { return constraint_; }

private:
    std::string sqlstate_;
    std::string constraint_;
};

// Bound values, all sent as text (PostgreSQL casts them to the parameter's type); nullopt is NULL.
class PgParams {
public:
    PgParams& Text(std::string_view value) {
        values_.emplace_back(std::string(value));
        return *this;
    }
    PgParams& Int(std::int64_t value) {
        values_.emplace_back(std::to_string(value));
        return *this;
    }
    PgParams& Bool(bool value) {
        values_.emplace_back(value ? "true" : "false");
        return *this;
    }
    PgParams& Null() {
        values_.emplace_back(std::nullopt);
        return *this;
    }
    PgParams& OptText(const std::optional<std::string>& value) { return value ? Text(*value) : Null(); }
    PgParams& OptInt(const std::optional<std::int64_t>& value) { return value ? Int(*value) : Null(); }
    // Empty text is NULL (a provider id not given yet).
    PgParams& TextOrNull(std::string_view value) { return value.empty() ? Null() : Text(value); }

    const std::vector<std::optional<std::string>>& values() const { return values_; }

private:
    std::vector<std::optional<std::string>> values_;
};

class PgResult {
public:
    explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

    int Rows() const { return PQntuples(result_.get()); }
    // Rows an INSERT, UPDATE or DELETE changed.
    std::int64_t Affected() const;
    bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string Text(int row, int column) const { return PQgetvalue(result_.get(), row, column); }
    std::string_view View(int row, int column) const {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
    }
    std::int64_t Int(int row, int column) const;
    bool Bool(int row, int column) const { return View(row, column) == "t"; }
    std::optional<std::string> OptText(int row, int column) const {
        if (IsNull(row, column)) return std::nullopt;
        return Text(row, column);
    }
    std::optional<std::int64_t> OptInt(int row, int column) const {
        if (IsNull(row, column)) return std::nullopt;
        return Int(row, column);
    }

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class PgConnection {
public:
    // Throws StoreUnavailable naming the problem (never the password) when it cannot connect.
    PgConnection(const std::string& url, std::chrono::milliseconds connect_timeout,
                 std::chrono::milliseconds statement_timeout);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // Runs a statement with its values bound; prepared under a name on first use on this connection.
    // A failure throws PgStatementError (the statement's fault) or StoreUnavailable (the connection).
    PgResult Run(const char* sql, const PgParams& params, std::string_view operation);
    PgResult Run(const char* sql, std::string_view operation) { return Run(sql, PgParams{}, operation); }
    // Runs a statement built at run time from constant fragments (History), unprepared.
    PgResult RunDynamic(const std::string& sql, const PgParams& params, std::string_view operation);
    // Runs SQL text of one or more statements without values (migrations, BEGIN, COMMIT).
    void Exec(const char* sql, std::string_view operation);

    // False once the server went away: the pool drops it.
    bool Healthy() const;
    // After LISTEN: waits up to `timeout` for notifications and returns how many came (0 on
    // timeout). Throws StoreUnavailable when the connection breaks.
    int WaitForNotifications(std::chrono::milliseconds timeout);

    // The statistics counter changes of the open write transaction, written before it commits.
    std::vector<CounterChange>& counters() { return counters_; }
    void AddCounters(const std::vector<CounterChange>& changes) {
        counters_.insert(counters_.end(), changes.begin(), changes.end());
    }

private:
    PgResult Check(PGresult* result, std::string_view operation);

    PGconn* conn_ = nullptr;
    std::unordered_map<const char*, std::string> prepared_;  // SQL text (a constant) -> name
    std::vector<CounterChange> counters_;
};

// Up to max_size connections, made on demand. Acquire waits up to the connect timeout for one to be
// returned, then throws StoreUnavailable.
class PgPool {
public:
    PgPool(std::string url, std::size_t max_size, std::chrono::milliseconds connect_timeout,
           std::chrono::milliseconds statement_timeout);

    std::unique_ptr<PgConnection> Acquire();
    // A connection of the pool's settings that is not the pool's (a listener's).
    std::unique_ptr<PgConnection> Connect() const;
    void Release(std::unique_ptr<PgConnection> connection);

private:
    const std::string url_;
    const std::size_t max_size_;
    const std::chrono::milliseconds connect_timeout_;
    const std::chrono::milliseconds statement_timeout_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<PgConnection>> idle_;
    std::size_t open_ = 0;  // idle and lent out
};

// A pooled connection for one scope, back to the pool (or dropped when broken) at its end.
class PgLease {
public:
    explicit PgLease(PgPool& pool) : pool_(pool), connection_(pool.Acquire()) {}
    ~PgLease() { pool_.Release(std::move(connection_)); }
    PgLease(const PgLease&) = delete;
    PgLease& operator=(const PgLease&) = delete;
    PgConnection& operator*() { return *connection_; }

private:
    PgPool& pool_;
    std::unique_ptr<PgConnection> connection_;
};

// Writes the summed counter changes of c.counters() (one upsert per row, in key order so that two
// transactions never lock the same counter rows in opposite orders) and clears them.
void FlushCounters(PgConnection& c, std::string_view operation);

// Runs fn(connection) in one READ COMMITTED transaction; commits when it returns, rolls back when
// it throws. A serialization failure or deadlock is retried a few times; other statement failures
// become StoreUnavailable; typed Errors pass through.
template <typename Fn>
auto PgWrite(PgPool& pool, std::string_view operation, Fn&& fn);

// Runs fn(connection) outside a transaction (each statement sees the latest commits).
template <typename Fn>
auto PgRead(PgPool& pool, Fn&& fn) {
    PgLease lease(pool);
    return fn(*lease);
}

// Runs fn(connection) in a read-only REPEATABLE READ transaction: several statements, one snapshot.
template <typename Fn>
auto PgSnapshot(PgPool& pool, std::string_view operation, Fn&& fn);

[[noreturn]] void ThrowPgUnavailable(std::string_view operation, const std::string& detail);

}  // namespace notify

#include "store/postgres/pg_connection_inl.h"
