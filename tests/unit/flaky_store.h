#pragma once

// A Store decorator for tests: forwards every call to a real store, except that CompleteAttempt
// fails with StoreUnavailable the next `fail_completes` times (a disk that is full, a database
// that stays locked), and Ping / ClaimDue fail while `down` is set.

#include <atomic>

#include "common/errors.h"
#include "store/store.h"

namespace notify::test_support {

class FlakyStore final : public Store {
public:
    explicit FlakyStore(Store& inner) : inner_(inner) {}

    std::atomic<int> fail_completes{0};
    std::atomic<int> complete_calls{0};
    std::atomic<bool> down{false};

    BusinessStore& Business() override { return inner_.Business(); }
    std::vector<MigrationState> MigrationStatus() override { return inner_.MigrationStatus(); }
    int Migrate() override { return inner_.Migrate(); }
    int MigrateTo(std::int64_t version) override { return inner_.MigrateTo(version); }
    void Ping() override {
        if (down.load()) throw StoreUnavailable("the test took the store down");
        inner_.Ping();
    }
    std::vector<Template> ListTemplates() override { return inner_.ListTemplates(); }
    std::optional<Template> GetTemplate(std::string_view name) override { return inner_.GetTemplate(name); }
    void UpdateTemplate(const Template& tmpl) override { inner_.UpdateTemplate(tmpl); }
    Settings GetSettings() override { return inner_.GetSettings(); }
    void PutSettings(const Settings& settings) override { inner_.PutSettings(settings); }
    void InsertToken(const ApiToken& token) override { inner_.InsertToken(token); }
    std::optional<ApiToken> FindTokenByHash(std::string_view hash) override { return inner_.FindTokenByHash(hash); }
    void RecordTokenUse(std::string_view hash, TimeMs at) override { inner_.RecordTokenUse(hash, at); }
    std::vector<ApiToken> ListTokens() override { return inner_.ListTokens(); }
    int RevokeTokens(std::string_view name) override { return inner_.RevokeTokens(name); }
    EnqueueResult Enqueue(const Message& message, TimeMs next_attempt_at, const std::optional<Lease>& claim) override {
        return inner_.Enqueue(message, next_attempt_at, claim);
    }
    PurgeResult PurgeOlderThan(TimeMs cutoff, std::size_t limit) override {
        return inner_.PurgeOlderThan(cutoff, limit);
    }
    void EnqueueAsync(const Message& message, TimeMs next_attempt_at, EnqueueDone done) override {
        inner_.EnqueueAsync(message, next_attempt_at, std::move(done));
    }
    std::vector<EnqueueResult> EnqueueBatch(const std::vector<Message>& messages, TimeMs next_attempt_at) override {
        return inner_.EnqueueBatch(messages, next_attempt_at);
    }
    std::vector<Message> ClaimDue(TimeMs now, int limit, const Lease& lease, bool force) override {
        if (down.load()) throw StoreUnavailable("the test took the store down");
        return inner_.ClaimDue(now, limit, lease, force);
    }
    bool CompleteAttempt(const AttemptResult& result) override {
        ++complete_calls;
        if (fail_completes.load() > 0) {
            --fail_completes;
            throw StoreUnavailable("disk full (injected by the test)");
        }
        return inner_.CompleteAttempt(result);
    }
    std::size_t ReleaseLeases(const std::string& owner, const std::vector<std::string>& ids, TimeMs due_at) override {
        return inner_.ReleaseLeases(owner, ids, due_at);
    }
    bool Requeue(std::string_view id, TimeMs now) override { return inner_.Requeue(id, now); }
    std::optional<Message> GetMessage(std::string_view id) override { return inner_.GetMessage(id); }
    std::vector<Attempt> ListAttempts(std::string_view id) override { return inner_.ListAttempts(id); }
    HistoryPage History(const HistoryQuery& query) override { return inner_.History(query); }
    Statistics Stats(const StatsQuery& query) override { return inner_.Stats(query); }
    StatusReportResult ApplyStatusReport(const WebhookEventRecord& event, const StatusReport& report) override {
        return inner_.ApplyStatusReport(event, report);
    }
    WebhookOutcome RecordWebhookEvent(const WebhookEventRecord& event,
                                      const std::optional<OptOutChange>& opt_out) override {
        return inner_.RecordWebhookEvent(event, opt_out);
    }
    std::vector<StatusEvent> ListStatusEvents(std::string_view id) override { return inner_.ListStatusEvents(id); }
    bool SetOptOut(std::string_view phone, bool opted_out, TimeMs at) override {
        return inner_.SetOptOut(phone, opted_out, at);
    }
    bool IsOptedOut(std::string_view phone) override { return inner_.IsOptedOut(phone); }
    bool MarkSuppressed(std::string_view id, TimeMs now) override { return inner_.MarkSuppressed(id, now); }
    std::int64_t QueueDepth() override { return inner_.QueueDepth(); }
    std::optional<TimeMs> NextDueAt() override { return inner_.NextDueAt(); }

private:
    Store& inner_;
};

}  // namespace notify::test_support
