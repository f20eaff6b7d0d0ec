#pragma once

// PgWrite's definition (a template), included at the end of pg_connection.h.

#include <type_traits>
#include <utility>

#include "common/errors.h"

namespace notify {

// Ends a failed transaction; a connection that cannot even roll back is dropped by the pool.
inline void RollbackQuietly(PgConnection& c, std::string_view operation) noexcept {
    c.counters().clear();
    try {
        if (c.Healthy()) c.Exec("ROLLBACK", operation);
    } catch (...) {
    }
}

template <typename Fn>
auto PgWrite(PgPool& pool, std::string_view operation, Fn&& fn) {
    using Result = std::invoke_result_t<Fn&, PgConnection&>;
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
        PgLease lease(pool);
        PgConnection& c = *lease;
        c.counters().clear();
        c.Exec("BEGIN", operation);
        try {
            if constexpr (std::is_void_v<Result>) {
                fn(c);
                FlushCounters(c, operation);
                c.Exec("COMMIT", operation);
                return;
            } else {
                Result result = fn(c);
                FlushCounters(c, operation);
                c.Exec("COMMIT", operation);
                return result;
            }
        } catch (const PgStatementError& error) {
            RollbackQuietly(c, operation);
            const bool retry = error.sqlstate() == kSerializationFailure || error.sqlstate() == kDeadlockDetected;
            if (!retry || attempt == kAttempts) ThrowPgUnavailable(operation, error.what());
        } catch (...) {
            // A typed Error (a conflict) or StoreUnavailable: nothing of the transaction stays.
            RollbackQuietly(c, operation);
            throw;
        }
    }
}

template <typename Fn>
auto PgSnapshot(PgPool& pool, std::string_view operation, Fn&& fn) {
    PgLease lease(pool);
    PgConnection& c = *lease;
    c.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", operation);
    try {
        auto result = fn(c);
        c.Exec("COMMIT", operation);
        return result;
    } catch (...) {
        RollbackQuietly(c, operation);
        throw;
    }
}

}  // namespace notify
