#include "store/sqlite/sqlite_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log_context.h"
#include "notify/counters.h"
#include "notify/enqueue_rules.h"
#include "notify/status.h"
#include "notify/templates.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store_internal.h"

namespace notify {
namespace {

constexpr int kMaxHistoryLimit = 1000;

// What a message is counted under now: its status, creation time and type.
struct CountedAs {
    MessageStatus status;
    TimeMs created_at;
    std::string message_type;
};

// nullopt: no such message.
std::optional<CountedAs> ReadCountedAs(SqliteConnection& c, std::string_view id, std::string_view operation) {
    Statement select(c, kSelectCounterKey, operation);
    select.BindText(1, id);
    if (!select.Step()) return std::nullopt;
    const std::string_view status = select.View(0);
    const auto parsed = ParseMessageStatus(status);
    if (!parsed) ThrowUnavailable(operation, "unknown status '" + std::string(status) + "'");
    return CountedAs{*parsed, select.Int(1), select.Text(2)};
}

// Records the counter changes of a message moving from `before` to `after`.
void CountStatusChange(SqliteConnection& c, const CountedAs& before, MessageStatus after) {
    c.counters().Add(CounterChangesForStatus(before.created_at, before.message_type, before.status, after));
}

}  // namespace

// ---- Migrations

std::vector<MigrationState> SqliteStore::MigrationStatus() {
    constexpr const char* kOperation = "read migration status";
    return Read([&](SqliteConnection& c) {
        std::map<std::int64_t, MigrationState> states;
        for (const MigrationFile& file : EmbeddedMigrations()) {
            states[MigrationVersion(file.name)] = MigrationState{file.name, false, std::nullopt};
        }
        bool has_table = false;
        {
            Statement exists(c, kMigrationsTableExists, kOperation);
            has_table = exists.Step();
        }
        if (has_table) {
            Statement select(c, kSelectMigrations, kOperation);
            while (select.Step()) {
                // A version this binary does not know (a newer build migrated the file) is listed too.
                MigrationState& state = states[select.Int(0)];
                if (state.name.empty()) state.name = select.Text(1);
                state.applied = true;
                state.applied_at = select.Int(2);
            }
        }
        std::vector<MigrationState> out;
        out.reserve(states.size());
        for (auto& [version, state] : states) out.push_back(std::move(state));
        return out;
    });
}

int SqliteStore::Migrate() { return RunMigrations(EmbeddedMigrations(), std::nullopt); }

int SqliteStore::MigrateTo(std::int64_t version) { return RunMigrations(EmbeddedMigrations(), version); }

int SqliteStore::MigrateTo(std::int64_t version, const std::vector<MigrationFile>& files) {
    return RunMigrations(files, version);
}

int SqliteStore::RunMigrations(const std::vector<MigrationFile>& files, std::optional<std::int64_t> target) {
    std::lock_guard lock(write_mutex_);
    SqliteConnection& c = *writer_;
    std::vector<std::int64_t> applied_before;
    {
        constexpr const char* kOperation = "read schema_migrations";
        bool has_table = false;
        {
            Statement exists(c, kMigrationsTableExists, kOperation);
            has_table = exists.Step();
        }
        if (has_table) {
            Statement select(c, kSelectMigrations, kOperation);
            while (select.Step()) applied_before.push_back(select.Int(0));
        }
    }
    // Throws before anything changes when the target cannot be reached.
    const std::vector<MigrationStep> steps = PlanMigration(files, applied_before, target);
    c.Exec(kCreateMigrationsTable, "create schema_migrations");
    int changed = 0;
    for (const MigrationStep& step : steps) {
        const std::string operation = (step.down ? "roll back migration " : "apply migration ") + step.name;
        // Checked inside the transaction: another process may be migrating the same file right now.
        Transaction transaction(c, operation);
        {
            Statement done(c, kMigrationApplied, operation);
            done.BindInt(1, step.version);
            if (done.Step() != step.down) continue;
        }
        c.Exec(step.sql->c_str(), operation);
        if (step.down) {
            Statement forget(c, kDeleteMigration, operation);
            forget.BindInt(1, step.version);
            forget.Run();
        } else {
            Statement record(c, kInsertMigration, operation);
            record.BindInt(1, step.version);
            record.BindText(2, step.name);
            record.BindInt(3, SystemClock().NowMs());
            record.Run();
        }
        transaction.Commit();
        settings_cache_.Invalidate();  // a migration may seed or change them
        template_cache_.Invalidate();
        ++changed;
        spdlog::info("store: {} migration {}", step.down ? "rolled back" : "applied", step.name);
    }
    return changed;
}

void SqliteStore::Ping() {
    Read([&](SqliteConnection& c) {
        Statement ping(c, kPing, "ping");
        ping.Run();
    });
}

// ---- Templates, settings, tokens

std::vector<Template> SqliteStore::ListTemplates() {
    constexpr const char* kOperation = "list templates";
    return Read([&](SqliteConnection& c) {
        ReadTransaction snapshot(c, kOperation);  // the variants of the templates read
        std::vector<Template> templates;
        {
            Statement select(c, kSelectTemplates, kOperation);
            while (select.Step()) templates.push_back(ReadTemplate(select));
        }
        std::map<std::string, std::vector<TemplateVariant>, std::less<>> variants;
        {
            Statement select(c, kSelectAllTemplateVariants, kOperation);
            while (select.Step()) variants[select.Text(0)].push_back({select.Text(1), select.Text(2)});
        }
        for (Template& tmpl : templates) {
            if (auto it = variants.find(tmpl.name); it != variants.end()) tmpl.variants = std::move(it->second);
            NormalizeVariants(tmpl);
        }
        return templates;
    });
}

std::optional<Template> SqliteStore::GetTemplate(std::string_view name) {
    constexpr const char* kOperation = "get template";
    return template_cache_.Get(name, [&] {
        return Read([&](SqliteConnection& c) -> std::optional<Template> {
            ReadTransaction snapshot(c, kOperation);
            std::optional<Template> tmpl;
            {
                Statement select(c, kSelectTemplate, kOperation);
                select.BindText(1, name);
                if (!select.Step()) return std::nullopt;
                tmpl = ReadTemplate(select);
            }
            Statement select(c, kSelectTemplateVariants, kOperation);
            select.BindText(1, name);
            while (select.Step()) tmpl->variants.push_back({select.Text(1), select.Text(2)});
            NormalizeVariants(*tmpl);
            return tmpl;
        });
    });
}

void SqliteStore::UpdateTemplate(const Template& tmpl) {
    constexpr const char* kOperation = "update template";
    // The rows written hold the default variant (language, body) whatever tmpl.variants says.
    Template normalized = tmpl;
    NormalizeVariants(normalized);
    Write(kOperation, [&](SqliteConnection& c) {
        {
            Statement update(c, kUpdateTemplate, kOperation);
            update.BindText(1, tmpl.name);
            update.BindText(2, tmpl.description);
            update.BindText(3, tmpl.language);
            update.BindText(4, tmpl.provider_template_name);
            update.BindText(5, ToJsonArray(tmpl.variables));
            update.BindText(6, tmpl.body);
            update.BindText(7, tmpl.category);
            update.BindInt(8, tmpl.enabled ? 1 : 0);
            update.BindInt(9, tmpl.updated_at);
            update.BindInt(10, tmpl.quiet_hours ? 1 : 0);
            update.Run();
        }
        if (sqlite3_changes(c.db()) == 0) {
            throw Error(ErrorKind::kNotFound, "not_found", "no template named '" + tmpl.name + "'");
        }
        {
            Statement remove(c, kDeleteTemplateVariants, kOperation);
            remove.BindText(1, tmpl.name);
            remove.Run();
        }
        for (const TemplateVariant& variant : normalized.variants) {
            Statement insert(c, kInsertTemplateVariant, kOperation);
            insert.BindText(1, tmpl.name);
            insert.BindText(2, variant.language);
            insert.BindText(3, variant.body);
            insert.Run();
        }
    });
    template_cache_.Invalidate();
}

Settings SqliteStore::GetSettings() {
    return *settings_cache_.Get("", [&] { return std::optional<Settings>(ReadSettings()); });
}

namespace {

// The settings' price table as stored: {"utility": 1300, ...}. Anything else is a damaged row.
PriceTable PricesFromJson(const std::string& text) {
    const nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    if (!value.is_object()) ThrowUnavailable("get settings", "message_prices is not a JSON object");
    PriceTable prices;
    for (const auto& [category, price] : value.items()) {
        if (!price.is_number_integer()) ThrowUnavailable("get settings", "a message price is not an integer");
        prices[category] = price.get<std::int64_t>();
    }
    return prices;
}

}  // namespace

Settings SqliteStore::ReadSettings() {
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectSettings, "get settings");
        Settings settings;
        if (select.Step()) {
            settings.enabled = select.Int(0) != 0;
            settings.paused = select.Int(1) != 0;
            settings.rollout_percent = static_cast<int>(select.Int(2));
            settings.recipient_min_gap_seconds = static_cast<int>(select.Int(3));
            settings.updated_at = select.Int(4);
            settings.updated_by = select.Text(5);
            if (!select.IsNull(6) && !select.IsNull(7)) {
                settings.quiet_hours = QuietHours{static_cast<int>(select.Int(6)), static_cast<int>(select.Int(7))};
            }
            settings.order_cutoff_minute = static_cast<int>(select.Int(8));
            settings.message_prices = PricesFromJson(select.Text(9));
        }
        return settings;
    });
}

void SqliteStore::PutSettings(const Settings& settings) {
    Write("put settings", [&](SqliteConnection& c) {
        Statement upsert(c, kUpsertSettings, "put settings");
        upsert.BindInt(1, settings.enabled ? 1 : 0);
        upsert.BindInt(2, settings.paused ? 1 : 0);
        upsert.BindInt(3, settings.rollout_percent);
        upsert.BindInt(4, settings.recipient_min_gap_seconds);
        upsert.BindInt(5, settings.updated_at);
        upsert.BindText(6, settings.updated_by);
        if (settings.quiet_hours) {
            upsert.BindInt(7, settings.quiet_hours->start_minute);
            upsert.BindInt(8, settings.quiet_hours->end_minute);
        } else {
            upsert.BindNull(7);
            upsert.BindNull(8);
        }
        upsert.BindInt(9, settings.order_cutoff_minute);
        upsert.BindText(10, nlohmann::json(settings.message_prices).dump());
        upsert.Run();
    });
    settings_cache_.Invalidate();
}

// ---- Queue

EnqueueResult EnqueueOne(SqliteConnection& c, const Message& message, TimeMs next_attempt_at,
                         const std::optional<Lease>& claim, std::string_view operation) {
    Message stored = message;
    // The opt-out is read in the transaction that stores the message, so that a STOP recorded
    // before it is never missed; only a message that would be queued needs it.
    const bool opted_out = NeedsQueueEntry(stored.status) && PhoneOptedOut(c, stored.phone, operation);
    const EnqueueDecision decision = DecideEnqueue(stored.status, opted_out, claim.has_value());
    stored.status = decision.status;
    if (stored.updated_at == 0) stored.updated_at = stored.created_at;
    stored.next_attempt_at.reset();

    bool inserted = false;
    {
        Statement insert(c, kInsertMessage, operation);
        insert.BindText(1, stored.id);
        insert.BindText(2, stored.phone);
        insert.BindText(3, stored.message_type);
        insert.BindText(4, stored.provider_template_name);
        insert.BindText(5, stored.language);
        insert.BindText(6, ToJsonArray(stored.parameters));
        insert.BindText(7, stored.context_json);
        insert.BindText(8, ToString(stored.status));
        insert.BindTextOrNull(9, stored.provider_message_id);
        insert.BindInt(10, stored.attempts);
        insert.BindText(11, stored.last_error);
        insert.BindOptText(12, stored.idempotency_key);
        insert.BindInt(13, stored.created_at);
        insert.BindInt(14, stored.updated_at);
        insert.BindOptInt(15, stored.sent_at);
        insert.BindOptInt(16, stored.delivered_at);
        insert.BindOptInt(17, stored.read_at);
        insert.BindOptInt(18, stored.failed_at);
        insert.BindOptText(19, stored.text);
        insert.Run();
        // No change: an idempotency conflict. Trigger rows do not count here, nor do they move
        // the last rowid once the trigger is done.
        if (sqlite3_changes(c.db()) == 1) {
            inserted = true;
            stored.seq = sqlite3_last_insert_rowid(c.db());
        }
    }
    if (!inserted) {
        auto first = message.idempotency_key ? LoadMessageByKey(c, *message.idempotency_key, operation) : std::nullopt;
        if (!first) ThrowUnavailable(operation, "insert ignored but no message holds its idempotency key");
        return EnqueueResult{std::move(*first), false};
    }
    if (decision.queue_entry) {
        Statement queue(c, kInsertQueueEntry, operation);
        queue.BindText(1, stored.id);
        queue.BindInt(2, next_attempt_at);
        if (decision.leased) {
            queue.BindText(3, claim->owner);
            queue.BindInt(4, claim->expires_at);
        } else {
            queue.BindNull(3);
            queue.BindNull(4);
        }
        queue.BindInt(5, stored.created_at);
        queue.Run();
        stored.next_attempt_at = next_attempt_at;
    }
    // Last, after every statement of the message succeeded (see PendingCounters).
    c.counters().Add(CounterChangesForInsert(stored.created_at, stored.message_type, stored.status));
    return EnqueueResult{std::move(stored), true};
}

EnqueueResult SqliteStore::Enqueue(const Message& message, TimeMs next_attempt_at, const std::optional<Lease>& claim) {
    constexpr const char* kOperation = "enqueue message";
    return Write(kOperation,
                 [&](SqliteConnection& c) { return EnqueueOne(c, message, next_attempt_at, claim, kOperation); });
}

// An enqueue nobody waits for: owns its message and callback until the group that holds it is done.
struct AsyncEnqueueJob {
    static constexpr const char* kOperation = "enqueue message";

    struct Body {
        AsyncEnqueueJob* job;
        void operator()(SqliteConnection& c) const {
            job->result = EnqueueOne(c, job->message, job->next_attempt_at, std::nullopt, kOperation);
        }
    };

    AsyncEnqueueJob(const Message& m, TimeMs next, EnqueueDone callback)
        : message(m), next_attempt_at(next), done(std::move(callback)) {
        write.complete = &Complete;
        write.owner = this;
    }

    static void Complete(SqliteStore::WriteJob& write) {
        std::unique_ptr<AsyncEnqueueJob> job(static_cast<AsyncEnqueueJob*>(write.owner));
        EnqueueOutcome outcome;
        if (write.error) {
            outcome.error = write.error;
        } else {
            outcome.result = std::move(job->result);
        }
        job->done(std::move(outcome));
    }

    Message message;
    TimeMs next_attempt_at;
    EnqueueDone done;
    std::optional<EnqueueResult> result;
    Body body{this};
    SqliteStore::WriteJob write{kOperation, body};
};

void SqliteStore::EnqueueAsync(const Message& message, TimeMs next_attempt_at, EnqueueDone done) {
    // `done` runs on the commit thread: it logs for the request that asked (POST /send-message).
    auto job = std::make_unique<AsyncEnqueueJob>(message, next_attempt_at, CarryRequestId(std::move(done)));
    RunInGroupAsync(job->write);
    job.release();  // AsyncEnqueueJob::Complete frees it
}

std::vector<Message> SqliteStore::ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) {
    constexpr const char* kOperation = "claim due messages";
    if (limit <= 0) return {};
    return Write(kOperation, WriteClass::kBackground, [&](SqliteConnection& c) {
        std::vector<std::string> ids;
        {
            Statement due(c, force ? kSelectDueForced : kSelectDue, kOperation);
            due.BindInt(1, now);
            due.BindInt(2, limit);
            while (due.Step()) ids.push_back(due.Text(0));
        }
        if (ids.empty()) return std::vector<Message>{};
        const std::string id_array = ToJsonArray(ids);
        {
            Statement take(c, kLeaseEntries, kOperation);
            take.BindText(1, id_array);
            take.BindText(2, lease.owner);
            take.BindInt(3, lease.expires_at);
            take.Run();
        }
        {
            Statement mark(c, kMarkEntriesSending, kOperation);
            mark.BindText(1, id_array);
            mark.BindInt(2, now);
            mark.Run();
        }
        std::vector<Message> claimed;
        claimed.reserve(ids.size());
        Statement select(c, kSelectClaimed, kOperation);
        select.BindText(1, id_array);
        while (select.Step()) claimed.push_back(ReadMessage(select));
        return claimed;
    });
}

PurgeResult SqliteStore::PurgeOlderThan(TimeMs cutoff, std::size_t limit) {
    constexpr const char* kOperation = "purge old messages";
    if (limit == 0) return {};
    return Write(kOperation, WriteClass::kBackground, [&](SqliteConnection& c) {
        PurgeResult result;
        Statement messages(c, kPurgeMessages, kOperation);
        messages.BindInt(1, cutoff);
        messages.BindInt(2, static_cast<std::int64_t>(limit));
        messages.Run();
        result.messages = static_cast<std::size_t>(sqlite3_changes(c.db()));
        Statement events(c, kPurgeWebhookEvents, kOperation);
        events.BindInt(1, cutoff);
        events.BindInt(2, static_cast<std::int64_t>(limit));
        events.Run();
        result.webhook_events = static_cast<std::size_t>(sqlite3_changes(c.db()));
        return result;
    });
}

bool SqliteStore::CompleteAttempt(const AttemptResult& result) {
    constexpr const char* kOperation = "complete attempt";
    const Attempt& attempt = result.attempt;
    return Write(kOperation, WriteClass::kBackground, [&](SqliteConnection& c) {
        // Recorded whether or not the lease still holds: see Store::CompleteAttempt.
        {
            Statement insert(c, kInsertAttempt, kOperation);
            insert.BindText(1, attempt.message_id);
            insert.BindInt(2, attempt.number);
            insert.BindInt(3, attempt.started_at);
            insert.BindInt(4, attempt.latency_ms);
            insert.BindText(5, ToString(attempt.outcome));
            insert.BindInt(6, attempt.http_status);
            insert.BindText(7, attempt.error);
            insert.BindText(8, attempt.provider_message_id);
            insert.BindInt(9, attempt.stops_all_sending ? 1 : 0);
            insert.Run();
        }
        if (result.next == AttemptResult::Next::kRetry) {
            Statement retry(c, kRescheduleLeasedEntry, kOperation);
            retry.BindText(1, attempt.message_id);
            retry.BindInt(2, result.next_attempt_at);
            retry.BindText(3, result.lease_owner);
            retry.Run();
        } else {
            Statement remove(c, kDeleteLeasedEntry, kOperation);
            remove.BindText(1, attempt.message_id);
            remove.BindText(2, result.lease_owner);
            remove.Run();
        }
        // The lease was lost: the newer owner's state (or the finished message) stays as it is.
        if (sqlite3_changes(c.db()) == 0) return false;

        const bool sent = result.next == AttemptResult::Next::kSent;
        MessageStatus status = MessageStatus::kQueued;
        if (sent) status = MessageStatus::kSent;
        if (result.next == AttemptResult::Next::kFailed) status = MessageStatus::kFailed;
        if (const auto before = ReadCountedAs(c, attempt.message_id, kOperation)) {
            // As kApplyAttempt: a status the provider already reported is never moved back.
            const bool accepted = before->status == MessageStatus::kSent ||
                                  before->status == MessageStatus::kDelivered || before->status == MessageStatus::kRead;
            CountStatusChange(c, *before, accepted ? before->status : status);
        }
        Statement apply(c, kApplyAttempt, kOperation);
        apply.BindText(1, attempt.message_id);
        apply.BindInt(2, attempt.number);
        apply.BindText(3, sent ? std::string_view() : std::string_view(attempt.error));
        apply.BindText(4, ToString(status));
        if (sent) {
            apply.BindTextOrNull(5, attempt.provider_message_id);
        } else {
            apply.BindNull(5);
        }
        apply.BindInt(6, result.now);
        apply.Run();
        return true;
    });
}

std::size_t SqliteStore::ReleaseLeases(const std::string& owner, const std::vector<std::string>& message_ids,
                                       TimeMs due_at) {
    constexpr const char* kOperation = "release leases";
    if (message_ids.empty()) return 0;
    return Write(kOperation, [&](SqliteConnection& c) {
        std::size_t released = 0;
        for (const std::string& id : message_ids) {
            {
                Statement release(c, kReleaseLease, kOperation);
                release.BindText(1, id);
                release.BindText(2, owner);
                release.BindInt(3, due_at);
                release.Run();
            }
            // Not ours (expired and taken by another worker, or already completed): leave it alone.
            if (sqlite3_changes(c.db()) == 0) continue;
            ++released;
            Statement mark(c, kMarkQueued, kOperation);
            mark.BindText(1, id);
            mark.Run();
        }
        return released;
    });
}

bool SqliteStore::Requeue(std::string_view message_id, TimeMs now) {
    constexpr const char* kOperation = "requeue message";
    return Write(kOperation, [&](SqliteConnection& c) {
        {
            Statement requeue(c, kRequeueFailed, kOperation);
            requeue.BindText(1, message_id);
            requeue.BindInt(2, now);
            requeue.Run();
        }
        if (sqlite3_changes(c.db()) == 0) return false;
        if (const auto now_counted = ReadCountedAs(c, message_id, kOperation)) {
            // kRequeueFailed took only a failed message.
            CountStatusChange(c, CountedAs{MessageStatus::kFailed, now_counted->created_at, now_counted->message_type},
                              MessageStatus::kQueued);
        }
        Statement queue(c, kUpsertQueueEntry, kOperation);
        queue.BindText(1, message_id);
        queue.BindInt(2, now);
        queue.BindInt(3, now);
        queue.Run();
        return true;
    });
}

// ---- Reads

std::optional<Message> SqliteStore::GetMessage(std::string_view message_id) {
    return Read([&](SqliteConnection& c) { return LoadMessage(c, message_id, "get message"); });
}

std::vector<Attempt> SqliteStore::ListAttempts(std::string_view message_id) {
    constexpr const char* kOperation = "list attempts";
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectAttempts, kOperation);
        select.BindText(1, message_id);
        std::vector<Attempt> attempts;
        while (select.Step()) attempts.push_back(ReadAttempt(select, kOperation));
        return attempts;
    });
}

HistoryPage SqliteStore::History(const HistoryQuery& query) {
    constexpr const char* kOperation = "read history";
    // The statement text depends only on which filters are present (constant fragments, one cached
    // statement per combination), so that each filter can use its index; values are bound.
    std::string sql = kSelectMessage;
    const char* glue = " WHERE ";
    const auto add = [&](const char* condition) {
        sql += glue;
        sql += condition;
        glue = " AND ";
    };
    if (query.phone) add("l.phone = ?");
    if (query.status) add("l.status = ?");
    if (query.message_type) add("l.message_type = ?");
    if (query.since) add("l.created_at >= ?");
    if (query.until) add("l.created_at < ?");
    if (query.before_seq) add("l.seq < ?");
    sql += " ORDER BY l.seq DESC LIMIT ?";

    const int limit = std::clamp(query.limit, 1, kMaxHistoryLimit);
    return Read([&](SqliteConnection& c) {
        Statement select(c, sql, kOperation);
        HistoryPage page;
        page.items.reserve(static_cast<std::size_t>(limit));
        int index = 0;
        if (query.phone) select.BindText(++index, *query.phone);
        if (query.status) select.BindText(++index, ToString(*query.status));
        if (query.message_type) select.BindText(++index, *query.message_type);
        if (query.since) select.BindInt(++index, *query.since);
        if (query.until) select.BindInt(++index, *query.until);
        if (query.before_seq) select.BindInt(++index, *query.before_seq);
        select.BindInt(++index, limit + 1);  // one more than asked tells whether another page exists

        bool more = false;
        while (select.Step()) {
            if (static_cast<int>(page.items.size()) == limit) {
                more = true;
                break;
            }
            page.items.push_back(ReadMessage(select, false));
        }
        if (more) page.next_before_seq = page.items.back().seq;
        return page;
    });
}
// ---- Webhooks and opt-outs

StatusReportResult SqliteStore::ApplyStatusReport(const WebhookEventRecord& event, const StatusReport& report) {
    constexpr const char* kOperation = "apply status report";
    return Write(kOperation, [&](SqliteConnection& c) {
        StatusReportResult result;
        std::optional<Message> message = LoadMessageByProviderId(c, report.provider_message_id, kOperation);
        if (!InsertWebhookEvent(c, event, report.provider_message_id, message ? "applied" : "unknown_message",
                                kOperation)) {
            result.outcome = WebhookOutcome::kDuplicate;
            return result;
        }
        if (!message) {
            result.outcome = WebhookOutcome::kUnknownMessage;
            return result;
        }
        const StatusTransition transition = ApplyProviderStatus(*message, report.status, report.at, report.reason);
        Message updated = WithTransition(*message, transition, event.received_at);
        if (transition.ChangesMessage()) {
            c.counters().Add(
                CounterChangesForStatus(message->created_at, message->message_type, message->status, updated.status));
            Statement apply(c, kApplyStatusReport, kOperation);
            apply.BindText(1, updated.id);
            apply.BindText(2, ToString(updated.status));
            apply.BindOptInt(3, updated.sent_at);
            apply.BindOptInt(4, updated.delivered_at);
            apply.BindOptInt(5, updated.read_at);
            apply.BindOptInt(6, updated.failed_at);
            apply.BindText(7, updated.last_error);
            apply.BindInt(8, updated.updated_at);
            apply.Run();
        }
        StatusEvent recorded;
        recorded.message_id = updated.id;
        recorded.event_id = event.event_id;
        recorded.status = report.status;
        recorded.occurred_at = report.at;
        recorded.received_at = event.received_at;
        recorded.applied = transition.ChangesMessage();
        recorded.note = StatusEventNote(transition);
        {
            Statement insert(c, kInsertStatusEvent, kOperation);
            insert.BindText(1, recorded.message_id);
            insert.BindText(2, recorded.event_id);
            insert.BindText(3, ToString(recorded.status));
            insert.BindInt(4, recorded.occurred_at);
            insert.BindInt(5, recorded.received_at);
            insert.BindInt(6, recorded.applied ? 1 : 0);
            insert.BindText(7, recorded.note);
            insert.Run();
        }
        result.outcome = WebhookOutcome::kApplied;
        result.message = std::move(updated);
        result.event = std::move(recorded);
        return result;
    });
}

WebhookOutcome SqliteStore::RecordWebhookEvent(const WebhookEventRecord& event,
                                               const std::optional<OptOutChange>& opt_out) {
    constexpr const char* kOperation = "record webhook event";
    return Write(kOperation, [&](SqliteConnection& c) {
        if (!InsertWebhookEvent(c, event, {}, "applied", kOperation)) return WebhookOutcome::kDuplicate;
        if (opt_out) {
            UpsertOptOut(c, opt_out->phone, opt_out->opted_out, event.occurred_at.value_or(event.received_at),
                         kOperation);
        }
        return WebhookOutcome::kApplied;
    });
}

std::vector<StatusEvent> SqliteStore::ListStatusEvents(std::string_view message_id) {
    constexpr const char* kOperation = "list status events";
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectStatusEvents, kOperation);
        select.BindText(1, message_id);
        std::vector<StatusEvent> events;
        while (select.Step()) events.push_back(ReadStatusEvent(select, kOperation));
        return events;
    });
}

bool SqliteStore::SetOptOut(std::string_view phone, bool opted_out, TimeMs at) {
    constexpr const char* kOperation = "set opt-out";
    return Write(kOperation, [&](SqliteConnection& c) { return UpsertOptOut(c, phone, opted_out, at, kOperation); });
}

bool SqliteStore::IsOptedOut(std::string_view phone) {
    return Read([&](SqliteConnection& c) { return PhoneOptedOut(c, phone, "read opt-out"); });
}

bool SqliteStore::MarkSuppressed(std::string_view message_id, TimeMs now) {
    constexpr const char* kOperation = "suppress message";
    return Write(kOperation, [&](SqliteConnection& c) {
        {
            Statement mark(c, kMarkSuppressed, kOperation);
            mark.BindText(1, message_id);
            mark.BindInt(2, now);
            mark.BindText(3, "recipient opted out after the message was queued");
            mark.Run();
        }
        if (sqlite3_changes(c.db()) == 0) return false;
        if (const auto now_counted = ReadCountedAs(c, message_id, kOperation)) {
            // kMarkSuppressed took only a queued or sending message, counted as queued.
            CountStatusChange(c, CountedAs{MessageStatus::kQueued, now_counted->created_at, now_counted->message_type},
                              MessageStatus::kSuppressed);
        }
        Statement remove(c, kDeleteQueueEntry, kOperation);
        remove.BindText(1, message_id);
        remove.Run();
        return true;
    });
}

std::int64_t SqliteStore::QueueDepth() {
    return Read([&](SqliteConnection& c) {
        Statement select(c, kQueueDepth, "read queue depth");
        return select.Step() ? select.Int(0) : std::int64_t{0};
    });
}

std::optional<TimeMs> SqliteStore::NextDueAt() {
    return Read([&](SqliteConnection& c) -> std::optional<TimeMs> {
        Statement select(c, kNextDue, "read next due time");
        if (!select.Step()) return std::nullopt;
        return select.OptInt(0);
    });
}

}  // namespace notify
