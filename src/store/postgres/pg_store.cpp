#include "store/postgres/pg_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log_context.h"
#include "notify/counters.h"
#include "notify/status.h"
#include "notify/templates.h"
#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_group_commit.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_statements.h"

namespace notify {
namespace {

constexpr int kMaxHistoryLimit = 1000;
// pg_advisory_lock's key for Migrate: "ntfy" in ASCII. Several nodes starting at once migrate one
// after the other.
constexpr std::int64_t kMigrationLockKey = 0x6E746679;

Template ReadTemplate(const PgResult& r, int row) {
    Template tmpl;
    tmpl.name = r.Text(row, 0);
    tmpl.description = r.Text(row, 1);
    tmpl.language = r.Text(row, 2);
    tmpl.provider_template_name = r.Text(row, 3);
    tmpl.variables = PgFromJsonArray(r.Text(row, 4), "read template " + tmpl.name);
    tmpl.body = r.Text(row, 5);
    tmpl.category = r.Text(row, 6);
    tmpl.enabled = r.Bool(row, 7);
    tmpl.updated_at = r.Int(row, 8);
    tmpl.quiet_hours = r.Bool(row, 9);
    return tmpl;
}

std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view text) {
    for (AttemptOutcome outcome : {AttemptOutcome::kAccepted, AttemptOutcome::kRetryable, AttemptOutcome::kPermanent}) {
        if (ToString(outcome) == text) return outcome;
    }
    return std::nullopt;
}

Attempt ReadAttempt(const PgResult& r, int row, std::string_view operation) {
    Attempt attempt;
    attempt.message_id = r.Text(row, 0);
    attempt.number = static_cast<int>(r.Int(row, 1));
    attempt.started_at = r.Int(row, 2);
    attempt.latency_ms = static_cast<int>(r.Int(row, 3));
    const std::string_view outcome = r.View(row, 4);
    const auto parsed = ParseAttemptOutcome(outcome);
    if (!parsed) ThrowPgUnavailable(operation, "unknown attempt outcome '" + std::string(outcome) + "'");
    attempt.outcome = *parsed;
    attempt.http_status = static_cast<int>(r.Int(row, 5));
    attempt.error = r.Text(row, 6);
    attempt.provider_message_id = r.Text(row, 7);
    attempt.stops_all_sending = r.Bool(row, 8);
    return attempt;
}

StatusEvent ReadStatusEvent(const PgResult& r, int row, std::string_view operation) {
    StatusEvent event;
    event.message_id = r.Text(row, 0);
    event.event_id = r.Text(row, 1);
    const std::string_view status = r.View(row, 2);
    const auto parsed = ParseMessageStatus(status);
    if (!parsed) ThrowPgUnavailable(operation, "unknown status '" + std::string(status) + "'");
    event.status = *parsed;
    event.occurred_at = r.Int(row, 3);
    event.received_at = r.Int(row, 4);
    event.applied = r.Bool(row, 5);
    event.note = r.Text(row, 6);
    return event;
}

ApiToken ReadToken(const PgResult& r, int row, std::string_view operation) {
    ApiToken token;
    token.name = r.Text(row, 0);
    const std::string role = r.Text(row, 1);
    const auto parsed = ParseRole(role);
    if (!parsed) ThrowPgUnavailable(operation, "unknown role '" + role + "'");
    token.role = *parsed;
    token.token_hash = r.Text(row, 2);
    token.created_at = r.Int(row, 3);
    token.expires_at = r.OptInt(row, 4);
    token.last_used_at = r.OptInt(row, 5);
    return token;
}

// The settings' price table as stored: {"utility": 1300, ...}. Anything else is a damaged row.
PriceTable PricesFromJson(const std::string& text) {
    const nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    if (!value.is_object()) ThrowPgUnavailable("get settings", "message_prices is not a JSON object");
    PriceTable prices;
    for (const auto& [category, price] : value.items()) {
        if (!price.is_number_integer()) ThrowPgUnavailable("get settings", "a message price is not an integer");
        prices[category] = price.get<std::int64_t>();
    }
    return prices;
}

MessageStatus StatusColumn(const PgResult& r, int row, int column, std::string_view operation) {
    const auto parsed = ParseMessageStatus(r.View(row, column));
    if (!parsed) ThrowPgUnavailable(operation, "unknown status '" + r.Text(row, column) + "'");
    return *parsed;
}

// A group of POST /send-message enqueues; attempt records come at most one per processor worker
// (PROCESSOR_CONCURRENCY) each, so their groups stay smaller than this anyway.
constexpr std::size_t kMaxEnqueueGroup = 256;
constexpr std::size_t kMaxAttemptGroup = 256;

// Records one attempt in the caller's transaction (a group of CompleteAttempt); false when the
// lease was lost.
bool WriteAttempt(PgConnection& c, const AttemptResult& result) {
    constexpr const char* kOperation = "complete attempt";
    const Attempt& attempt = result.attempt;
    // Recorded whether or not the lease still holds: see Store::CompleteAttempt.
    c.Run(kPgInsertAttempt,
          PgParams()
              .Text(attempt.message_id)
              .Int(attempt.number)
              .Int(attempt.started_at)
              .Int(attempt.latency_ms)
              .Text(ToString(attempt.outcome))
              .Int(attempt.http_status)
              .Text(attempt.error)
              .Text(attempt.provider_message_id)
              .Bool(attempt.stops_all_sending),
          kOperation);
    std::int64_t changed = 0;
    if (result.next == AttemptResult::Next::kRetry) {
        changed =
            c.Run(kPgRescheduleLeasedEntry,
                  PgParams().Text(attempt.message_id).Int(result.next_attempt_at).Text(result.lease_owner), kOperation)
                .Affected();
    } else {
        changed = c.Run(kPgDeleteLeasedEntry, PgParams().Text(attempt.message_id).Text(result.lease_owner), kOperation)
                      .Affected();
    }
    // The lease was lost: the newer owner's state (or the finished message) stays as it is.
    if (changed == 0) return false;

    const bool sent = result.next == AttemptResult::Next::kSent;
    MessageStatus status = MessageStatus::kQueued;
    if (sent) status = MessageStatus::kSent;
    if (result.next == AttemptResult::Next::kFailed) status = MessageStatus::kFailed;
    // Locked: a status report for the same message waits until this commits.
    const PgResult before = c.Run(kPgSelectCounterKeyForUpdate, PgParams().Text(attempt.message_id), kOperation);
    if (before.Rows() > 0) {
        const MessageStatus old_status = StatusColumn(before, 0, 0, kOperation);
        // As kPgApplyAttempt: a status the provider already reported is never moved back.
        const bool accepted = old_status == MessageStatus::kSent || old_status == MessageStatus::kDelivered ||
                              old_status == MessageStatus::kRead;
        c.AddCounters(
            CounterChangesForStatus(before.Int(0, 1), before.Text(0, 2), old_status, accepted ? old_status : status));
    }
    PgParams apply;
    apply.Text(attempt.message_id)
        .Int(attempt.number)
        .Text(sent ? std::string_view() : std::string_view(attempt.error))
        .Text(ToString(status));
    if (sent) {
        apply.TextOrNull(attempt.provider_message_id);
    } else {
        apply.Null();
    }
    apply.Int(result.now);
    c.Run(kPgApplyAttempt, apply, kOperation);
    return true;
}

}  // namespace

PostgresStore::PostgresStore(std::string url) : PostgresStore(std::move(url), Options{}) {}

PostgresStore::PostgresStore(std::string url, Options options)
    : pool_(std::make_unique<PgPool>(std::move(url), options.pool_size, options.connect_timeout,
                                     options.statement_timeout)),
      business_(*pool_),
      pacing_(*pool_) {
    PgLease check(*pool_);  // fails now, not on the first request, when the URL is wrong
    enqueue_commit_ = std::make_unique<PgGroupCommit>(*pool_, "enqueue message", kMaxEnqueueGroup);
    attempt_commit_ = std::make_unique<PgGroupCommit>(*pool_, "complete attempt", kMaxAttemptGroup);
}

PostgresStore::~PostgresStore() = default;

// ---- Migrations

std::vector<MigrationState> PostgresStore::MigrationStatus() {
    constexpr const char* kOperation = "read migration status";
    return PgRead(*pool_, [&](PgConnection& c) {
        std::map<std::int64_t, MigrationState> states;
        for (const MigrationFile& file : EmbeddedPostgresMigrations()) {
            states[MigrationVersion(file.name)] = MigrationState{file.name, false, std::nullopt};
        }
        const PgResult exists = c.Run(kPgMigrationsTableExists, kOperation);
        if (exists.Rows() > 0 && exists.Bool(0, 0)) {
            const PgResult rows = c.Run(kPgSelectMigrations, kOperation);
            for (int i = 0; i < rows.Rows(); ++i) {
                // A version this binary does not know (a newer build migrated the file) is listed too.
                MigrationState& state = states[rows.Int(i, 0)];
                if (state.name.empty()) state.name = rows.Text(i, 1);
                state.applied = true;
                state.applied_at = rows.Int(i, 2);
            }
        }
        std::vector<MigrationState> out;
        out.reserve(states.size());
        for (auto& [version, state] : states) out.push_back(std::move(state));
        return out;
    });
}

int PostgresStore::Migrate() { return RunMigrations(std::nullopt); }

int PostgresStore::MigrateTo(std::int64_t version) { return RunMigrations(version); }

int PostgresStore::RunMigrations(std::optional<std::int64_t> target) {
    constexpr const char* kOperation = "migrate";
    PgLease lease(*pool_);
    PgConnection& c = *lease;
    // A migration may take longer than a request's statement timeout, and so may waiting for another
    // node's: this session waits as long as it takes, and gets its defaults back at the end.
    c.Exec("SET statement_timeout = 0; SET lock_timeout = 0", kOperation);
    c.Run(kPgMigrationLock, PgParams().Int(kMigrationLockKey), kOperation);
    struct Unlock {
        PgConnection& c;
        ~Unlock() {
            try {
                c.Run(kPgMigrationUnlock, PgParams().Int(kMigrationLockKey), "migrate");
                c.Exec("RESET statement_timeout; RESET lock_timeout", "migrate");
            } catch (...) {
                // The session ends with the connection, and its lock with it.
            }
        }
    } unlock{c};
    // Under the lock the applied versions stay as read: every migrator takes it.
    std::vector<std::int64_t> applied_before;
    const PgResult exists = c.Run(kPgMigrationsTableExists, kOperation);
    if (exists.Rows() > 0 && exists.Bool(0, 0)) {
        const PgResult rows = c.Run(kPgSelectMigrations, kOperation);
        for (int i = 0; i < rows.Rows(); ++i) applied_before.push_back(rows.Int(i, 0));
    }
    // Throws before anything changes when the target cannot be reached.
    const std::vector<MigrationStep> steps = PlanMigration(EmbeddedPostgresMigrations(), applied_before, target);
    c.Exec(kPgCreateMigrationsTable, kOperation);
    int applied = 0;
    for (const MigrationStep& step : steps) {
        const std::string operation = (step.down ? "roll back migration " : "apply migration ") + step.name;
        c.Exec("BEGIN", operation);
        try {
            c.Exec(step.sql->c_str(), operation);
            if (step.down) {
                c.Run(kPgDeleteMigration, PgParams().Int(step.version), operation);
            } else {
                c.Run(kPgInsertMigration, PgParams().Int(step.version).Text(step.name).Int(SystemClock().NowMs()),
                      operation);
            }
            c.Exec("COMMIT", operation);
        } catch (const PgStatementError& error) {
            RollbackQuietly(c, operation);
            ThrowPgUnavailable(operation, error.what());
        } catch (...) {
            RollbackQuietly(c, operation);
            throw;
        }
        ++applied;
        spdlog::info("store: {} migration {}", step.down ? "rolled back" : "applied", step.name);
    }
    settings_cache_.Invalidate();  // a migration may seed or change them
    template_cache_.Invalidate();
    return applied;
}

void PostgresStore::Ping() {
    PgRead(*pool_, [&](PgConnection& c) { return c.Run(kPgPing, "ping").Rows(); });
}

// ---- Templates, settings, tokens

std::vector<Template> PostgresStore::ListTemplates() {
    constexpr const char* kOperation = "list templates";
    return PgSnapshot(*pool_, kOperation, [&](PgConnection& c) {
        std::vector<Template> templates;
        const PgResult rows = c.Run(kPgSelectTemplates, kOperation);
        for (int i = 0; i < rows.Rows(); ++i) templates.push_back(ReadTemplate(rows, i));
        std::map<std::string, std::vector<TemplateVariant>, std::less<>> variants;
        const PgResult variant_rows = c.Run(kPgSelectAllTemplateVariants, kOperation);
        for (int i = 0; i < variant_rows.Rows(); ++i) {
            variants[variant_rows.Text(i, 0)].push_back({variant_rows.Text(i, 1), variant_rows.Text(i, 2)});
        }
        for (Template& tmpl : templates) {
            if (auto it = variants.find(tmpl.name); it != variants.end()) tmpl.variants = std::move(it->second);
            NormalizeVariants(tmpl);
        }
        return templates;
    });
}

std::optional<Template> PostgresStore::GetTemplate(std::string_view name) {
    return template_cache_.Get(name, [&] { return LoadTemplate(name); });
}

std::optional<Template> PostgresStore::LoadTemplate(std::string_view name) {
    constexpr const char* kOperation = "get template";
    return PgSnapshot(*pool_, kOperation, [&](PgConnection& c) -> std::optional<Template> {
        const PgResult rows = c.Run(kPgSelectTemplate, PgParams().Text(name), kOperation);
        if (rows.Rows() == 0) return std::nullopt;
        Template tmpl = ReadTemplate(rows, 0);
        const PgResult variant_rows = c.Run(kPgSelectTemplateVariants, PgParams().Text(name), kOperation);
        for (int i = 0; i < variant_rows.Rows(); ++i) {
            tmpl.variants.push_back({variant_rows.Text(i, 1), variant_rows.Text(i, 2)});
        }
        NormalizeVariants(tmpl);
        return tmpl;
    });
}

void PostgresStore::UpdateTemplate(const Template& tmpl) {
    constexpr const char* kOperation = "update template";
    // The rows written hold the default variant (language, body) whatever tmpl.variants says.
    Template normalized = tmpl;
    NormalizeVariants(normalized);
    PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        PgParams params;
        params.Text(tmpl.name)
            .Text(tmpl.description)
            .Text(tmpl.language)
            .Text(tmpl.provider_template_name)
            .Text(PgJsonArray(tmpl.variables))
            .Text(tmpl.body)
            .Text(tmpl.category)
            .Bool(tmpl.enabled)
            .Int(tmpl.updated_at)
            .Bool(tmpl.quiet_hours);
        if (c.Run(kPgUpdateTemplate, params, kOperation).Affected() == 0) {
            throw Error(ErrorKind::kNotFound, "not_found", "no template named '" + tmpl.name + "'");
        }
        c.Run(kPgDeleteTemplateVariants, PgParams().Text(tmpl.name), kOperation);
        for (const TemplateVariant& variant : normalized.variants) {
            c.Run(kPgInsertTemplateVariant, PgParams().Text(tmpl.name).Text(variant.language).Text(variant.body),
                  kOperation);
        }
    });
    template_cache_.Invalidate();
}

Settings PostgresStore::GetSettings() {
    return *settings_cache_.Get("", [&] { return std::optional<Settings>(LoadSettings()); });
}

Settings PostgresStore::LoadSettings() {
    return PgRead(*pool_, [&](PgConnection& c) {
        const PgResult r = c.Run(kPgSelectSettings, "get settings");
        Settings settings;
        if (r.Rows() > 0) {
            settings.enabled = r.Bool(0, 0);
            settings.paused = r.Bool(0, 1);
            settings.rollout_percent = static_cast<int>(r.Int(0, 2));
            settings.recipient_min_gap_seconds = static_cast<int>(r.Int(0, 3));
            settings.updated_at = r.Int(0, 4);
            settings.updated_by = r.Text(0, 5);
            if (!r.IsNull(0, 6) && !r.IsNull(0, 7)) {
                settings.quiet_hours = QuietHours{static_cast<int>(r.Int(0, 6)), static_cast<int>(r.Int(0, 7))};
            }
            settings.order_cutoff_minute = static_cast<int>(r.Int(0, 8));
            settings.message_prices = PricesFromJson(r.Text(0, 9));
        }
        return settings;
    });
}

void PostgresStore::PutSettings(const Settings& settings) {
    PgWrite(*pool_, "put settings", [&](PgConnection& c) {
        PgParams params;
        params.Bool(settings.enabled)
            .Bool(settings.paused)
            .Int(settings.rollout_percent)
            .Int(settings.recipient_min_gap_seconds)
            .Int(settings.updated_at)
            .Text(settings.updated_by);
        if (settings.quiet_hours) {
            params.Int(settings.quiet_hours->start_minute).Int(settings.quiet_hours->end_minute);
        } else {
            params.Null().Null();
        }
        params.Int(settings.order_cutoff_minute).Text(nlohmann::json(settings.message_prices).dump());
        c.Run(kPgUpsertSettings, params, "put settings");
    });
    settings_cache_.Invalidate();
}

void PostgresStore::InsertToken(const ApiToken& token) {
    PgWrite(*pool_, "insert token", [&](PgConnection& c) {
        c.Run(kPgInsertToken,
              PgParams()
                  .Text(token.name)
                  .Text(ToString(token.role))
                  .Text(token.token_hash)
                  .Int(token.created_at)
                  .OptInt(token.expires_at),
              "insert token");
    });
}

std::optional<ApiToken> PostgresStore::FindTokenByHash(std::string_view token_hash) {
    return PgRead(*pool_, [&](PgConnection& c) -> std::optional<ApiToken> {
        const PgResult r = c.Run(kPgSelectToken, PgParams().Text(token_hash), "find token");
        if (r.Rows() == 0) return std::nullopt;
        return ReadToken(r, 0, "find token");
    });
}

std::vector<ApiToken> PostgresStore::ListTokens() {
    return PgRead(*pool_, [&](PgConnection& c) {
        const PgResult r = c.Run(kPgListTokens, "list tokens");
        std::vector<ApiToken> tokens;
        for (int i = 0; i < r.Rows(); ++i) tokens.push_back(ReadToken(r, i, "list tokens"));
        return tokens;
    });
}

int PostgresStore::RevokeTokens(std::string_view name) {
    return PgWrite(*pool_, "revoke token", [&](PgConnection& c) {
        return static_cast<int>(c.Run(kPgDeleteTokensNamed, PgParams().Text(name), "revoke token").Affected());
    });
}

void PostgresStore::RecordTokenUse(std::string_view token_hash, TimeMs at) {
    PgWrite(*pool_, "record token use", [&](PgConnection& c) {
        c.Run(kPgRecordTokenUse, PgParams().Text(token_hash).Int(at), "record token use");
    });
}

// ---- Queue

EnqueueResult PostgresStore::Enqueue(const Message& message, TimeMs next_attempt_at,
                                     const std::optional<Lease>& claim) {
    constexpr const char* kOperation = "enqueue message";
    return PgWrite(*pool_, kOperation,
                   [&](PgConnection& c) { return PgEnqueueOne(c, message, next_attempt_at, claim, kOperation); });
}

void PostgresStore::EnqueueAsync(const Message& message, TimeMs next_attempt_at, EnqueueDone done) {
    auto written = std::make_shared<EnqueueResult>();
    // No lock key: in submission order, so that an idempotency key repeated within the group
    // stores one message and the later enqueues get it, as if each had been its own transaction.
    enqueue_commit_->Submit(
        PgGroupCommit::Job{{},
                           [written, message, next_attempt_at](PgConnection& c) {
                               *written = PgEnqueueOne(c, message, next_attempt_at, std::nullopt, "enqueue message");
                           },
                           // `done` runs on a writer: it logs for the request that asked (POST /send-message).
                           CarryRequestId([written, done = std::move(done)](std::exception_ptr error) {
                               EnqueueOutcome outcome;
                               if (error) {
                                   outcome.error = error;
                               } else {
                                   outcome.result = std::move(*written);
                               }
                               done(std::move(outcome));
                           })});
}

std::vector<EnqueueResult> PostgresStore::EnqueueBatch(const std::vector<Message>& messages, TimeMs next_attempt_at) {
    constexpr const char* kOperation = "enqueue batch";
    // One transaction: a failure part way undoes every item (and its counters). A few set-based
    // statements for the whole batch, not a few round trips per item.
    return PgWrite(*pool_, kOperation,
                   [&](PgConnection& c) { return PgEnqueueMany(c, messages, next_attempt_at, kOperation); });
}

std::vector<Message> PostgresStore::ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) {
    constexpr const char* kOperation = "claim due messages";
    if (limit <= 0) return {};
    return PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        std::vector<std::string> ids;
        {
            // SKIP LOCKED: entries another process is claiming right now are left to it.
            const PgResult due =
                c.Run(force ? kPgSelectDueForced : kPgSelectDue, PgParams().Int(now).Int(limit), kOperation);
            for (int i = 0; i < due.Rows(); ++i) ids.push_back(due.Text(i, 0));
        }
        if (ids.empty()) return std::vector<Message>{};
        const std::string id_array = PgJsonArray(ids);
        c.Run(kPgLeaseEntries, PgParams().Text(id_array).Text(lease.owner).Int(lease.expires_at), kOperation);
        c.Run(kPgMarkEntriesSending, PgParams().Text(id_array).Int(now), kOperation);
        const PgResult rows = c.Run(kPgSelectClaimed.c_str(), PgParams().Text(id_array), kOperation);
        std::vector<Message> claimed;
        claimed.reserve(ids.size());
        for (int i = 0; i < rows.Rows(); ++i) claimed.push_back(PgReadMessage(rows, i));
        return claimed;
    });
}

bool PostgresStore::CompleteAttempt(const AttemptResult& result) {
    // Shared with the job: the caller waits for the future while the writer may still be finishing.
    auto applied = std::make_shared<std::promise<bool>>();
    auto lease_held = std::make_shared<bool>(false);
    std::future<bool> done = applied->get_future();
    attempt_commit_->Submit(PgGroupCommit::Job{
        result.attempt.message_id, [lease_held, result](PgConnection& c) { *lease_held = WriteAttempt(c, result); },
        [lease_held, applied](std::exception_ptr error) {
            if (error) {
                applied->set_exception(error);
            } else {
                applied->set_value(*lease_held);
            }
        }});
    return done.get();
}

std::size_t PostgresStore::ReleaseLeases(const std::string& owner, const std::vector<std::string>& message_ids,
                                         TimeMs due_at) {
    constexpr const char* kOperation = "release leases";
    if (message_ids.empty()) return 0;
    return PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        std::size_t released = 0;
        for (const std::string& id : message_ids) {
            // Not ours (expired and taken by another worker, or already completed): leave it alone.
            if (c.Run(kPgReleaseLease, PgParams().Text(id).Text(owner).Int(due_at), kOperation).Affected() == 0) {
                continue;
            }
            ++released;
            c.Run(kPgMarkQueued, PgParams().Text(id), kOperation);
        }
        return released;
    });
}

bool PostgresStore::Requeue(std::string_view message_id, TimeMs now) {
    constexpr const char* kOperation = "requeue message";
    return PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        const PgResult requeued = c.Run(kPgRequeueFailed, PgParams().Text(message_id).Int(now), kOperation);
        if (requeued.Rows() == 0) return false;
        // kPgRequeueFailed took only a failed message.
        c.AddCounters(CounterChangesForStatus(requeued.Int(0, 0), requeued.Text(0, 1), MessageStatus::kFailed,
                                              MessageStatus::kQueued));
        c.Run(kPgUpsertQueueEntry, PgParams().Text(message_id).Int(now).Int(now), kOperation);
        return true;
    });
}

// ---- Reads

std::optional<Message> PostgresStore::GetMessage(std::string_view message_id) {
    return PgRead(*pool_, [&](PgConnection& c) { return PgLoadMessage(c, message_id, "get message"); });
}

std::vector<Attempt> PostgresStore::ListAttempts(std::string_view message_id) {
    constexpr const char* kOperation = "list attempts";
    return PgRead(*pool_, [&](PgConnection& c) {
        const PgResult r = c.Run(kPgSelectAttempts, PgParams().Text(message_id), kOperation);
        std::vector<Attempt> attempts;
        for (int i = 0; i < r.Rows(); ++i) attempts.push_back(ReadAttempt(r, i, kOperation));
        return attempts;
    });
}

HistoryPage PostgresStore::History(const HistoryQuery& query) {
    constexpr const char* kOperation = "read history";
    // The statement text depends only on which filters are present (constant fragments); values are
    // bound, never spliced in.
    std::string sql = std::string("SELECT ") + kPgMessageColumns +
                      " FROM notifications_log AS l LEFT JOIN notifications_queue AS q ON q.message_id = l.id";
    const char* glue = " WHERE ";
    int index = 0;
    const auto add = [&](const char* condition) {
        sql += glue;
        sql += condition;
        sql += std::to_string(++index);
        glue = " AND ";
    };
    PgParams params;
    if (query.phone) {
        add("l.phone = $");
        params.Text(*query.phone);
    }
    if (query.status) {
        add("l.status = $");
        params.Text(ToString(*query.status));
    }
    if (query.message_type) {
        add("l.message_type = $");
        params.Text(*query.message_type);
    }
    if (query.since) {
        add("l.created_at >= $");
        params.Int(*query.since);
    }
    if (query.until) {
        add("l.created_at < $");
        params.Int(*query.until);
    }
    if (query.before_seq) {
        add("l.seq < $");
        params.Int(*query.before_seq);
    }
    const int limit = std::clamp(query.limit, 1, kMaxHistoryLimit);
    sql += " ORDER BY l.seq DESC LIMIT $" + std::to_string(++index);
    params.Int(limit + 1);  // one more than asked tells whether another page exists

    return PgRead(*pool_, [&](PgConnection& c) {
        const PgResult r = c.RunDynamic(sql, params, kOperation);
        HistoryPage page;
        const int rows = std::min(r.Rows(), limit);
        page.items.reserve(static_cast<std::size_t>(rows));
        for (int i = 0; i < rows; ++i) page.items.push_back(PgReadMessage(r, i, false));
        if (r.Rows() > limit) page.next_before_seq = page.items.back().seq;
        return page;
    });
}

// ---- Webhooks and opt-outs

StatusReportResult PostgresStore::ApplyStatusReport(const WebhookEventRecord& event, const StatusReport& report) {
    constexpr const char* kOperation = "apply status report";
    return PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        StatusReportResult result;
        std::optional<Message> message;
        {
            // Locked until commit: the status is read, decided on and written as one step.
            const PgResult r = c.Run(kPgSelectMessageByProviderIdForUpdate.c_str(),
                                     PgParams().Text(report.provider_message_id), kOperation);
            if (r.Rows() > 0) message = PgReadMessage(r, 0);
        }
        if (!PgInsertWebhookEvent(c, event, report.provider_message_id, message ? "applied" : "unknown_message",
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
            c.AddCounters(
                CounterChangesForStatus(message->created_at, message->message_type, message->status, updated.status));
            c.Run(kPgApplyStatusReport,
                  PgParams()
                      .Text(updated.id)
                      .Text(ToString(updated.status))
                      .OptInt(updated.sent_at)
                      .OptInt(updated.delivered_at)
                      .OptInt(updated.read_at)
                      .OptInt(updated.failed_at)
                      .Text(updated.last_error)
                      .Int(updated.updated_at),
                  kOperation);
        }
        StatusEvent recorded;
        recorded.message_id = updated.id;
        recorded.event_id = event.event_id;
        recorded.status = report.status;
        recorded.occurred_at = report.at;
        recorded.received_at = event.received_at;
        recorded.applied = transition.ChangesMessage();
        recorded.note = StatusEventNote(transition);
        c.Run(kPgInsertStatusEvent,
              PgParams()
                  .Text(recorded.message_id)
                  .Text(recorded.event_id)
                  .Text(ToString(recorded.status))
                  .Int(recorded.occurred_at)
                  .Int(recorded.received_at)
                  .Bool(recorded.applied)
                  .Text(recorded.note),
              kOperation);
        result.outcome = WebhookOutcome::kApplied;
        result.message = std::move(updated);
        result.event = std::move(recorded);
        return result;
    });
}

WebhookOutcome PostgresStore::RecordWebhookEvent(const WebhookEventRecord& event,
                                                 const std::optional<OptOutChange>& opt_out) {
    constexpr const char* kOperation = "record webhook event";
    return PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        if (!PgInsertWebhookEvent(c, event, {}, "applied", kOperation)) return WebhookOutcome::kDuplicate;
        if (opt_out) {
            PgUpsertOptOut(c, opt_out->phone, opt_out->opted_out, event.occurred_at.value_or(event.received_at),
                           kOperation);
        }
        return WebhookOutcome::kApplied;
    });
}

std::vector<StatusEvent> PostgresStore::ListStatusEvents(std::string_view message_id) {
    constexpr const char* kOperation = "list status events";
    return PgRead(*pool_, [&](PgConnection& c) {
        const PgResult r = c.Run(kPgSelectStatusEvents, PgParams().Text(message_id), kOperation);
        std::vector<StatusEvent> events;
        for (int i = 0; i < r.Rows(); ++i) events.push_back(ReadStatusEvent(r, i, kOperation));
        return events;
    });
}

bool PostgresStore::SetOptOut(std::string_view phone, bool opted_out, TimeMs at) {
    constexpr const char* kOperation = "set opt-out";
    return PgWrite(*pool_, kOperation,
                   [&](PgConnection& c) { return PgUpsertOptOut(c, phone, opted_out, at, kOperation); });
}

bool PostgresStore::IsOptedOut(std::string_view phone) {
    return PgRead(*pool_, [&](PgConnection& c) { return PgPhoneOptedOut(c, phone, "read opt-out"); });
}

bool PostgresStore::MarkSuppressed(std::string_view message_id, TimeMs now) {
    constexpr const char* kOperation = "suppress message";
    return PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        const PgResult marked = c.Run(
            kPgMarkSuppressed,
            PgParams().Text(message_id).Int(now).Text("recipient opted out after the message was queued"), kOperation);
        if (marked.Rows() == 0) return false;
        // kPgMarkSuppressed took only a queued or sending message, counted as queued.
        c.AddCounters(CounterChangesForStatus(marked.Int(0, 0), marked.Text(0, 1), MessageStatus::kQueued,
                                              MessageStatus::kSuppressed));
        c.Run(kPgDeleteQueueEntry, PgParams().Text(message_id), kOperation);
        return true;
    });
}

PurgeResult PostgresStore::PurgeOlderThan(TimeMs cutoff, std::size_t limit) {
    constexpr const char* kOperation = "purge old messages";
    if (limit == 0) return {};
    return PgWrite(*pool_, kOperation, [&](PgConnection& c) {
        PurgeResult result;
        const auto n = static_cast<std::int64_t>(limit);
        result.messages =
            static_cast<std::size_t>(c.Run(kPgPurgeMessages, PgParams().Int(cutoff).Int(n), kOperation).Affected());
        result.webhook_events = static_cast<std::size_t>(
            c.Run(kPgPurgeWebhookEvents, PgParams().Int(cutoff).Int(n), kOperation).Affected());
        return result;
    });
}

std::int64_t PostgresStore::QueueDepth() {
    return PgRead(*pool_, [&](PgConnection& c) {
        const PgResult r = c.Run(kPgQueueDepth, "read queue depth");
        return r.Rows() > 0 ? r.Int(0, 0) : std::int64_t{0};
    });
}

std::optional<TimeMs> PostgresStore::NextDueAt() {
    return PgRead(*pool_, [&](PgConnection& c) -> std::optional<TimeMs> {
        const PgResult r = c.Run(kPgNextDue, "read next due time");
        if (r.Rows() == 0) return std::nullopt;
        return r.OptInt(0, 0);
    });
}

}  // namespace notify
