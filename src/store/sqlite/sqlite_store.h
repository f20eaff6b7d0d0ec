#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/business_store.h"
#include "store/migrations.h"
#include "store/read_cache.h"
#include "store/sqlite/group_selection.h"
#include "store/store.h"

struct sqlite3;

namespace notify {

class SqliteConnection;

// The embedded store: one SQLite file in WAL mode. Writes go through one connection (SQLite allows one
// writer at a time anyway); reads use a small pool of connections, which WAL lets run beside the
// write. Writes that arrive together are committed together (group commit): one BEGIN IMMEDIATE
// transaction and one fsync for the group, each write in its own savepoint, and no caller returns
// before the commit that holds its write is on disk. BEGIN IMMEDIATE makes another process on the
// same file (a cron `process-queue`) wait for the busy timeout instead of failing mid-transaction.
struct AsyncEnqueueJob;

class SqliteStore final : public Store, public BusinessStore {
public:
    // Creates the file and its parent directory when missing. Throws StoreUnavailable when the file
    // cannot be opened or is not a database. Does not migrate: call Migrate().
    explicit SqliteStore(std::string path);
    ~SqliteStore() override;

    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    const std::string& path() const { return path_; }

    BusinessStore& Business() override { return *this; }

    // In sqlite_business.cpp:
    BusinessWriteResult WriteBusiness(const BusinessChange& change,
                                      const std::optional<OutboxMessage>& notification) override;
    std::optional<Customer> GetCustomer(std::string_view id) override;
    std::optional<Customer> FindCustomerByPhone(std::string_view e164) override;
    std::optional<Order> GetOrder(std::string_view id) override;
    std::optional<Subscription> GetSubscription(std::string_view id) override;
    std::optional<Payment> GetPayment(std::string_view id) override;
    std::optional<Delivery> GetDelivery(std::string_view id) override;
    std::vector<Order> ListOrders(std::string_view customer_id) override;
    std::vector<Subscription> ListSubscriptions(std::string_view customer_id) override;
    std::vector<Payment> ListPayments(std::string_view customer_id) override;
    std::vector<Delivery> ListDeliveries(std::string_view customer_id) override;
    InboxPage Inbox(const InboxQuery& query) override;

    std::vector<MigrationState> MigrationStatus() override;
    int Migrate() override;
    int MigrateTo(std::int64_t version) override;
    // MigrateTo over `files` instead of the embedded migrations (tests: a list without a down file).
    int MigrateTo(std::int64_t version, const std::vector<MigrationFile>& files);
    void Ping() override;

    std::vector<Template> ListTemplates() override;
    std::optional<Template> GetTemplate(std::string_view name) override;
    void UpdateTemplate(const Template& tmpl) override;

    Settings GetSettings() override;
    void PutSettings(const Settings& settings) override;

    void InsertToken(const ApiToken& token) override;
    std::optional<ApiToken> FindTokenByHash(std::string_view token_hash) override;
    // In sqlite_tokens.cpp:
    std::vector<ApiToken> ListTokens() override;
    int RevokeTokens(std::string_view name) override;
    void RecordTokenUse(std::string_view token_hash, TimeMs at) override;

    EnqueueResult Enqueue(const Message& message, TimeMs next_attempt_at, const std::optional<Lease>& claim) override;
    void EnqueueAsync(const Message& message, TimeMs next_attempt_at, EnqueueDone done) override;
    std::vector<EnqueueResult> EnqueueBatch(const std::vector<Message>& messages, TimeMs next_attempt_at) override;
    std::vector<Message> ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) override;
    bool CompleteAttempt(const AttemptResult& result) override;
    std::size_t ReleaseLeases(const std::string& owner, const std::vector<std::string>& message_ids,
                              TimeMs due_at) override;
    bool Requeue(std::string_view message_id, TimeMs now) override;

    std::optional<Message> GetMessage(std::string_view message_id) override;
    std::vector<Attempt> ListAttempts(std::string_view message_id) override;
    HistoryPage History(const HistoryQuery& query) override;
    Statistics Stats(const StatsQuery& query) override;

    StatusReportResult ApplyStatusReport(const WebhookEventRecord& event, const StatusReport& report) override;
    WebhookOutcome RecordWebhookEvent(const WebhookEventRecord& event,
                                      const std::optional<OptOutChange>& opt_out) override;
    std::vector<StatusEvent> ListStatusEvents(std::string_view message_id) override;
    bool SetOptOut(std::string_view phone, bool opted_out, TimeMs at) override;
    bool IsOptedOut(std::string_view phone) override;
    bool MarkSuppressed(std::string_view message_id, TimeMs now) override;

    PurgeResult PurgeOlderThan(TimeMs cutoff, std::size_t limit) override;

    std::int64_t QueueDepth() override;
    std::optional<TimeMs> NextDueAt() override;

private:
    friend struct AsyncEnqueueJob;
    Settings ReadSettings();
    void StartCheckpointer();
    void RequestCheckpoint();
    void CheckpointLoop();
    std::unique_ptr<SqliteConnection> AcquireReader();
    void ReleaseReader(std::unique_ptr<SqliteConnection> connection);

    // Runs fn(connection) on a pooled reader connection.
    template <typename Fn>
    auto Read(Fn&& fn);
    // Runs fn(connection) in one write transaction named `operation` (for error messages); commits
    // when fn returns, rolls back when it throws.
    template <typename Fn>
    auto Write(const char* operation, Fn&& fn);
    // The same with a class (group_selection.h): the queue processor's writes are background.
    template <typename Fn>
    auto Write(const char* operation, WriteClass write_class, Fn&& fn);

    // One write waiting for its group: fn, type-erased without allocating.
    struct WriteJob {
        template <typename Body>
        WriteJob(const char* operation_name, Body& fn)
            : operation(operation_name),
              body(&fn),
              invoke([](void* f, SqliteConnection& connection) { (*static_cast<Body*>(f))(connection); }) {}

        const char* operation;
        void* body;
        void (*invoke)(void* body, SqliteConnection& connection);
        std::exception_ptr error;
        bool done = false;  // under group_mutex_
        std::condition_variable wake;
        // Set for a write nobody waits for: called once its group is done (error set when it
        // failed), outside the group lock. It owns the job (through owner) and frees it.
        void (*complete)(WriteJob& job) = nullptr;
        void* owner = nullptr;
        WriteClass write_class = WriteClass::kForeground;
    };
    void RunInGroup(WriteJob& job);
    // Queues a write with `complete` set and returns at once; the commit thread leads its group
    // when no waiting caller does.
    void RunInGroupAsync(WriteJob& job);
    void LeadGroup(std::unique_lock<std::mutex>& lock, const WriteJob* leader);
    std::vector<WriteJob*> TakeGroup();
    void CommitLoop();
    void CommitGroup(const std::vector<WriteJob*>& group);
    // Migrate (target nullopt) and MigrateTo: the steps PlanMigration gives, one transaction each.
    int RunMigrations(const std::vector<MigrationFile>& files, std::optional<std::int64_t> target);

    const std::string path_;

    std::mutex write_mutex_;  // the writer connection: a group's commit, or Migrate
    std::unique_ptr<SqliteConnection> writer_;

    // Checkpoints the WAL off the write path (see StartCheckpointer).
    std::unique_ptr<SqliteConnection> checkpointer_;
    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_wanted_;
    bool checkpoint_requested_ = false;
    bool checkpoint_stop_ = false;
    std::thread checkpoint_thread_;

    std::mutex group_mutex_;
    std::vector<WriteJob*> pending_writes_;  // oldest first
    bool group_in_progress_ = false;
    std::condition_variable commit_wanted_;  // the commit thread: a group to lead, or stop
    bool commit_stop_ = false;
    std::thread commit_thread_;  // started last in the constructor, joined first in the destructor

    // Read by every send request, written by operators now and then.
    ReadCache<Settings> settings_cache_;
    ReadCache<Template> template_cache_;

    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
};

}  // namespace notify
