#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/business_store.h"
#include "store/read_cache.h"
#include "store/store.h"

namespace notify {

class PgGroupCommit;
class PgPool;
class PostgresStore;

// The business rows in the PostgreSQL database of a PostgresStore; each write shares its
// transaction with the message it causes (pg_business.cpp).
class PostgresBusinessStore final : public BusinessStore {
public:
    explicit PostgresBusinessStore(PgPool& pool) : pool_(pool) {}

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

private:
    PgPool& pool_;
};

// The pacing of provider calls that every node on the database shares (pg_pacing.cpp).
class PostgresPacingStore final : public PacingStore {
public:
    explicit PostgresPacingStore(PgPool& pool) : pool_(pool) {}

    PacingState ReadPacing() override;
    void UpdatePacing(const std::function<void(PacingState&)>& decide) override;
    std::optional<TimeMs> ReserveRecipient(std::string_view phone, TimeMs now, TimeMs gap_ms) override;
    void ReleaseRecipient(std::string_view phone, TimeMs reserved_at) override;
    void ForgetRecipientsBefore(TimeMs cutoff) override;

private:
    PgPool& pool_;
};

// The store on a PostgreSQL database (DATABASE_URL=postgresql://...), through libpq: a small pool
// of connections, each statement prepared once per connection, every write one READ COMMITTED
// transaction (retried on a deadlock), claims with FOR UPDATE SKIP LOCKED so that several
// processes can share one queue. TLS and other libpq parameters pass through in the URL.
class PostgresStore final : public Store {
public:
    struct Options {
        std::size_t pool_size = 8;
        std::chrono::milliseconds connect_timeout{5000};
        // statement_timeout and lock_timeout of every connection: a database that hangs answers
        // StoreUnavailable within it.
        std::chrono::milliseconds statement_timeout{5000};
    };

    // Connects once to check the URL: throws StoreUnavailable when the database cannot be reached.
    // Does not migrate: call Migrate().
    explicit PostgresStore(std::string url);
    PostgresStore(std::string url, Options options);
    ~PostgresStore() override;

    PostgresStore(const PostgresStore&) = delete;
    PostgresStore& operator=(const PostgresStore&) = delete;

    BusinessStore& Business() override { return business_; }
    PacingStore* SharedPacing() override { return &pacing_; }
    std::unique_ptr<WorkWatch> WatchNewWork(std::function<void()> on_new_work) override;

    std::vector<MigrationState> MigrationStatus() override;
    int Migrate() override;
    int MigrateTo(std::int64_t version) override;
    void Ping() override;

    std::vector<Template> ListTemplates() override;
    std::optional<Template> GetTemplate(std::string_view name) override;
    void UpdateTemplate(const Template& tmpl) override;

    Settings GetSettings() override;
    void PutSettings(const Settings& settings) override;

    void InsertToken(const ApiToken& token) override;
    std::optional<ApiToken> FindTokenByHash(std::string_view token_hash) override;
    std::vector<ApiToken> ListTokens() override;
    int RevokeTokens(std::string_view name) override;
    void RecordTokenUse(std::string_view token_hash, TimeMs at) override;

    EnqueueResult Enqueue(const Message& message, TimeMs next_attempt_at, const std::optional<Lease>& claim) override;
    // Group commit: written with the others waiting, in one transaction, on a writer thread.
    void EnqueueAsync(const Message& message, TimeMs next_attempt_at, EnqueueDone done) override;
    std::vector<EnqueueResult> EnqueueBatch(const std::vector<Message>& messages, TimeMs next_attempt_at) override;
    std::vector<Message> ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) override;
    // Group commit: the workers' records wait for one another's transaction, so that the
    // statistics counter rows every record updates are locked once per group, not once per send.
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

    // How old a node's copy of the settings and templates may get: a change made on another node
    // is seen here within this time (issue 10: within a second); this node's own at once.
    static constexpr std::chrono::milliseconds kSharedReadMaxAge{500};

private:
    // Migrate (target nullopt) and MigrateTo: the steps PlanMigration gives under the advisory lock.
    int RunMigrations(std::optional<std::int64_t> target);
    Settings LoadSettings();
    std::optional<Template> LoadTemplate(std::string_view name);

    std::unique_ptr<PgPool> pool_;
    PostgresBusinessStore business_;
    PostgresPacingStore pacing_;
    // Read on every send (on the I/O threads for POST /send-message): a copy saves a round trip.
    ReadCache<Settings> settings_cache_{kSharedReadMaxAge};
    ReadCache<Template> template_cache_{kSharedReadMaxAge};
    // Last: stopped (writing what waits) before the pool they write through goes.
    std::unique_ptr<PgGroupCommit> enqueue_commit_;  // POST /send-message
    std::unique_ptr<PgGroupCommit> attempt_commit_;  // the queue processor's attempt records
};

}  // namespace notify
