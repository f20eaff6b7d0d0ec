#pragma once

// What the files of the SQLite store share beside the class itself: the connection wrappers, the
// named statements, the row mapping, and the definitions of SqliteStore::Read and ::Write (member
// templates, so every .cpp file that runs a read or a write needs them). Included only by
// src/store/sqlite/*.cpp.

#include <optional>
#include <type_traits>
#include <utility>

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statements.h"
#include "store/sqlite/sqlite_store.h"

namespace notify {

// Stores one message inside the caller's write transaction: reads the recipient's opt-out, applies
// DecideEnqueue (src/notify/enqueue_rules.h), inserts the message and, when it waits to be sent, its
// queue entry (leased to `claim` for an immediate send). A repeated idempotency key writes nothing
// and returns the first message with created = false. The one per-message routine of
// SqliteStore::Enqueue and of a batch enqueue, so that opt-outs and counters (added to
// connection.counters() as the last step, once every statement succeeded) come out the same for
// both. Throws StoreUnavailable on a constraint failure (a repeated id); EnqueueBatch lets that undo
// the whole batch (its group member's savepoint, counters included): a batch is stored whole or not.
EnqueueResult EnqueueOne(SqliteConnection& connection, const Message& message, TimeMs next_attempt_at,
                         const std::optional<Lease>& claim, std::string_view operation);

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
    return Write(operation, WriteClass::kForeground, std::forward<Fn>(fn));
}

template <typename Fn>
auto SqliteStore::Write(const char* operation, WriteClass write_class, Fn&& fn) {
    using Result = std::invoke_result_t<Fn&, SqliteConnection&>;
    if constexpr (std::is_void_v<Result>) {
        auto body = [&fn](SqliteConnection& c) { fn(c); };
        WriteJob job(operation, body);
        job.write_class = write_class;
        RunInGroup(job);
    } else {
        std::optional<Result> result;
        auto body = [&fn, &result](SqliteConnection& c) { result.emplace(fn(c)); };
        WriteJob job(operation, body);
        job.write_class = write_class;
        RunInGroup(job);
        return std::move(*result);
    }
}

}  // namespace notify
