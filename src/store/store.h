#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "notify/model.h"
#include "notify/retry.h"
#include "store/pacing_store.h"

namespace notify {

class BusinessStore;

struct MigrationState {
    std::string name;
    bool applied = false;
    std::optional<TimeMs> applied_at;
};

// A claim on queue entries: while expires_at is in the future no other worker takes them.
// A process that dies mid-send leaves its lease to expire, and the entry is taken again.
struct Lease {
    std::string owner;
    TimeMs expires_at = 0;
};

struct EnqueueResult {
    Message message;
    bool created = false;  // false: the idempotency key was seen before; message is the first one
};

// How one provider attempt ends, applied to the message and its queue entry in one transaction.
struct AttemptResult {
    Attempt attempt;
    std::string lease_owner;    // the owner of the lease the attempt was made under
    using Next = AfterAttempt;  // the one outcome enum (notify/retry.h), under the store's old name
    Next next = Next::kRetry;
    TimeMs next_attempt_at = 0;  // for kRetry
    TimeMs now = 0;
};

// How an asynchronous enqueue ends: the result, or the exception Enqueue would have thrown.
struct EnqueueOutcome {
    std::optional<EnqueueResult> result;
    std::exception_ptr error;
};
using EnqueueDone = std::function<void(EnqueueOutcome)>;

// What one retention purge deleted.
struct PurgeResult {
    std::size_t messages = 0;
    std::size_t webhook_events = 0;
};

// A MyOperator webhook event as the store records it: de-duplicated on event_id.
struct WebhookEventRecord {
    std::string event_id;
    std::string event_type;
    TimeMs received_at = 0;
    std::optional<TimeMs> occurred_at;  // the event's own time, when it gave one
};

// A status report to apply to the message the provider knows as provider_message_id.
struct StatusReport {
    std::string provider_message_id;
    MessageStatus status = MessageStatus::kSent;  // sent, delivered, read or failed
    TimeMs at = 0;                                // lands on the message's timestamp for it
    std::string reason;                           // failure text, for failed
};

// An inbound STOP / START: the customer's number and what they asked for.
struct OptOutChange {
    std::string phone;  // E.164
    bool opted_out = true;
};

enum class WebhookOutcome {
    kApplied,         // recorded (and, for a status report, applied to its message)
    kDuplicate,       // event_id seen before: nothing changed
    kUnknownMessage,  // recorded, but no message has that provider id
};

struct StatusReportResult {
    WebhookOutcome outcome = WebhookOutcome::kApplied;
    std::optional<Message> message;  // the message afterwards, when found
    StatusEvent event;               // what was recorded about it, when found
};

// What authentication needs of a store, and no more (src/http/auth.h takes this, not Store), so
// that any store, or a cache in front of one, can serve it.
class TokenLookup {
public:
    virtual ~TokenLookup() = default;

    // The token with this hash, expired or not (the caller decides with its own clock); nullopt
    // when there is none (never created, or revoked).
    virtual std::optional<ApiToken> FindTokenByHash(std::string_view token_hash) = 0;
    // Sets the token's last_used_at. Callers throttle this: it is a write.
    virtual void RecordTokenUse(std::string_view token_hash, TimeMs at) = 0;
};

// Ends a Store::WatchNewWork when destroyed (its thread is joined: no call after).
class WorkWatch {
public:
    virtual ~WorkWatch() = default;
};

// The one I/O seam to persistence. Implementations: SqliteStore (embedded default), PostgresStore.
// Every method is safe to call from several threads. Failures to reach or use the database
// throw StoreUnavailable; nothing else is expected to throw.
class Store : public TokenLookup {
public:
    virtual ~Store() = default;

    // The business API's rows (src/store/business_store.h), in the same database: a business write
    // and its message share one transaction.
    virtual BusinessStore& Business() = 0;

    // The pacing of provider calls shared by every process on this database; nullptr when the
    // store serves one process (SQLite), which then paces in memory.
    virtual PacingStore* SharedPacing() { return nullptr; }
    // Calls on_new_work, from a thread of its own, soon after any process on this database queues
    // a message (and once after each reconnection, in case one was missed), so that idle nodes
    // need not wait for their next poll. nullptr when the store serves one process (its own sends
    // wake its processor directly).
    virtual std::unique_ptr<WorkWatch> WatchNewWork(std::function<void()> on_new_work) {
        (void)on_new_work;
        return nullptr;
    }

    // Migrations (idempotent). Migrate applies every pending one and returns how many it applied now.
    // MigrateTo applies the pending ones up to `version` and rolls back those above it with their
    // down migrations, newest first, each in its own transaction; it returns how many it applied or
    // rolled back. It throws MigrationError (store/migrations.h), changing nothing, for a version
    // above the latest this build knows or a rollback through a version without a down migration.
    virtual std::vector<MigrationState> MigrationStatus() = 0;
    virtual int Migrate() = 0;
    virtual int MigrateTo(std::int64_t version) = 0;
    virtual void Ping() = 0;

    virtual std::vector<Template> ListTemplates() = 0;
    virtual std::optional<Template> GetTemplate(std::string_view name) = 0;
    virtual void UpdateTemplate(const Template& tmpl) = 0;  // by name; must exist

    virtual Settings GetSettings() = 0;
    virtual void PutSettings(const Settings& settings) = 0;

    virtual void InsertToken(const ApiToken& token) = 0;
    // Every token, oldest first (`notifyd token list`).
    virtual std::vector<ApiToken> ListTokens() = 0;
    // Deletes the tokens called `name` (a revoked token is gone); returns how many there were.
    virtual int RevokeTokens(std::string_view name) = 0;

    // Writes the message and its queue entry (due at next_attempt_at) in one transaction.
    // With claim set, the entry is leased to the caller at once (an immediate send), so the
    // background processor does not take it meanwhile. A message whose status is final
    // (suppressed, skipped_rollout) gets no queue entry. A queued message to a number that has
    // opted out is stored as suppressed instead (checked in the same transaction), with no queue
    // entry and no claim. An idempotency key seen before returns the first message with
    // created = false and writes nothing.
    virtual EnqueueResult Enqueue(const Message& message, TimeMs next_attempt_at,
                                  const std::optional<Lease>& claim) = 0;

    // Enqueue (no claim) without waiting for the write: `done` gets the outcome once the message
    // is durable or the write failed, exactly once, on a store thread or on the caller's. The caller
    // holds no thread meanwhile (POST /send-message answers from here). This default runs Enqueue
    // on the calling thread; a store with a group commit hands the write to it.
    virtual void EnqueueAsync(const Message& message, TimeMs next_attempt_at, EnqueueDone done) {
        EnqueueOutcome outcome;
        try {
            outcome.result = Enqueue(message, next_attempt_at, std::nullopt);
        } catch (...) {
            outcome.error = std::current_exception();
        }
        done(std::move(outcome));
    }

    // Enqueue for many messages (no claim) in one durable transaction: each item follows the same
    // rules (opt-out, idempotency key; a key repeated within the batch stores one message and the
    // later items get it with created = false). Results in input order. A store failure writes
    // none of them.
    virtual std::vector<EnqueueResult> EnqueueBatch(const std::vector<Message>& messages, TimeMs next_attempt_at) = 0;

    // Leases up to `limit` entries due at `now` whose lease is free or expired, oldest due first,
    // marks their messages `sending`, and returns the messages. With force, retries (messages attempted
    // before) are taken whatever their time; a message never attempted still waits for its time (quiet
    // hours hold it).
    virtual std::vector<Message> ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) = 0;

    // Records the attempt and, while result.lease_owner still holds the entry's lease, moves the
    // message: sent (entry removed), retry (entry due at next_attempt_at, lease freed, status
    // queued), or failed (entry removed). True: applied. False: the lease was lost (it expired and
    // another worker claimed the entry, or finished the message), and nothing but the attempt
    // itself was written: the attempt is still recorded, because the provider call happened (an
    // accepted one is the only trace of a message that went out), while the newer owner's state
    // is left as it is.
    virtual bool CompleteAttempt(const AttemptResult& result) = 0;

    // Frees leases held by `owner` without recording an attempt (shutdown, or paused before
    // sending): the entries are due at `due_at` and their messages are queued again. Entries whose
    // lease another owner holds now, or that are gone, are left alone. Returns how many were freed.
    virtual std::size_t ReleaseLeases(const std::string& owner, const std::vector<std::string>& message_ids,
                                      TimeMs due_at) = 0;

    // Puts a failed message back in the queue, due at `now`. False when it is not failed.
    virtual bool Requeue(std::string_view message_id, TimeMs now) = 0;

    virtual std::optional<Message> GetMessage(std::string_view message_id) = 0;
    virtual std::vector<Attempt> ListAttempts(std::string_view message_id) = 0;
    // Newest first. The items leave parameters and context_json empty (lists do not show them;
    // GetMessage has them).
    virtual HistoryPage History(const HistoryQuery& query) = 0;
    virtual Statistics Stats(const StatsQuery& query) = 0;

    // Webhooks. Each records event_id first (its primary key decides duplicates, so two
    // deliveries of one event racing each other apply it once) and acts in the same transaction.
    // ApplyStatusReport moves the message per ApplyProviderStatus (src/notify/status.h) and keeps
    // the report in its status history.
    virtual StatusReportResult ApplyStatusReport(const WebhookEventRecord& event, const StatusReport& report) = 0;
    // An event that changes no message (inbound text, unknown types); with opt_out set, also sets
    // that phone's opt-out (true: out, false: back in) as of the event's time.
    virtual WebhookOutcome RecordWebhookEvent(const WebhookEventRecord& event,
                                              const std::optional<OptOutChange>& opt_out) = 0;
    virtual std::vector<StatusEvent> ListStatusEvents(std::string_view message_id) = 0;

    // Opt-outs by E.164 number. A change older than the last one recorded for the number is
    // ignored, so that STOP and START delivered out of order end in the later one. False: ignored.
    virtual bool SetOptOut(std::string_view phone, bool opted_out, TimeMs at) = 0;
    virtual bool IsOptedOut(std::string_view phone) = 0;

    // A queued or sending message whose recipient opted out after it was queued: suppressed, its
    // queue entry removed. False when the message is in no such state.
    virtual bool MarkSuppressed(std::string_view message_id, TimeMs now) = 0;

    // Retention: deletes up to `limit` messages created before `cutoff` whose status is final
    // (sent, delivered, read, failed, suppressed, skipped_rollout), with their attempts and status
    // reports, and up to `limit` webhook events received before it, oldest first, as one write
    // that yields to the API's writes. Queued and sending messages are never deleted. Statistics
    // count what is kept: a deleted message leaves its counters too, so every range agrees with
    // history.
    virtual PurgeResult PurgeOlderThan(TimeMs cutoff, std::size_t limit) = 0;

    // Entries waiting, due or not (queued and sending messages). Costs the same however long the
    // queue is: /health calls it.
    virtual std::int64_t QueueDepth() = 0;
    // The earliest time the processor can claim something: the earliest next attempt among free
    // entries, or when a leased entry's lease expires. An index seek, plus the leased entries
    // (those in flight), never the whole queue.
    virtual std::optional<TimeMs> NextDueAt() = 0;
};

// "sqlite:PATH" -> SqliteStore; "postgresql://..." or "postgres://..." (a libpq URL, TLS parameters
// included) -> PostgresStore, which throws StoreUnavailable when it cannot connect. Anything else
// throws std::invalid_argument naming the problem.
std::unique_ptr<Store> OpenStore(const std::string& database_url);

// PATH of a "sqlite:PATH" URL; nullopt for a PostgreSQL URL; std::invalid_argument, as OpenStore,
// for anything else.
std::optional<std::string> SqlitePathOf(const std::string& database_url);

}  // namespace notify
