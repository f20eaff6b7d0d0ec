#pragma once

// Group commit for PostgresStore: POST /send-message's enqueue and the queue processor's attempt
// records. Included only by src/store/postgres/.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace notify {

class PgConnection;
class PgPool;

// Writes the jobs handed to it on threads of its own, each group of those waiting in one
// transaction: one commit (one WAL flush, and one update of each statistics counter row) for many
// writes instead of one each. When one job is refused by a statement (a constraint), the group is
// written again one by one, so that only that one fails; when the database is down, the whole
// group fails (none of it is stored; each job hears the error).
class PgGroupCommit {
public:
    struct Job {
        // Groups are written in lock_key order (stable; jobs with equal keys keep submission order),
        // so that two writers lock rows in one order and do not deadlock each other.
        std::string lock_key;
        // Runs inside the group's transaction; runs again (in a retry, or alone) when the
        // transaction is rolled back, so it keeps no state but what the next run overwrites.
        std::function<void(PgConnection&)> write;
        // Runs once, on a writer: nullptr after the commit, otherwise the error.
        std::function<void(std::exception_ptr)> finish;
    };

    static constexpr int kWriters = 2;  // one commits while the other gathers and writes the next group

    // `operation` names the writes in errors and logs.
    PgGroupCommit(PgPool& pool, std::string operation, std::size_t max_group);
    // Writes what is still waiting, then stops.
    ~PgGroupCommit();
    PgGroupCommit(const PgGroupCommit&) = delete;
    PgGroupCommit& operator=(const PgGroupCommit&) = delete;

    void Submit(Job job);

private:
    void Run();
    void Write(std::vector<Job>& group);

    PgPool& pool_;
    const std::string operation_;
    const std::size_t max_group_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> pending_;
    bool stopping_ = false;
    std::vector<std::thread> writers_;
};

}  // namespace notify
