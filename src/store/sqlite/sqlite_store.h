#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace notify {

class SqliteConnection;

// The embedded store: one SQLite file in WAL mode. Writes go through one connection under a mutex
// (SQLite allows one writer at a time anyway); reads use a small pool of connections, which WAL lets
// run beside the write. Every write is one BEGIN IMMEDIATE transaction, so that another process on the
// same file (a cron `process-queue`) waits for the busy timeout instead of failing mid-transaction.
class SqliteStore final : public Store {
public:
    // Creates the file and its parent directory when missing. Throws StoreUnavailable when the file
    // cannot be opened or is not a database. Does not migrate: call Migrate().
    explicit SqliteStore(std::string path);
    ~SqliteStore() override;

    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    const std::string& path() const { return path_; }

    std::vector<MigrationState> MigrationStatus() override;
    int Migrate() override;
    void Ping() override;

    std::vector<Template> ListTemplates() override;
    std::optional<Template> GetTemplate(std::string_view name) override;
    void UpdateTemplate(const Template& tmpl) override;

    Settings GetSettings() override;
    void PutSettings(const Settings& settings) override;

    void InsertToken(const ApiToken& token) override;
    std::optional<ApiToken> FindTokenByHash(std::string_view token_hash) override;

    EnqueueResult Enqueue(const Message& message, TimeMs next_attempt_at, const std::optional<Lease>& claim) override;
    std::vector<Message> ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) override;
    void CompleteAttempt(const AttemptResult& result) override;
    void ReleaseLeases(const std::string& owner, const std::vector<std::string>& message_ids, TimeMs due_at) override;
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

    std::int64_t QueueDepth() override;
    std::optional<TimeMs> NextDueAt() override;

private:
    std::unique_ptr<SqliteConnection> AcquireReader();
    void ReleaseReader(std::unique_ptr<SqliteConnection> connection);

    // Runs fn(connection) on a pooled reader connection.
    template <typename Fn>
    auto Read(Fn&& fn);
    // Runs fn(connection) in one write transaction named `operation` (for error messages); commits
    // when fn returns, rolls back when it throws.
    template <typename Fn>
    auto Write(const char* operation, Fn&& fn);

    const std::string path_;

    std::mutex write_mutex_;
    std::unique_ptr<SqliteConnection> writer_;

    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
};

}  // namespace notify
