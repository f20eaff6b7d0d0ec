#pragma once

// The group commit of PostgresStore::EnqueueAsync. Included only by src/store/postgres/.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.h"

namespace notify {

class PgPool;

// Writes the enqueues handed to it on threads of its own, each group of those waiting in one
// transaction: one commit (one WAL flush) for many POST /send-message instead of one each, and no
// I/O thread waits for the database. When one enqueue is refused by a statement (a constraint), the
// group is written again one by one, so that only that one fails; when the database is down, the
// whole group fails (none of it is stored; each caller answers 503 and may retry).
class PgEnqueueGroupCommit {
public:
    static constexpr std::size_t kMaxGroup = 256;
    static constexpr int kWriters = 2;  // one commits while the other gathers and writes the next group

    explicit PgEnqueueGroupCommit(PgPool& pool);
    // Writes what is still waiting, then stops.
    ~PgEnqueueGroupCommit();
    PgEnqueueGroupCommit(const PgEnqueueGroupCommit&) = delete;
    PgEnqueueGroupCommit& operator=(const PgEnqueueGroupCommit&) = delete;

    void Submit(const Message& message, TimeMs next_attempt_at, EnqueueDone done);

private:
    struct Job {
        Message message;
        TimeMs next_attempt_at;
        EnqueueDone done;
    };

    void Run();
    void Write(std::vector<Job>& group);

    PgPool& pool_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> pending_;
    bool stopping_ = false;
    std::vector<std::thread> writers_;
};

}  // namespace notify
