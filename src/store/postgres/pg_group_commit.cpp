#include "store/postgres/pg_group_commit.h"

#include <algorithm>
#include <iterator>

#include "store/postgres/pg_connection.h"

namespace notify {

PgGroupCommit::PgGroupCommit(PgPool& pool, std::string operation, std::size_t max_group)
    : pool_(pool), operation_(std::move(operation)), max_group_(max_group) {
    for (int i = 0; i < kWriters; ++i) writers_.emplace_back([this] { Run(); });
}

PgGroupCommit::~PgGroupCommit() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& writer : writers_) writer.join();
}

void PgGroupCommit::Submit(Job job) {
    {
        std::lock_guard lock(mutex_);
        pending_.push_back(std::move(job));
    }
    ready_.notify_one();
}

void PgGroupCommit::Run() {
    std::vector<Job> group;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
            if (pending_.empty()) return;  // stopping, and nothing left to write
            const std::size_t take = std::min(pending_.size(), max_group_);
            group.assign(std::make_move_iterator(pending_.begin()),
                         std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(take)));
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(take));
        }
        std::stable_sort(group.begin(), group.end(),
                         [](const Job& a, const Job& b) { return a.lock_key < b.lock_key; });
        Write(group);
        group.clear();
    }
}

void PgGroupCommit::Write(std::vector<Job>& group) {
    std::exception_ptr error;
    bool refused_by_a_statement = false;
    try {
        PgWrite(pool_, operation_, [&](PgConnection& c) {
            for (const Job& job : group) {
                try {
                    job.write(c);
                } catch (const PgStatementError&) {
                    refused_by_a_statement = true;
                    throw;
                }
            }
        });
    } catch (...) {
        error = std::current_exception();
    }
    if (error && refused_by_a_statement && group.size() > 1) {
        // One job's own fault (a constraint) fails only that one: each alone, so that the others
        // are stored. A database that is down or hangs fails the group as a whole instead of once
        // per job.
        for (Job& job : group) {
            std::vector<Job> alone;
            alone.push_back(std::move(job));
            Write(alone);
        }
        return;
    }
    for (Job& job : group) job.finish(error);
}

}  // namespace notify
