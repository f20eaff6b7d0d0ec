#pragma once

// A Store for tests of authentication: only FindTokenByHash is meaningful (a gmock method);
// every other method throws std::logic_error, so a test notices if the code under test uses one.

#include <gmock/gmock.h>

#include <stdexcept>

#include "store/store.h"

namespace notify::testing_fakes {

// Not final: tests wrap it in NiceMock / StrictMock, which derive from it.
class TokenOnlyStore : public Store {
public:
    MOCK_METHOD(std::optional<ApiToken>, FindTokenByHash, (std::string_view token_hash), (override));

    std::vector<MigrationState> MigrationStatus() override { Unused("MigrationStatus"); }
    int Migrate() override { Unused("Migrate"); }
    void Ping() override { Unused("Ping"); }
    std::vector<Template> ListTemplates() override { Unused("ListTemplates"); }
    std::optional<Template> GetTemplate(std::string_view) override { Unused("GetTemplate"); }
    void UpdateTemplate(const Template&) override { Unused("UpdateTemplate"); }
    Settings GetSettings() override { Unused("GetSettings"); }
    void PutSettings(const Settings&) override { Unused("PutSettings"); }
    void InsertToken(const ApiToken&) override { Unused("InsertToken"); }
    EnqueueResult Enqueue(const Message&, TimeMs, const std::optional<Lease>&) override { Unused("Enqueue"); }
    std::vector<EnqueueResult> EnqueueBatch(const std::vector<Message>&, TimeMs) override { Unused("EnqueueBatch"); }
    std::vector<Message> ClaimDue(TimeMs, int, const Lease&, bool) override { Unused("ClaimDue"); }
    void CompleteAttempt(const AttemptResult&) override { Unused("CompleteAttempt"); }
    void ReleaseLeases(const std::string&, const std::vector<std::string>&, TimeMs) override {
        Unused("ReleaseLeases");
    }
    bool Requeue(std::string_view, TimeMs) override { Unused("Requeue"); }
    std::optional<Message> GetMessage(std::string_view) override { Unused("GetMessage"); }
    std::vector<Attempt> ListAttempts(std::string_view) override { Unused("ListAttempts"); }
    HistoryPage History(const HistoryQuery&) override { Unused("History"); }
    Statistics Stats(const StatsQuery&) override { Unused("Stats"); }
    StatusReportResult ApplyStatusReport(const WebhookEventRecord&, const StatusReport&) override {
        Unused("ApplyStatusReport");
    }
    WebhookOutcome RecordWebhookEvent(const WebhookEventRecord&, const std::optional<OptOutChange>&) override {
        Unused("RecordWebhookEvent");
    }
    std::vector<StatusEvent> ListStatusEvents(std::string_view) override { Unused("ListStatusEvents"); }
    bool SetOptOut(std::string_view, bool, TimeMs) override { Unused("SetOptOut"); }
    bool IsOptedOut(std::string_view) override { Unused("IsOptedOut"); }
    bool MarkSuppressed(std::string_view, TimeMs) override { Unused("MarkSuppressed"); }
    std::int64_t QueueDepth() override { Unused("QueueDepth"); }
    std::optional<TimeMs> NextDueAt() override { Unused("NextDueAt"); }

private:
    [[noreturn]] static void Unused(const char* method) {
        throw std::logic_error(std::string("TokenOnlyStore::") + method + " is not part of this test");
    }
};

}  // namespace notify::testing_fakes
