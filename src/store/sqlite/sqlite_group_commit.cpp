// The SQLite store's connections and write path: opening the file, the background checkpointer, the
// pool of reader connections, and group commit (RunInGroup / CommitGroup).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "store/sqlite/file_modes.h"
#include "store/sqlite/group_selection.h"
#include "store/sqlite/sqlite_store_internal.h"

namespace notify {
namespace {

// As many as the threads that read at once (handlers and workers): opening one costs a schema parse.
constexpr std::size_t kMaxIdleReaders = 64;
// WAL pages after which the background thread checkpoints (SQLite's own default threshold).
constexpr int kCheckpointPages = 1000;
// Bounds how long the last write of a group waits behind the others.
constexpr std::size_t kMaxGroupSize = 128;
// Background writes (the queue processor's) in a group that also holds foreground ones.
constexpr std::size_t kMaxBackgroundPerGroup = 4;

// One upsert per distinct counter row for the whole group; if one fails, so does the group.
void WriteCounterChanges(SqliteConnection& c, std::string_view operation) {
    for (const CounterChange& change : SumCounterChanges(c.counters().changes())) {
        const char* sql = change.key.grain == CounterGrain::kHour  ? kAddHourlyCount
                          : change.key.grain == CounterGrain::kDay ? kAddDailyCount
                                                                   : kAddTotalCount;
        Statement add(c, sql, operation);
        if (change.key.grain != CounterGrain::kTotal) add.BindInt(1, change.key.bucket);
        add.BindText(2, change.key.message_type);
        add.BindText(3, ToString(change.key.status));
        add.BindInt(4, change.delta);
        add.Run();
    }
    c.counters().Clear();
}

}  // namespace

// ---- Connections

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {
    if (path_.empty()) ThrowUnavailable("open database", "empty path");
    PrepareDatabaseFiles(path_);  // 0700 directory, 0600 file (and so -wal, -shm)
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
    commit_thread_ = std::thread([this] { CommitLoop(); });
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
    {
        std::lock_guard lock(group_mutex_);
        commit_stop_ = true;
    }
    commit_wanted_.notify_one();
    commit_thread_.join();
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

// Group commit: the first caller that finds no group in progress becomes the leader, takes every
// write waiting (up to kMaxGroupSize) and commits them as one transaction, one fsync for all; the
// others wait for it. No timer: a group is what arrived during the previous commit, so a lone write
// commits at once. A write nobody waits for (RunInGroupAsync) is led by the commit thread.
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
        LeadGroup(lock, &job);
    }
    lock.unlock();
    if (job.error) std::rethrow_exception(job.error);
}

void SqliteStore::RunInGroupAsync(WriteJob& job) {
    std::lock_guard lock(group_mutex_);
    pending_writes_.push_back(&job);
    if (!group_in_progress_) commit_wanted_.notify_one();
}

// The next group, as SelectGroup (group_selection.h) picks it; those left keep their order. Under
// group_mutex_.
std::vector<SqliteStore::WriteJob*> SqliteStore::TakeGroup() {
    std::vector<WriteClass> classes;
    classes.reserve(pending_writes_.size());
    for (const WriteJob* job : pending_writes_) classes.push_back(job->write_class);
    const std::vector<std::size_t> chosen = SelectGroup(classes, kMaxGroupSize, kMaxBackgroundPerGroup);
    std::vector<WriteJob*> group;
    group.reserve(chosen.size());
    std::vector<WriteJob*> left;
    left.reserve(pending_writes_.size() - chosen.size());
    std::size_t next = 0;
    for (std::size_t i = 0; i < pending_writes_.size(); ++i) {
        if (next < chosen.size() && chosen[next] == i) {
            group.push_back(pending_writes_[i]);
            ++next;
        } else {
            left.push_back(pending_writes_[i]);
        }
    }
    pending_writes_.swap(left);
    return group;
}

// Called with the lock held and no group in progress; returns with the lock held. Completions of
// asynchronous members run after the next leader was woken, outside the lock: they answer callers.
void SqliteStore::LeadGroup(std::unique_lock<std::mutex>& lock, const WriteJob* leader) {
    group_in_progress_ = true;
    std::vector<WriteJob*> group = TakeGroup();
    lock.unlock();
    CommitGroup(group);
    lock.lock();
    group_in_progress_ = false;
    std::vector<WriteJob*> completions;
    for (WriteJob* member : group) {
        if (member->complete) {
            completions.push_back(member);
            continue;
        }
        member->done = true;
        if (member != leader) member->wake.notify_one();
    }
    if (pending_writes_.empty()) {
        if (commit_stop_) commit_wanted_.notify_one();
    } else if (pending_writes_.front()->complete) {
        commit_wanted_.notify_one();
    } else {
        pending_writes_.front()->wake.notify_one();
    }
    if (completions.empty()) return;
    lock.unlock();
    for (WriteJob* member : completions) member->complete(*member);  // each frees its job
    lock.lock();
}

// Leads the groups that begin with an asynchronous write (no caller waits to lead them). On
// shutdown it finishes what is pending first: every accepted write gets its answer.
void SqliteStore::CommitLoop() {
    std::unique_lock lock(group_mutex_);
    while (true) {
        commit_wanted_.wait(lock, [this] {
            return (commit_stop_ && pending_writes_.empty() && !group_in_progress_) ||
                   (!group_in_progress_ && !pending_writes_.empty());
        });
        if (pending_writes_.empty()) return;  // stopping, and nothing left
        LeadGroup(lock, nullptr);
    }
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
    c.counters().Clear();  // a group that failed may have left changes
    try {
        Transaction transaction(c, group.front()->operation);
        for (WriteJob* member : group) {
            const std::size_t counters_mark = c.counters().Mark();
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
                c.counters().UndoTo(counters_mark);
            }
        }
        WriteCounterChanges(c, group.front()->operation);
        transaction.Commit();
    } catch (...) {
        // BEGIN or COMMIT failed, or undoing a member did: nothing of the group is kept.
        if (sqlite3_get_autocommit(c.db()) == 0) sqlite3_exec(c.db(), kRollback, nullptr, nullptr, nullptr);
        fail_all(std::current_exception());
    }
}

}  // namespace notify
