#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "notify/model.h"

namespace notify {

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
    enum class Next { kSent, kRetry, kFailed } next = Next::kRetry;
    TimeMs next_attempt_at = 0;  // for kRetry
    TimeMs now = 0;
};

// The one I/O seam to persistence. Implementations: SqliteStore (embedded default).
// Every method is safe to call from several threads. Failures to reach or use the database
// throw StoreUnavailable; nothing else is expected to throw.
class Store {
public:
    virtual ~Store() = default;

    // Migrations (idempotent). Migrate returns how many were applied now.
    virtual std::vector<MigrationState> MigrationStatus() = 0;
    virtual int Migrate() = 0;
    virtual void Ping() = 0;

    virtual std::vector<Template> ListTemplates() = 0;
    virtual std::optional<Template> GetTemplate(std::string_view name) = 0;
    virtual void UpdateTemplate(const Template& tmpl) = 0;  // by name; must exist

    virtual Settings GetSettings() = 0;
    virtual void PutSettings(const Settings& settings) = 0;

    virtual void InsertToken(const ApiToken& token) = 0;
    virtual std::optional<ApiToken> FindTokenByHash(std::string_view token_hash) = 0;

    // Writes the message and its queue entry (due at next_attempt_at) in one transaction.
    // With claim set, the entry is leased to the caller at once (an immediate send), so the
    // background processor does not take it meanwhile. A message whose status is final
    // (suppressed, skipped_rollout) gets no queue entry. An idempotency key seen before returns
    // the first message with created = false and writes nothing.
    virtual EnqueueResult Enqueue(const Message& message, TimeMs next_attempt_at,
                                  const std::optional<Lease>& claim) = 0;

    // Leases up to `limit` entries due at `now` (all entries when force) whose lease is free or
    // expired, oldest due first, marks their messages `sending`, and returns the messages.
    virtual std::vector<Message> ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) = 0;

    // Records the attempt and moves the message: sent (entry removed), retry (entry due at
    // next_attempt_at, lease freed, status queued), or failed (entry removed).
    virtual void CompleteAttempt(const AttemptResult& result) = 0;

    // Frees leases held by `owner` without recording an attempt (shutdown, or paused before
    // sending): the entries are due at `due_at` and their messages are queued again.
    virtual void ReleaseLeases(const std::string& owner, const std::vector<std::string>& message_ids,
                               TimeMs due_at) = 0;

    // Puts a failed message back in the queue, due at `now`. False when it is not failed.
    virtual bool Requeue(std::string_view message_id, TimeMs now) = 0;

    virtual std::optional<Message> GetMessage(std::string_view message_id) = 0;
    virtual std::vector<Attempt> ListAttempts(std::string_view message_id) = 0;
    virtual HistoryPage History(const HistoryQuery& query) = 0;
    virtual Statistics Stats(const StatsQuery& query) = 0;

    virtual std::int64_t QueueDepth() = 0;              // entries waiting, due or not
    virtual std::optional<TimeMs> NextDueAt() = 0;      // earliest next attempt among free entries
};

// "sqlite:PATH" -> SqliteStore. Anything else throws std::invalid_argument naming the problem.
std::unique_ptr<Store> OpenStore(const std::string& database_url);

}  // namespace notify
