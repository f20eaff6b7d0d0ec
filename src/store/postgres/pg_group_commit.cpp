#include "store/postgres/pg_group_commit.h"

#include <iterator>

#include "common/log_context.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_rows.h"

namespace notify {

PgEnqueueGroupCommit::PgEnqueueGroupCommit(PgPool& pool) : pool_(pool) {
    for (int i = 0; i < kWriters; ++i) writers_.emplace_back([this] { Run(); });
}

PgEnqueueGroupCommit::~PgEnqueueGroupCommit() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& writer : writers_) writer.join();
}

void PgEnqueueGroupCommit::Submit(const Message& message, TimeMs next_attempt_at, EnqueueDone done) {
    {
        std::lock_guard lock(mutex_);
        // `done` runs on a writer: it logs for the request that asked (POST /send-message).
        pending_.push_back(Job{message, next_attempt_at, CarryRequestId(std::move(done))});
    }
    ready_.notify_one();
}

void PgEnqueueGroupCommit::Run() {
    std::vector<Job> group;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
            if (pending_.empty()) return;  // stopping, and nothing left to write
            const std::size_t take = std::min(pending_.size(), kMaxGroup);
            group.assign(std::make_move_iterator(pending_.begin()),
                         std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(take)));
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(take));
        }
        Write(group);
        group.clear();
    }
}

void PgEnqueueGroupCommit::Write(std::vector<Job>& group) {
    constexpr const char* kOperation = "enqueue message";
    std::vector<EnqueueResult> results;
    std::exception_ptr error;
    bool refused_by_a_statement = false;
    try {
        // In submission order: an idempotency key repeated within the group stores one message and
        // the later enqueues get it, as if each had been its own transaction.
        results = PgWrite(pool_, kOperation, [&](PgConnection& c) {
            std::vector<EnqueueResult> written;
            written.reserve(group.size());
            for (const Job& job : group) {
                try {
                    written.push_back(PgEnqueueOne(c, job.message, job.next_attempt_at, std::nullopt, kOperation));
                } catch (const PgStatementError&) {
                    refused_by_a_statement = true;
                    throw;
                }
            }
            return written;
        });
    } catch (...) {
        error = std::current_exception();
    }
    if (error && refused_by_a_statement && group.size() > 1) {
        // One enqueue's own fault (a constraint) fails only that one: each alone, so that the
        // others are stored. A database that is down or hangs fails the group as a whole instead
        // of once per enqueue.
        for (Job& job : group) {
            std::vector<Job> alone;
            alone.push_back(std::move(job));
            Write(alone);
        }
        return;
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
        EnqueueOutcome outcome;
        if (error) {
            outcome.error = error;
        } else {
            outcome.result = std::move(results[i]);
        }
        group[i].done(std::move(outcome));
    }
}

}  // namespace notify
