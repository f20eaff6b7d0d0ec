#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "store/migrations.h"
#include "store/store.h"

namespace notify {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;
constexpr const char* kPhone1 = "+919876543210";
constexpr const char* kPhone2 = "+919812345678";

// A fresh directory per test, removed afterwards; tests run in parallel under ctest.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "notifyd-store-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

Message MakeMessage(const std::string& id, TimeMs created_at, const std::string& type = "delivery_reminder",
                    const std::string& phone = kPhone1, MessageStatus status = MessageStatus::kQueued) {
    Message m;
    m.id = id;
    m.phone = phone;
    m.message_type = type;
    m.provider_template_name = type;
    m.language = "en";
    m.parameters = {"Asha", "Jan 28", "Indiranagar"};
    m.context_json = R"({"customer_name":"Asha","delivery_date":"Jan 28","area":"Indiranagar"})";
    m.status = status;
    m.created_at = created_at;
    m.updated_at = created_at;
    return m;
}

Attempt MakeAttempt(const std::string& id, int number, TimeMs started_at, AttemptOutcome outcome) {
    Attempt a;
    a.message_id = id;
    a.number = number;
    a.started_at = started_at;
    a.latency_ms = 42;
    a.outcome = outcome;
    a.http_status = outcome == AttemptOutcome::kAccepted ? 200 : 503;
    a.error = outcome == AttemptOutcome::kAccepted ? "" : "HTTP 503: upstream unavailable";
    a.provider_message_id = outcome == AttemptOutcome::kAccepted ? "wamid." + id : "";
    return a;
}

std::vector<std::string> Ids(const std::vector<Message>& messages) {
    std::vector<std::string> ids;
    for (const Message& m : messages) ids.push_back(m.id);
    return ids;
}

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        // The data/ directory does not exist yet: the store creates it.
        path_ = (dir_.path() / "data" / "notifications.db").string();
        store_ = std::make_unique<SqliteStore>(path_);
        ASSERT_EQ(store_->Migrate(), static_cast<int>(EmbeddedMigrations().size()));
    }

    // Reads one integer straight from the file, beside the store, with a bound text parameter.
    std::int64_t Scalar(const char* sql, const std::string& param = {}) const {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        if (sqlite3_bind_parameter_count(stmt) > 0) {
            sqlite3_bind_text(stmt, 1, param.c_str(), -1, SQLITE_TRANSIENT);
        }
        EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
        const std::int64_t value = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return value;
    }

    std::int64_t LogRows() const { return Scalar("SELECT COUNT(*) FROM notifications_log"); }

    Message Enqueue(const Message& m, TimeMs due) {
        EnqueueResult result = store_->Enqueue(m, due, std::nullopt);
        EXPECT_TRUE(result.created);
        return result.message;
    }

    // Enqueues, claims and completes one attempt with the given ending.
    void Finish(const std::string& id, AttemptResult::Next next, TimeMs now) {
        ASSERT_EQ(Ids(store_->ClaimDue(now, 100, Lease{"finisher", now + 60'000}, false)),
                  std::vector<std::string>{id});
        AttemptResult result;
        const bool sent = next == AttemptResult::Next::kSent;
        result.attempt = MakeAttempt(id, 1, now, sent ? AttemptOutcome::kAccepted : AttemptOutcome::kPermanent);
        result.next = next;
        result.now = now;
        store_->CompleteAttempt(result);
    }

    TempDir dir_;
    std::string path_;
    std::unique_ptr<SqliteStore> store_;
};

// ---- Migrations

TEST_F(SqliteStoreTest, MigrateCreatesTheContractTablesAndTheTenTemplates) {
    for (const char* table : {"notification_templates", "notifications_log", "notifications_queue",
                              "notification_settings", "message_attempts", "api_tokens", "schema_migrations",
                              "webhook_events", "message_status_events", "opt_outs"}) {
        EXPECT_EQ(Scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", table), 1) << table;
    }

    const std::map<std::string, std::vector<std::string>> expected = {
        {"welcome", {"customer_name"}},
        {"order_confirmation", {"customer_name", "order_id", "delivery_date", "amount"}},
        {"delivery_reminder", {"customer_name", "delivery_date", "area"}},
        {"delivery_completed", {"customer_name", "delivery_date"}},
        {"delivery_missed", {"customer_name", "delivery_date", "reason"}},
        {"subscription_created", {"customer_name", "plan", "start_date"}},
        {"subscription_paused", {"customer_name", "pause_from", "pause_until"}},
        {"subscription_resumed", {"customer_name", "resume_date"}},
        {"payment_received", {"customer_name", "amount", "payment_id"}},
        {"payment_reminder", {"customer_name", "amount_due", "due_date"}},
    };
    const std::vector<Template> templates = store_->ListTemplates();
    ASSERT_EQ(templates.size(), expected.size());
    for (const Template& t : templates) {
        SCOPED_TRACE(t.name);
        ASSERT_TRUE(expected.contains(t.name));
        EXPECT_EQ(t.variables, expected.at(t.name));
        EXPECT_EQ(t.provider_template_name, t.name);
        EXPECT_EQ(t.language, "en");
        EXPECT_TRUE(t.enabled);
        EXPECT_FALSE(t.description.empty());
        EXPECT_FALSE(t.category.empty());
        EXPECT_GT(t.updated_at, 0);
        for (const std::string& variable : t.variables) {
            EXPECT_NE(t.body.find("{{" + variable + "}}"), std::string::npos) << variable;
        }
    }
}

TEST_F(SqliteStoreTest, MigrateTwiceIsANoOpAndStatusListsApplied) {
    EXPECT_EQ(store_->Migrate(), 0);
    SqliteStore reopened(path_);
    EXPECT_EQ(reopened.Migrate(), 0);
    EXPECT_EQ(reopened.ListTemplates().size(), 10u);

    const std::vector<MigrationState> status = store_->MigrationStatus();
    ASSERT_EQ(status.size(), EmbeddedMigrations().size());
    EXPECT_EQ(status.front().name, "0001_initial.sql");
    for (const MigrationState& state : status) {
        EXPECT_TRUE(state.applied) << state.name;
        EXPECT_TRUE(state.applied_at.has_value()) << state.name;
    }
}

TEST(SqliteStoreMigrations, StatusListsPendingBeforeMigrateAndUseBeforeMigrateIsUnavailable) {
    TempDir dir;
    SqliteStore store((dir.path() / "fresh.db").string());
    const std::vector<MigrationState> status = store.MigrationStatus();
    ASSERT_EQ(status.size(), EmbeddedMigrations().size());
    for (const MigrationState& state : status) EXPECT_FALSE(state.applied) << state.name;

    EXPECT_THROW(store.GetMessage("m1"), StoreUnavailable);
    EXPECT_THROW(store.QueueDepth(), StoreUnavailable);
    store.Ping();  // the database itself is reachable

    EXPECT_EQ(store.Migrate(), static_cast<int>(EmbeddedMigrations().size()));
    for (const MigrationState& state : store.MigrationStatus()) EXPECT_TRUE(state.applied) << state.name;
    EXPECT_EQ(store.QueueDepth(), 0);
}

// ---- Enqueue and idempotency

TEST_F(SqliteStoreTest, EnqueueAndGetRoundTripEveryField) {
    Message m = MakeMessage("m1", kT0);
    m.parameters = {"Asha \"Didi\"", "२८ जनवरी", "HSR Layout, Sector 2"};
    m.context_json = R"({"customer_name":"Asha \"Didi\"","note":"<b>not html</b>"})";
    m.idempotency_key = "order-42-reminder";

    const EnqueueResult result = store_->Enqueue(m, kT0 + 5, std::nullopt);
    EXPECT_TRUE(result.created);
    EXPECT_GT(result.message.seq, 0);
    EXPECT_EQ(result.message.next_attempt_at, kT0 + 5);

    const std::optional<Message> got = store_->GetMessage("m1");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->seq, result.message.seq);
    EXPECT_EQ(got->id, "m1");
    EXPECT_EQ(got->phone, kPhone1);
    EXPECT_EQ(got->message_type, "delivery_reminder");
    EXPECT_EQ(got->provider_template_name, "delivery_reminder");
    EXPECT_EQ(got->language, "en");
    EXPECT_EQ(got->parameters, m.parameters);
    EXPECT_EQ(got->context_json, m.context_json);
    EXPECT_EQ(got->status, MessageStatus::kQueued);
    EXPECT_EQ(got->provider_message_id, "");
    EXPECT_EQ(got->attempts, 0);
    EXPECT_EQ(got->last_error, "");
    EXPECT_EQ(got->idempotency_key, "order-42-reminder");
    EXPECT_EQ(got->created_at, kT0);
    EXPECT_EQ(got->updated_at, kT0);
    EXPECT_FALSE(got->sent_at || got->delivered_at || got->read_at || got->failed_at);
    EXPECT_EQ(got->next_attempt_at, kT0 + 5);

    EXPECT_FALSE(store_->GetMessage("nope").has_value());
}

TEST_F(SqliteStoreTest, RepeatedIdempotencyKeyReturnsTheFirstMessageAndWritesNothing) {
    Message first = MakeMessage("m1", kT0);
    first.idempotency_key = "k1";
    const Message stored = Enqueue(first, kT0);

    Message again = MakeMessage("m2", kT0 + 1000, "payment_reminder", kPhone2);
    again.idempotency_key = "k1";
    const EnqueueResult repeat = store_->Enqueue(again, kT0 + 1000, std::nullopt);
    EXPECT_FALSE(repeat.created);
    EXPECT_EQ(repeat.message.id, "m1");
    EXPECT_EQ(repeat.message.seq, stored.seq);
    EXPECT_EQ(repeat.message.phone, kPhone1);
    EXPECT_EQ(repeat.message.next_attempt_at, kT0);

    EXPECT_FALSE(store_->GetMessage("m2").has_value());
    EXPECT_EQ(LogRows(), 1);
    EXPECT_EQ(store_->QueueDepth(), 1);

    // Messages without a key never collide.
    Enqueue(MakeMessage("m3", kT0), kT0);
    Enqueue(MakeMessage("m4", kT0), kT0);
    EXPECT_EQ(LogRows(), 3);
}

TEST_F(SqliteStoreTest, RacingTheSameIdempotencyKeyCreatesExactlyOneMessage) {
    // Two stores on one file stand for two processes; four threads each.
    SqliteStore other(path_);
    constexpr int kThreads = 8;
    std::latch start(kThreads);
    std::vector<EnqueueResult> results(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            Message m = MakeMessage("race-" + std::to_string(i), kT0 + i);
            m.idempotency_key = "same-key";
            Store& store = i % 2 == 0 ? static_cast<Store&>(*store_) : other;
            start.arrive_and_wait();
            results[i] = store.Enqueue(m, kT0, std::nullopt);
        });
    }
    for (std::thread& t : threads) t.join();

    int created = 0;
    std::string winner;
    for (const EnqueueResult& r : results) {
        if (r.created) {
            ++created;
            winner = r.message.id;
        }
    }
    ASSERT_EQ(created, 1);
    for (const EnqueueResult& r : results) EXPECT_EQ(r.message.id, winner);
    EXPECT_EQ(LogRows(), 1);
    EXPECT_EQ(store_->QueueDepth(), 1);
}

TEST_F(SqliteStoreTest, SuppressedAndSkippedMessagesGetNoQueueEntry) {
    const Message suppressed = Enqueue(MakeMessage("s1", kT0, "welcome", kPhone1, MessageStatus::kSuppressed), kT0);
    const Message skipped = Enqueue(MakeMessage("s2", kT0, "welcome", kPhone1, MessageStatus::kSkippedRollout), kT0);
    EXPECT_FALSE(suppressed.next_attempt_at.has_value());
    EXPECT_FALSE(skipped.next_attempt_at.has_value());
    EXPECT_EQ(store_->QueueDepth(), 0);
    EXPECT_EQ(store_->GetMessage("s1")->status, MessageStatus::kSuppressed);
    EXPECT_EQ(store_->GetMessage("s2")->status, MessageStatus::kSkippedRollout);
    EXPECT_TRUE(store_->ClaimDue(kT0, 10, Lease{"w", kT0 + 1000}, true).empty());
}

// ---- Claims

TEST_F(SqliteStoreTest, ClaimDueLeasesAnEntryOnceUntilTheLeaseExpires) {
    Enqueue(MakeMessage("m1", kT0), kT0 + 1000);

    EXPECT_TRUE(store_->ClaimDue(kT0 + 999, 10, Lease{"a", kT0 + 61'000}, false).empty());  // not due yet

    const std::vector<Message> claimed = store_->ClaimDue(kT0 + 1000, 10, Lease{"a", kT0 + 61'000}, false);
    ASSERT_EQ(Ids(claimed), std::vector<std::string>{"m1"});
    EXPECT_EQ(claimed[0].status, MessageStatus::kSending);
    EXPECT_EQ(store_->GetMessage("m1")->status, MessageStatus::kSending);

    EXPECT_TRUE(store_->ClaimDue(kT0 + 1000, 10, Lease{"b", kT0 + 61'000}, false).empty());
    EXPECT_TRUE(store_->ClaimDue(kT0 + 60'999, 10, Lease{"b", kT0 + 120'000}, true).empty());

    // The worker holding it died: at expiry another takes it over.
    EXPECT_EQ(Ids(store_->ClaimDue(kT0 + 61'000, 10, Lease{"b", kT0 + 121'000}, false)),
              std::vector<std::string>{"m1"});
    EXPECT_EQ(store_->QueueDepth(), 1);
}

TEST_F(SqliteStoreTest, ForceClaimsEntriesNotYetDueButNotLeasedOnes) {
    Enqueue(MakeMessage("m1", kT0), kT0 + 3'600'000);
    EXPECT_TRUE(store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).empty());
    EXPECT_EQ(Ids(store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, true)), std::vector<std::string>{"m1"});
    EXPECT_TRUE(store_->ClaimDue(kT0, 10, Lease{"b", kT0 + 60'000}, true).empty());
}

TEST_F(SqliteStoreTest, ClaimDueTakesOldestDueFirstUpToTheLimit) {
    Enqueue(MakeMessage("m1", kT0), kT0 + 300);
    Enqueue(MakeMessage("m2", kT0), kT0 + 100);
    Enqueue(MakeMessage("m3", kT0), kT0 + 200);
    EXPECT_EQ(Ids(store_->ClaimDue(kT0 + 1000, 2, Lease{"a", kT0 + 60'000}, false)),
              (std::vector<std::string>{"m2", "m3"}));
    EXPECT_EQ(Ids(store_->ClaimDue(kT0 + 1000, 2, Lease{"b", kT0 + 60'000}, false)), std::vector<std::string>{"m1"});
    EXPECT_TRUE(store_->ClaimDue(kT0 + 1000, 0, Lease{"c", kT0 + 60'000}, true).empty());
}

TEST_F(SqliteStoreTest, EnqueueWithAClaimLeasesTheEntryAtOnce) {
    const EnqueueResult result = store_->Enqueue(MakeMessage("m1", kT0), kT0, Lease{"request", kT0 + 30'000});
    EXPECT_EQ(result.message.status, MessageStatus::kSending);
    EXPECT_EQ(store_->GetMessage("m1")->status, MessageStatus::kSending);
    EXPECT_TRUE(store_->ClaimDue(kT0 + 10, 10, Lease{"processor", kT0 + 60'000}, true).empty());
    EXPECT_EQ(Ids(store_->ClaimDue(kT0 + 30'000, 10, Lease{"processor", kT0 + 90'000}, false)),
              std::vector<std::string>{"m1"});
}

// ---- Attempts

TEST_F(SqliteStoreTest, CompleteAttemptSentRecordsTheAttemptAndLeavesTheQueue) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).size(), 1u);

    AttemptResult result;
    result.attempt = MakeAttempt("m1", 1, kT0 + 10, AttemptOutcome::kAccepted);
    result.next = AttemptResult::Next::kSent;
    result.now = kT0 + 52;
    store_->CompleteAttempt(result);

    const Message m = *store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSent);
    EXPECT_EQ(m.provider_message_id, "wamid.m1");
    EXPECT_EQ(m.sent_at, kT0 + 52);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.last_error, "");
    EXPECT_EQ(m.updated_at, kT0 + 52);
    EXPECT_FALSE(m.failed_at.has_value());
    EXPECT_FALSE(m.next_attempt_at.has_value());
    EXPECT_EQ(store_->QueueDepth(), 0);

    const std::vector<Attempt> attempts = store_->ListAttempts("m1");
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].message_id, "m1");
    EXPECT_EQ(attempts[0].number, 1);
    EXPECT_EQ(attempts[0].started_at, kT0 + 10);
    EXPECT_EQ(attempts[0].latency_ms, 42);
    EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kAccepted);
    EXPECT_EQ(attempts[0].http_status, 200);
    EXPECT_EQ(attempts[0].error, "");
    EXPECT_EQ(attempts[0].provider_message_id, "wamid.m1");
    EXPECT_TRUE(store_->ListAttempts("unknown").empty());
}

TEST_F(SqliteStoreTest, CompleteAttemptRetryReschedulesThenFailedEndsIt) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).size(), 1u);

    AttemptResult retry;
    retry.attempt = MakeAttempt("m1", 1, kT0, AttemptOutcome::kRetryable);
    retry.next = AttemptResult::Next::kRetry;
    retry.next_attempt_at = kT0 + 30'000;
    retry.now = kT0 + 100;
    store_->CompleteAttempt(retry);

    Message m = *store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kQueued);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.last_error, "HTTP 503: upstream unavailable");
    EXPECT_EQ(m.next_attempt_at, kT0 + 30'000);
    EXPECT_EQ(m.updated_at, kT0 + 100);
    EXPECT_EQ(store_->QueueDepth(), 1);

    // The lease was freed: the retry is taken when due, long before the old lease would expire.
    EXPECT_TRUE(store_->ClaimDue(kT0 + 29'999, 10, Lease{"b", kT0 + 90'000}, false).empty());
    ASSERT_EQ(store_->ClaimDue(kT0 + 30'000, 10, Lease{"b", kT0 + 90'000}, false).size(), 1u);

    AttemptResult failed;
    failed.attempt = MakeAttempt("m1", 2, kT0 + 30'000, AttemptOutcome::kPermanent);
    failed.attempt.error = "131026: recipient not on WhatsApp";
    failed.next = AttemptResult::Next::kFailed;
    failed.now = kT0 + 30'050;
    store_->CompleteAttempt(failed);

    m = *store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kFailed);
    EXPECT_EQ(m.attempts, 2);
    EXPECT_EQ(m.last_error, "131026: recipient not on WhatsApp");
    EXPECT_EQ(m.failed_at, kT0 + 30'050);
    EXPECT_FALSE(m.sent_at.has_value());
    EXPECT_FALSE(m.next_attempt_at.has_value());
    EXPECT_EQ(store_->QueueDepth(), 0);

    const std::vector<Attempt> attempts = store_->ListAttempts("m1");
    ASSERT_EQ(attempts.size(), 2u);
    EXPECT_EQ(attempts[0].number, 1);
    EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kRetryable);
    EXPECT_EQ(attempts[1].number, 2);
    EXPECT_EQ(attempts[1].outcome, AttemptOutcome::kPermanent);
}

TEST_F(SqliteStoreTest, ALateRetryFromAnExpiredLeaseDoesNotUndoTheSend) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(store_->ClaimDue(kT0, 10, Lease{"slow", kT0 + 100}, false).size(), 1u);
    ASSERT_EQ(store_->ClaimDue(kT0 + 100, 10, Lease{"fast", kT0 + 60'000}, false).size(), 1u);

    AttemptResult sent;
    sent.attempt = MakeAttempt("m1", 1, kT0 + 100, AttemptOutcome::kAccepted);
    sent.next = AttemptResult::Next::kSent;
    sent.now = kT0 + 150;
    store_->CompleteAttempt(sent);

    AttemptResult late;
    late.attempt = MakeAttempt("m1", 1, kT0, AttemptOutcome::kRetryable);
    late.next = AttemptResult::Next::kRetry;
    late.next_attempt_at = kT0 + 30'000;
    late.now = kT0 + 200;
    store_->CompleteAttempt(late);

    const Message m = *store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSent);
    EXPECT_EQ(m.last_error, "");
    EXPECT_EQ(m.provider_message_id, "wamid.m1");
    EXPECT_EQ(store_->QueueDepth(), 0);  // not queued to be sent a second time
    EXPECT_EQ(store_->ListAttempts("m1").size(), 2u);
}

TEST_F(SqliteStoreTest, RequeueOnlyTakesFailedMessages) {
    EXPECT_FALSE(store_->Requeue("unknown", kT0));

    Enqueue(MakeMessage("queued", kT0), kT0 + 3'600'000);
    EXPECT_FALSE(store_->Requeue("queued", kT0));

    Enqueue(MakeMessage("sent", kT0), kT0);
    Finish("sent", AttemptResult::Next::kSent, kT0);
    EXPECT_FALSE(store_->Requeue("sent", kT0));

    Enqueue(MakeMessage("failed", kT0), kT0);
    Finish("failed", AttemptResult::Next::kFailed, kT0);
    ASSERT_EQ(store_->GetMessage("failed")->status, MessageStatus::kFailed);

    EXPECT_TRUE(store_->Requeue("failed", kT0 + 500));
    const Message m = *store_->GetMessage("failed");
    EXPECT_EQ(m.status, MessageStatus::kQueued);
    EXPECT_EQ(m.last_error, "HTTP 503: upstream unavailable");
    EXPECT_EQ(m.next_attempt_at, kT0 + 500);
    EXPECT_EQ(m.updated_at, kT0 + 500);
    EXPECT_FALSE(store_->Requeue("failed", kT0 + 600));  // queued now

    EXPECT_EQ(Ids(store_->ClaimDue(kT0 + 500, 10, Lease{"a", kT0 + 60'000}, false)),
              std::vector<std::string>{"failed"});
}

TEST_F(SqliteStoreTest, ReleaseLeasesFreesOnlyTheOwnersEntries) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    Enqueue(MakeMessage("m2", kT0), kT0 + 1);
    ASSERT_EQ(Ids(store_->ClaimDue(kT0 + 1, 1, Lease{"a", kT0 + 60'000}, false)), std::vector<std::string>{"m1"});
    ASSERT_EQ(Ids(store_->ClaimDue(kT0 + 1, 1, Lease{"b", kT0 + 60'000}, false)), std::vector<std::string>{"m2"});

    store_->ReleaseLeases("a", {"m1", "m2"}, kT0 + 5);
    EXPECT_EQ(store_->GetMessage("m1")->status, MessageStatus::kQueued);
    EXPECT_EQ(store_->GetMessage("m1")->next_attempt_at, kT0 + 5);
    EXPECT_EQ(store_->GetMessage("m2")->status, MessageStatus::kSending);
    EXPECT_EQ(Ids(store_->ClaimDue(kT0 + 5, 10, Lease{"c", kT0 + 60'000}, false)), std::vector<std::string>{"m1"});
}

// ---- History

TEST_F(SqliteStoreTest, HistoryIsNewestFirstWithFiltersAndedTogether) {
    // m0..m4: phone 1, delivery_reminder; m5..m7: phone 2, payment_reminder; m3 and m6 suppressed.
    for (int i = 0; i < 8; ++i) {
        const bool second = i >= 5;
        const MessageStatus status = (i == 3 || i == 6) ? MessageStatus::kSuppressed : MessageStatus::kQueued;
        Enqueue(MakeMessage("m" + std::to_string(i), kT0 + i * 1000, second ? "payment_reminder" : "delivery_reminder",
                            second ? kPhone2 : kPhone1, status),
                kT0 + 100'000);
    }

    HistoryPage all = store_->History(HistoryQuery{});
    EXPECT_EQ(Ids(all.items), (std::vector<std::string>{"m7", "m6", "m5", "m4", "m3", "m2", "m1", "m0"}));
    EXPECT_FALSE(all.next_before_seq.has_value());
    for (std::size_t i = 1; i < all.items.size(); ++i) EXPECT_GT(all.items[i - 1].seq, all.items[i].seq);
    EXPECT_EQ(all.items[0].next_attempt_at, kT0 + 100'000);  // queued: from its queue entry
    EXPECT_FALSE(all.items[1].next_attempt_at.has_value());  // suppressed: none

    HistoryQuery by_phone;
    by_phone.phone = kPhone2;
    EXPECT_EQ(Ids(store_->History(by_phone).items), (std::vector<std::string>{"m7", "m6", "m5"}));

    HistoryQuery by_type;
    by_type.message_type = "delivery_reminder";
    EXPECT_EQ(Ids(store_->History(by_type).items), (std::vector<std::string>{"m4", "m3", "m2", "m1", "m0"}));

    HistoryQuery by_status;
    by_status.status = MessageStatus::kSuppressed;
    EXPECT_EQ(Ids(store_->History(by_status).items), (std::vector<std::string>{"m6", "m3"}));

    HistoryQuery window;  // [since, until)
    window.since = kT0 + 2000;
    window.until = kT0 + 5000;
    EXPECT_EQ(Ids(store_->History(window).items), (std::vector<std::string>{"m4", "m3", "m2"}));

    HistoryQuery combined;
    combined.phone = kPhone1;
    combined.status = MessageStatus::kQueued;
    combined.since = kT0 + 1000;
    EXPECT_EQ(Ids(store_->History(combined).items), (std::vector<std::string>{"m4", "m2", "m1"}));

    HistoryQuery nothing;
    nothing.phone = kPhone2;
    nothing.message_type = "delivery_reminder";
    EXPECT_TRUE(store_->History(nothing).items.empty());
}

TEST_F(SqliteStoreTest, HistoryPagesWithTheCursorAcrossPages) {
    for (int i = 0; i < 7; ++i) Enqueue(MakeMessage("m" + std::to_string(i), kT0 + i), kT0);
    Enqueue(MakeMessage("other", kT0 + 100, "welcome", kPhone2), kT0);  // filtered out below

    HistoryQuery query;
    query.phone = kPhone1;
    query.limit = 3;
    std::vector<std::vector<std::string>> pages;
    for (int guard = 0; guard < 10; ++guard) {
        const HistoryPage page = store_->History(query);
        pages.push_back(Ids(page.items));
        if (!page.next_before_seq) break;
        EXPECT_EQ(*page.next_before_seq, page.items.back().seq);
        query.before_seq = page.next_before_seq;
    }
    EXPECT_EQ(pages, (std::vector<std::vector<std::string>>{{"m6", "m5", "m4"}, {"m3", "m2", "m1"}, {"m0"}}));

    // A last page that is exactly full has no cursor.
    HistoryQuery exact;
    exact.phone = kPhone1;
    exact.limit = 7;
    EXPECT_FALSE(store_->History(exact).next_before_seq.has_value());
    exact.limit = 6;
    EXPECT_TRUE(store_->History(exact).next_before_seq.has_value());
}

// ---- Statistics and queue

TEST_F(SqliteStoreTest, StatsFromHourlyCountersMatchCountingEveryMessage) {
    // 30 messages, one every 97 minutes, so ranges cut hours at both ends; statuses vary and
    // change after enqueue, which the counters must follow.
    constexpr TimeMs kStep = 97 * 60'000;
    const std::vector<MessageStatus> statuses = {MessageStatus::kQueued, MessageStatus::kSent, MessageStatus::kRead,
                                                 MessageStatus::kFailed, MessageStatus::kSuppressed};
    for (int i = 0; i < 30; ++i) {
        Enqueue(MakeMessage("h" + std::to_string(i), kT0 + i * kStep, i % 2 ? "welcome" : "delivery_reminder", kPhone1,
                            statuses[static_cast<std::size_t>(i) % statuses.size()]),
                kT0);
    }
    // Queued ones are sent now (status changes from queued to sending to sent).
    const TimeMs now = kT0 + 100 * kStep;
    for (const auto& m : store_->ClaimDue(now, 100, Lease{"w", now + 60'000}, false)) {
        AttemptResult result;
        result.attempt = MakeAttempt(m.id, 1, now, AttemptOutcome::kAccepted);
        result.next = AttemptResult::Next::kSent;
        result.now = now;
        store_->CompleteAttempt(result);
    }
    auto brute_force = [&](TimeMs since, TimeMs until) {
        StatusCounts counts;
        for (int i = 0; i < 30; ++i) {
            const Message m = *store_->GetMessage("h" + std::to_string(i));
            if (m.created_at < since || m.created_at >= until) continue;
            ++counts.total;
            counts.sent += m.status == MessageStatus::kSent || m.status == MessageStatus::kRead;
            counts.read += m.status == MessageStatus::kRead;
            counts.delivered += m.status == MessageStatus::kRead;
            counts.failed += m.status == MessageStatus::kFailed;
            counts.suppressed += m.status == MessageStatus::kSuppressed;
            counts.queued += m.status == MessageStatus::kQueued || m.status == MessageStatus::kSending;
        }
        return counts;
    };
    const std::vector<std::pair<TimeMs, TimeMs>> ranges = {
        {0, kT0 + 1000 * kStep},           {kT0 + 1, kT0 + 29 * kStep},          {kT0 + 3 * kStep + 5, kT0 + 17 * kStep},
        {kT0 + 10 * kStep, kT0 + 10 * kStep + 1}, {kT0 + 5 * kStep - 1, kT0 + 5 * kStep + 3'600'001}};
    for (const auto& [since, until] : ranges) {
        const StatusCounts expected = brute_force(since, until);
        const StatusCounts got = store_->Stats(StatsQuery{since, until}).all;
        EXPECT_EQ(got.total, expected.total) << since << ".." << until;
        EXPECT_EQ(got.sent, expected.sent) << since << ".." << until;
        EXPECT_EQ(got.read, expected.read);
        EXPECT_EQ(got.delivered, expected.delivered);
        EXPECT_EQ(got.failed, expected.failed);
        EXPECT_EQ(got.suppressed, expected.suppressed);
        EXPECT_EQ(got.queued, expected.queued);
    }
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.queued, 0);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.sent, 18);  // 6 queued now sent, 6 sent, 6 read
    EXPECT_EQ(Scalar("SELECT SUM(count) FROM stats_hourly"), 30);
}

WebhookEventRecord Event(const std::string& id, TimeMs received_at, const std::string& type = "message.delivered") {
    return WebhookEventRecord{id, type, received_at, std::nullopt};
}

StatusReport Report(MessageStatus status, TimeMs at, const std::string& provider_id = "wamid.m1") {
    return StatusReport{provider_id, status, at, {}};
}

// Counts per (type, status) of the messages created in [since, until), straight from the rows.
Statistics CountEveryMessage(const std::vector<Message>& messages, std::optional<TimeMs> since,
                             std::optional<TimeMs> until) {
    Statistics stats;
    for (const Message& m : messages) {
        if ((since && m.created_at < *since) || (until && m.created_at >= *until)) continue;
        for (StatusCounts* c : {&stats.all, &stats.by_type[m.message_type]}) {
            ++c->total;
            c->queued += m.status == MessageStatus::kQueued || m.status == MessageStatus::kSending;
            c->sent += m.status == MessageStatus::kSent || m.status == MessageStatus::kDelivered ||
                       m.status == MessageStatus::kRead;
            c->delivered += m.status == MessageStatus::kDelivered || m.status == MessageStatus::kRead;
            c->read += m.status == MessageStatus::kRead;
            c->failed += m.status == MessageStatus::kFailed;
            c->suppressed += m.status == MessageStatus::kSuppressed;
            c->skipped_rollout += m.status == MessageStatus::kSkippedRollout;
        }
    }
    return stats;
}

void ExpectSameCounts(const StatusCounts& got, const StatusCounts& expected, const std::string& where) {
    EXPECT_EQ(got.total, expected.total) << where;
    EXPECT_EQ(got.queued, expected.queued) << where;
    EXPECT_EQ(got.sent, expected.sent) << where;
    EXPECT_EQ(got.delivered, expected.delivered) << where;
    EXPECT_EQ(got.read, expected.read) << where;
    EXPECT_EQ(got.failed, expected.failed) << where;
    EXPECT_EQ(got.suppressed, expected.suppressed) << where;
    EXPECT_EQ(got.skipped_rollout, expected.skipped_rollout) << where;
}

TEST_F(SqliteStoreTest, StatsFromDailyAndTotalCountersMatchCountingEveryMessage) {
    // 150 messages over about 45 days, one every 7 h 13 min 17 s, so that days, hours and seconds
    // are cut everywhere; three types and every status; then old messages change status (moving
    // counts between statuses in past days), one changes type and day, and two are deleted.
    constexpr TimeMs kHour = 3'600'000;
    constexpr TimeMs kDay = 24 * kHour;
    constexpr TimeMs kStart = 1'699'920'000'000;  // 2023-11-14T00:00:00Z: a day boundary
    constexpr TimeMs kStep = 7 * kHour + 13 * 60'000 + 17'000;
    constexpr int kCount = 150;
    const std::vector<std::string> types = {"delivery_reminder", "payment_reminder", "welcome"};
    const std::vector<MessageStatus> statuses = {
        MessageStatus::kQueued, MessageStatus::kSent,       MessageStatus::kDelivered,     MessageStatus::kRead,
        MessageStatus::kFailed, MessageStatus::kSuppressed, MessageStatus::kSkippedRollout};
    for (int i = 0; i < kCount; ++i) {
        Message m = MakeMessage("s" + std::to_string(i), kStart + i * kStep, types[static_cast<std::size_t>(i) % 3],
                                kPhone1, statuses[static_cast<std::size_t>(i) % statuses.size()]);
        if (m.status != MessageStatus::kQueued) m.provider_message_id = "wamid.s" + std::to_string(i);
        Enqueue(m, kStart);
    }
    const TimeMs now = kStart + kCount * kStep;
    // The queued ones are sent (queued -> sending -> sent), some fail for good.
    for (const auto& m : store_->ClaimDue(now, 1000, Lease{"w", now + 60'000}, false)) {
        const bool fail = m.id.back() % 2 == 0;
        AttemptResult result;
        result.attempt = MakeAttempt(m.id, 1, now, fail ? AttemptOutcome::kPermanent : AttemptOutcome::kAccepted);
        result.next = fail ? AttemptResult::Next::kFailed : AttemptResult::Next::kSent;
        result.now = now;
        store_->CompleteAttempt(result);
    }
    // Webhooks move old sent messages to delivered and read; a failed one is queued again.
    int event = 0;
    for (int i = 0; i < kCount; i += 5) {
        const Message m = *store_->GetMessage("s" + std::to_string(i));
        if (m.provider_message_id.empty()) continue;
        const MessageStatus to = i % 2 ? MessageStatus::kDelivered : MessageStatus::kRead;
        store_->ApplyStatusReport(Event("ev" + std::to_string(++event), now), Report(to, now, m.provider_message_id));
    }
    ASSERT_TRUE(store_->Requeue("s4", now));
    {
        // Writes no code path makes today, straight to the file: the triggers must follow them too.
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        for (const char* sql :
             {"DELETE FROM notifications_log WHERE id IN ('s20', 's101')",
              "UPDATE notifications_log SET message_type = 'welcome', created_at = created_at + 86400000 * 3 + 5"
              " WHERE id = 's30'"}) {
            ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        }
        sqlite3_close(db);
    }

    std::vector<Message> messages;
    for (int i = 0; i < kCount; ++i) {
        if (auto m = store_->GetMessage("s" + std::to_string(i))) messages.push_back(*m);
    }
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(kCount - 2));

    // Each level of counters holds exactly what counting the rows gives; counters keep 'sending'
    // under 'queued' (migration 0005).
    const std::string kBucket = "CASE status WHEN 'sending' THEN 'queued' ELSE status END";
    for (const std::string& sql : std::vector<std::string>{
             "SELECT COUNT(*) FROM (SELECT created_at / 3600000, message_type, " + kBucket +
                 ", COUNT(*)"
                 " FROM notifications_log"
                 " GROUP BY 1, 2, 3 EXCEPT SELECT hour, message_type, status, count FROM stats_hourly WHERE count <> "
                 "0)",
             "SELECT COUNT(*) FROM (SELECT hour, message_type, status, count FROM stats_hourly WHERE count <> 0 EXCEPT"
             " SELECT created_at / 3600000, message_type, " +
                 kBucket +
                 ", COUNT(*)"
                 " FROM notifications_log GROUP BY 1, 2, 3)",
             "SELECT COUNT(*) FROM (SELECT created_at / 86400000, message_type, " + kBucket +
                 ", COUNT(*)"
                 " FROM notifications_log"
                 " GROUP BY 1, 2, 3 EXCEPT SELECT day, message_type, status, count FROM stats_daily WHERE count <> 0)",
             "SELECT COUNT(*) FROM (SELECT day, message_type, status, count FROM stats_daily WHERE count <> 0 EXCEPT"
             " SELECT created_at / 86400000, message_type, " +
                 kBucket +
                 ", COUNT(*)"
                 " FROM notifications_log GROUP BY 1, 2, 3)",
             "SELECT COUNT(*) FROM (SELECT message_type, " + kBucket +
                 ", COUNT(*)"
                 " FROM notifications_log GROUP BY 1, 2"
                 " EXCEPT SELECT message_type, status, count FROM stats_total WHERE count <> 0)",
             "SELECT COUNT(*) FROM (SELECT message_type, status, count FROM stats_total WHERE count <> 0"
             " EXCEPT SELECT message_type, " +
                 kBucket +
                 ", COUNT(*)"
                 " FROM notifications_log GROUP BY 1, 2)",
             "SELECT COUNT(*) FROM stats_hourly WHERE count < 0", "SELECT COUNT(*) FROM stats_daily WHERE count < 0",
             "SELECT COUNT(*) FROM stats_total WHERE count < 0"}) {
        EXPECT_EQ(Scalar(sql.c_str()), 0) << sql;
    }
    EXPECT_EQ(Scalar("SELECT SUM(count) FROM stats_daily"), kCount - 2);
    EXPECT_EQ(Scalar("SELECT SUM(count) FROM stats_total"), kCount - 2);

    // Range ends: unbounded, before and after everything, day and hour boundaries, a millisecond
    // either side of them, mid-hour and mid-day; every pair of them, so also empty ranges and
    // since > until, ranges inside one hour or one day, and ranges read as all time less the rest.
    std::vector<std::optional<TimeMs>> ends = {std::nullopt, 0, kStart - 5 * kDay, now + 40 * kDay,
                                               253'402'300'800'000};
    for (TimeMs base : {kStart, kStart + 17 * kDay, kStart + 31 * kDay + 5 * kHour, now - 2 * kDay}) {
        const TimeMs day = base - base % kDay;
        for (TimeMs t : {day, day - 1, day + 1, day + 13 * kHour, day + 13 * kHour + 1, day + 13 * kHour - 1,
                         day + 13 * kHour + 27 * 60'000, day + 23 * kHour + 59 * 60'000, day + 41 * 60'000}) {
            ends.push_back(t);
        }
    }
    for (int i : {0, 1, 57, 149}) ends.push_back(kStart + i * kStep);  // exactly a message's time
    int checked = 0;
    for (const auto& since : ends) {
        for (const auto& until : ends) {
            const std::string where =
                (since ? std::to_string(*since) : "-") + " .. " + (until ? std::to_string(*until) : "-");
            const Statistics expected = CountEveryMessage(messages, since, until);
            const Statistics got = store_->Stats(StatsQuery{since, until});
            ExpectSameCounts(got.all, expected.all, where);
            std::vector<std::string> got_types;
            std::vector<std::string> expected_types;
            for (const auto& [type, counts] : got.by_type) got_types.push_back(type);
            for (const auto& [type, counts] : expected.by_type) expected_types.push_back(type);
            EXPECT_EQ(got_types, expected_types) << where;
            for (const auto& [type, counts] : expected.by_type) {
                if (got.by_type.contains(type)) ExpectSameCounts(got.by_type.at(type), counts, where + " " + type);
            }
            ++checked;
        }
    }
    EXPECT_GT(checked, 1000);
    const Statistics empty = store_->Stats(StatsQuery{kStart + 3 * kDay, kStart + kDay});
    EXPECT_EQ(empty.all.total, 0);
    EXPECT_TRUE(empty.by_type.empty());
}

TEST_F(SqliteStoreTest, StatsCountPerTheContractDefinitions) {
    // Every status once for delivery_reminder, created kT0 + 0..7; two more for payment_reminder.
    const std::vector<MessageStatus> statuses = {
        MessageStatus::kQueued, MessageStatus::kSending, MessageStatus::kSent,       MessageStatus::kDelivered,
        MessageStatus::kRead,   MessageStatus::kFailed,  MessageStatus::kSuppressed, MessageStatus::kSkippedRollout};
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        Enqueue(MakeMessage("d" + std::to_string(i), kT0 + static_cast<TimeMs>(i), "delivery_reminder", kPhone1,
                            statuses[i]),
                kT0);
    }
    Enqueue(MakeMessage("p0", kT0 + 100, "payment_reminder", kPhone2, MessageStatus::kSent), kT0);
    Enqueue(MakeMessage("p1", kT0 + 101, "payment_reminder", kPhone2, MessageStatus::kFailed), kT0);

    const Statistics stats = store_->Stats(StatsQuery{});
    EXPECT_EQ(stats.all.total, 10);
    EXPECT_EQ(stats.all.queued, 2);     // queued + sending
    EXPECT_EQ(stats.all.sent, 4);       // sent + delivered + read
    EXPECT_EQ(stats.all.delivered, 2);  // delivered + read
    EXPECT_EQ(stats.all.read, 1);
    EXPECT_EQ(stats.all.failed, 2);
    EXPECT_EQ(stats.all.suppressed, 1);
    EXPECT_EQ(stats.all.skipped_rollout, 1);

    ASSERT_EQ(stats.by_type.size(), 2u);
    const StatusCounts& delivery = stats.by_type.at("delivery_reminder");
    EXPECT_EQ(delivery.total, 8);
    EXPECT_EQ(delivery.queued, 2);
    EXPECT_EQ(delivery.sent, 3);
    EXPECT_EQ(delivery.delivered, 2);
    EXPECT_EQ(delivery.read, 1);
    EXPECT_EQ(delivery.failed, 1);
    const StatusCounts& payment = stats.by_type.at("payment_reminder");
    EXPECT_EQ(payment.total, 2);
    EXPECT_EQ(payment.sent, 1);
    EXPECT_EQ(payment.failed, 1);
    EXPECT_EQ(payment.queued, 0);

    // [since, until): kT0 + 2 (sent) .. kT0 + 4 (read) and nothing of payment_reminder.
    StatsQuery window;
    window.since = kT0 + 2;
    window.until = kT0 + 5;
    const Statistics windowed = store_->Stats(window);
    EXPECT_EQ(windowed.all.total, 3);
    EXPECT_EQ(windowed.all.sent, 3);
    EXPECT_EQ(windowed.all.delivered, 2);
    EXPECT_EQ(windowed.all.read, 1);
    EXPECT_EQ(windowed.all.queued, 0);
    EXPECT_EQ(windowed.by_type.size(), 1u);

    StatsQuery later;
    later.since = kT0 + 100;
    EXPECT_EQ(store_->Stats(later).all.total, 2);
    StatsQuery empty;
    empty.until = kT0;
    EXPECT_EQ(store_->Stats(empty).all.total, 0);
    EXPECT_TRUE(store_->Stats(empty).by_type.empty());
}

TEST_F(SqliteStoreTest, QueueDepthAndNextDueAtFollowLeases) {
    EXPECT_EQ(store_->QueueDepth(), 0);
    EXPECT_FALSE(store_->NextDueAt().has_value());

    Enqueue(MakeMessage("m1", kT0), kT0 + 500);
    Enqueue(MakeMessage("m2", kT0), kT0 + 200);
    EXPECT_EQ(store_->QueueDepth(), 2);
    EXPECT_EQ(store_->NextDueAt(), kT0 + 200);

    // m2 leased until kT0 + 10000: it counts from its lease expiry, so m1 is next.
    ASSERT_EQ(Ids(store_->ClaimDue(kT0 + 200, 1, Lease{"a", kT0 + 10'000}, false)), std::vector<std::string>{"m2"});
    EXPECT_EQ(store_->NextDueAt(), kT0 + 500);

    ASSERT_EQ(Ids(store_->ClaimDue(kT0 + 500, 1, Lease{"a", kT0 + 700}, false)), std::vector<std::string>{"m1"});
    EXPECT_EQ(store_->NextDueAt(), kT0 + 700);
    EXPECT_EQ(store_->QueueDepth(), 2);  // leased entries still wait

    AttemptResult sent;
    sent.attempt = MakeAttempt("m1", 1, kT0 + 500, AttemptOutcome::kAccepted);
    sent.next = AttemptResult::Next::kSent;
    sent.now = kT0 + 600;
    store_->CompleteAttempt(sent);
    EXPECT_EQ(store_->QueueDepth(), 1);
    EXPECT_EQ(store_->NextDueAt(), kT0 + 10'000);
}

// ---- Settings, tokens, templates

TEST_F(SqliteStoreTest, SettingsStartAtTheDefaultsAndRoundTrip) {
    const Settings defaults = store_->GetSettings();
    EXPECT_TRUE(defaults.enabled);
    EXPECT_FALSE(defaults.paused);
    EXPECT_EQ(defaults.rollout_percent, 100);
    EXPECT_EQ(defaults.recipient_min_gap_seconds, 0);

    Settings changed;
    changed.enabled = false;
    changed.paused = true;
    changed.rollout_percent = 25;
    changed.recipient_min_gap_seconds = 60;
    changed.updated_at = kT0;
    changed.updated_by = "ops-admin";
    store_->PutSettings(changed);

    const Settings got = store_->GetSettings();
    EXPECT_FALSE(got.enabled);
    EXPECT_TRUE(got.paused);
    EXPECT_EQ(got.rollout_percent, 25);
    EXPECT_EQ(got.recipient_min_gap_seconds, 60);
    EXPECT_EQ(got.updated_at, kT0);
    EXPECT_EQ(got.updated_by, "ops-admin");
}

TEST_F(SqliteStoreTest, TokensAreFoundByTheirHash) {
    store_->InsertToken(ApiToken{"deploy-bot", Role::kOperator, std::string(64, 'a'), kT0, std::nullopt, std::nullopt});
    store_->InsertToken(ApiToken{"dashboard", Role::kViewer, std::string(64, 'b'), kT0 + 1, std::nullopt, std::nullopt});

    const std::optional<ApiToken> bot = store_->FindTokenByHash(std::string(64, 'a'));
    ASSERT_TRUE(bot.has_value());
    EXPECT_EQ(bot->name, "deploy-bot");
    EXPECT_EQ(bot->role, Role::kOperator);
    EXPECT_EQ(bot->created_at, kT0);
    EXPECT_EQ(store_->FindTokenByHash(std::string(64, 'b'))->role, Role::kViewer);
    EXPECT_FALSE(store_->FindTokenByHash(std::string(64, 'c')).has_value());
}

TEST_F(SqliteStoreTest, UpdateTemplateRoundTripsAndUnknownIsNotFound) {
    Template t = *store_->GetTemplate("delivery_reminder");
    t.provider_template_name = "delivery_reminder_v2";
    t.language = "hi";
    t.variables = {"customer_name", "area", "delivery_date"};
    t.body = "Namaste {{customer_name}}, {{area}}: {{delivery_date}}";
    t.enabled = false;
    t.updated_at = kT0;
    store_->UpdateTemplate(t);

    const Template got = *store_->GetTemplate("delivery_reminder");
    EXPECT_EQ(got.provider_template_name, "delivery_reminder_v2");
    EXPECT_EQ(got.language, "hi");
    EXPECT_EQ(got.variables, t.variables);
    EXPECT_EQ(got.body, t.body);
    EXPECT_FALSE(got.enabled);
    EXPECT_EQ(got.updated_at, kT0);
    EXPECT_FALSE(store_->GetTemplate("no_such_template").has_value());

    t.name = "no_such_template";
    try {
        store_->UpdateTemplate(t);
        FAIL() << "expected not found";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    }
}

// ---- Concurrency and failures

TEST_F(SqliteStoreTest, ConcurrentWritersAndReadersSeeConsistentCounts) {
    constexpr int kWriters = 4;
    constexpr int kPerWriter = 50;
    std::atomic<bool> stop{false};
    std::atomic<int> reader_errors{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                try {
                    const std::int64_t depth = store_->QueueDepth();
                    const Statistics stats = store_->Stats(StatsQuery{});
                    store_->History(HistoryQuery{});
                    if (depth < 0 || stats.all.total > kWriters * kPerWriter) ++reader_errors;
                    // A range read as several counters must see one snapshot of them.
                    const Statistics part = store_->Stats(StatsQuery{kT0 + 10, std::nullopt});
                    std::int64_t by_type = 0;
                    for (const auto& [type, counts] : part.by_type) by_type += counts.total;
                    if (part.all.total < 0 || part.all.total > kWriters * (kPerWriter - 10) ||
                        by_type != part.all.total) {
                        ++reader_errors;
                    }
                } catch (const std::exception&) {
                    ++reader_errors;
                }
            }
        });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < kPerWriter; ++i) {
                Enqueue(MakeMessage("w" + std::to_string(w) + "-" + std::to_string(i), kT0 + i), kT0 + i);
            }
        });
    }
    for (std::thread& t : writers) t.join();
    stop = true;
    for (std::thread& t : readers) t.join();

    EXPECT_EQ(reader_errors.load(), 0);
    EXPECT_EQ(store_->QueueDepth(), kWriters * kPerWriter);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.total, kWriters * kPerWriter);
    std::size_t claimed = 0;
    for (int i = 0; i < kWriters; ++i) {
        claimed += store_->ClaimDue(kT0 + 1000, 1000, Lease{"x", kT0 + 9000}, false).size();
    }
    EXPECT_EQ(claimed, static_cast<std::size_t>(kWriters * kPerWriter));  // each entry exactly once
}

// ---- Webhooks and opt-outs

TEST_F(SqliteStoreTest, StatusReportsMoveTheMessageAndKeepItsHistory) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    Finish("m1", AttemptResult::Next::kSent, kT0 + 10);

    const StatusReportResult delivered =
        store_->ApplyStatusReport(Event("e1", kT0 + 1000), Report(MessageStatus::kDelivered, kT0 + 900));
    EXPECT_EQ(delivered.outcome, WebhookOutcome::kApplied);
    ASSERT_TRUE(delivered.message);
    EXPECT_EQ(delivered.message->status, MessageStatus::kDelivered);
    EXPECT_TRUE(delivered.event.applied);

    store_->ApplyStatusReport(Event("e2", kT0 + 2000, "message.read"), Report(MessageStatus::kRead, kT0 + 1900));
    const Message m = *store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kRead);
    EXPECT_EQ(m.sent_at, kT0 + 10);
    EXPECT_EQ(m.delivered_at, kT0 + 900);
    EXPECT_EQ(m.read_at, kT0 + 1900);
    EXPECT_EQ(m.updated_at, kT0 + 2000);

    const std::vector<StatusEvent> events = store_->ListStatusEvents("m1");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].event_id, "e1");
    EXPECT_EQ(events[0].status, MessageStatus::kDelivered);
    EXPECT_EQ(events[0].occurred_at, kT0 + 900);
    EXPECT_EQ(events[0].received_at, kT0 + 1000);
    EXPECT_EQ(events[1].status, MessageStatus::kRead);
    EXPECT_TRUE(store_->ListStatusEvents("unknown").empty());

    const Statistics stats = store_->Stats(StatsQuery{});
    EXPECT_EQ(stats.all.sent, 1);
    EXPECT_EQ(stats.all.delivered, 1);
    EXPECT_EQ(stats.all.read, 1);
}

TEST_F(SqliteStoreTest, ARepeatedEventIdIsADuplicateAndChangesNothing) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    Finish("m1", AttemptResult::Next::kSent, kT0 + 10);
    ASSERT_EQ(store_->ApplyStatusReport(Event("e1", kT0 + 100), Report(MessageStatus::kDelivered, kT0 + 90)).outcome,
              WebhookOutcome::kApplied);
    // The same event id again, even claiming another status: nothing happens.
    const StatusReportResult again =
        store_->ApplyStatusReport(Event("e1", kT0 + 200), Report(MessageStatus::kRead, kT0 + 190));
    EXPECT_EQ(again.outcome, WebhookOutcome::kDuplicate);
    EXPECT_FALSE(again.message);
    EXPECT_EQ(store_->GetMessage("m1")->status, MessageStatus::kDelivered);
    EXPECT_EQ(store_->ListStatusEvents("m1").size(), 1u);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_events"), 1);
    // Event ids are shared by status and other events.
    EXPECT_EQ(store_->RecordWebhookEvent(Event("e1", kT0 + 300, "message.received"), std::nullopt),
              WebhookOutcome::kDuplicate);
}

TEST_F(SqliteStoreTest, RacingDeliveriesOfOneEventApplyItOnce) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    Finish("m1", AttemptResult::Next::kSent, kT0 + 10);
    constexpr int kThreads = 8;
    std::atomic<int> applied{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            const auto result =
                store_->ApplyStatusReport(Event("same", kT0 + 100), Report(MessageStatus::kDelivered, kT0 + 90));
            if (result.outcome == WebhookOutcome::kApplied) ++applied;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(applied.load(), 1);
    EXPECT_EQ(store_->ListStatusEvents("m1").size(), 1u);
}

TEST_F(SqliteStoreTest, UnknownProviderIdIsRecordedAndReportedAsSuch) {
    const StatusReportResult result =
        store_->ApplyStatusReport(Event("e1", kT0), Report(MessageStatus::kDelivered, kT0, "nobody"));
    EXPECT_EQ(result.outcome, WebhookOutcome::kUnknownMessage);
    EXPECT_FALSE(result.message);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_events WHERE outcome = 'unknown_message'"), 1);
    EXPECT_EQ(store_->ApplyStatusReport(Event("e1", kT0), Report(MessageStatus::kDelivered, kT0, "nobody")).outcome,
              WebhookOutcome::kDuplicate);
}

TEST_F(SqliteStoreTest, LateAndFailedReportsFollowTheStatusRules) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    Finish("m1", AttemptResult::Next::kSent, kT0 + 10);
    store_->ApplyStatusReport(Event("r", kT0 + 300), Report(MessageStatus::kRead, kT0 + 200));
    const StatusReportResult late =
        store_->ApplyStatusReport(Event("d", kT0 + 400), Report(MessageStatus::kDelivered, kT0 + 100));
    EXPECT_EQ(late.message->status, MessageStatus::kRead);
    StatusReport failure = Report(MessageStatus::kFailed, kT0 + 500);
    failure.reason = "131026: undeliverable";
    const StatusReportResult failed = store_->ApplyStatusReport(Event("f", kT0 + 500), failure);
    EXPECT_EQ(failed.outcome, WebhookOutcome::kApplied);
    EXPECT_FALSE(failed.event.applied);

    const Message m = *store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kRead);
    EXPECT_EQ(m.delivered_at, kT0 + 100);
    EXPECT_EQ(m.read_at, kT0 + 200);
    EXPECT_FALSE(m.failed_at);
    EXPECT_EQ(m.last_error, "");
    const std::vector<StatusEvent> events = store_->ListStatusEvents("m1");
    ASSERT_EQ(events.size(), 3u);
    EXPECT_TRUE(events[1].applied);  // it filled delivered_at
    EXPECT_FALSE(events[2].applied);
    EXPECT_NE(events[2].note.find("131026"), std::string::npos) << events[2].note;
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.failed, 0);

    // A failure of a message only sent fails it, with the reason, and the statistics follow.
    Enqueue(MakeMessage("m2", kT0 + 1), kT0 + 1);
    Finish("m2", AttemptResult::Next::kSent, kT0 + 20);
    StatusReport second = Report(MessageStatus::kFailed, kT0 + 600, "wamid.m2");
    second.reason = "CHAT_4001: insufficient wallet balance";
    store_->ApplyStatusReport(Event("f2", kT0 + 600), second);
    const Message m2 = *store_->GetMessage("m2");
    EXPECT_EQ(m2.status, MessageStatus::kFailed);
    EXPECT_EQ(m2.failed_at, kT0 + 600);
    EXPECT_EQ(m2.last_error, "CHAT_4001: insufficient wallet balance");
    const Statistics stats = store_->Stats(StatsQuery{});
    EXPECT_EQ(stats.all.failed, 1);
    EXPECT_EQ(stats.all.sent, 1);
    EXPECT_EQ(stats.all.delivered, 1);
}

TEST_F(SqliteStoreTest, OptOutsFollowTheLatestChange) {
    EXPECT_FALSE(store_->IsOptedOut(kPhone1));
    EXPECT_TRUE(store_->SetOptOut(kPhone1, true, kT0 + 100));
    EXPECT_TRUE(store_->IsOptedOut(kPhone1));
    EXPECT_FALSE(store_->IsOptedOut(kPhone2));
    // An older START (delivered late) does not undo the newer STOP.
    EXPECT_FALSE(store_->SetOptOut(kPhone1, false, kT0 + 50));
    EXPECT_TRUE(store_->IsOptedOut(kPhone1));
    EXPECT_TRUE(store_->SetOptOut(kPhone1, false, kT0 + 200));
    EXPECT_FALSE(store_->IsOptedOut(kPhone1));
    EXPECT_EQ(Scalar("SELECT opted_out_at FROM opt_outs WHERE phone = ?1", kPhone1), kT0 + 100);
}

TEST_F(SqliteStoreTest, AnInboundEventAndItsOptOutAreOneDeDuplicatedWrite) {
    WebhookEventRecord stop = Event("in-1", kT0 + 100, "message.received");
    stop.occurred_at = kT0 + 90;
    EXPECT_EQ(store_->RecordWebhookEvent(stop, OptOutChange{kPhone1, true}), WebhookOutcome::kApplied);
    EXPECT_TRUE(store_->IsOptedOut(kPhone1));
    EXPECT_TRUE(store_->SetOptOut(kPhone1, false, kT0 + 95));
    // The STOP delivered again must not opt the customer out a second time.
    EXPECT_EQ(store_->RecordWebhookEvent(stop, OptOutChange{kPhone1, true}), WebhookOutcome::kDuplicate);
    EXPECT_FALSE(store_->IsOptedOut(kPhone1));
    EXPECT_EQ(store_->RecordWebhookEvent(Event("other", kT0, "conversation.closed"), std::nullopt),
              WebhookOutcome::kApplied);
}

TEST_F(SqliteStoreTest, MarkSuppressedTakesAQueuedMessageOutOfTheQueue) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).size(), 1u);
    EXPECT_TRUE(store_->MarkSuppressed("m1", kT0 + 5));
    const Message m = *store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSuppressed);
    EXPECT_EQ(m.updated_at, kT0 + 5);
    EXPECT_FALSE(m.last_error.empty());
    EXPECT_EQ(store_->QueueDepth(), 0);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.suppressed, 1);
    // Not again, and never a message already sent.
    EXPECT_FALSE(store_->MarkSuppressed("m1", kT0 + 6));
    Enqueue(MakeMessage("m2", kT0), kT0);
    Finish("m2", AttemptResult::Next::kSent, kT0 + 10);
    EXPECT_FALSE(store_->MarkSuppressed("m2", kT0 + 11));
    EXPECT_EQ(store_->GetMessage("m2")->status, MessageStatus::kSent);
}

TEST_F(SqliteStoreTest, AQueuedMessageToAnOptedOutNumberIsStoredSuppressedWithoutEntryOrClaim) {
    ASSERT_TRUE(store_->SetOptOut(kPhone1, true, kT0));
    const EnqueueResult queued = store_->Enqueue(MakeMessage("m1", kT0), kT0, std::nullopt);
    ASSERT_TRUE(queued.created);
    EXPECT_EQ(queued.message.status, MessageStatus::kSuppressed);
    EXPECT_FALSE(queued.message.next_attempt_at.has_value());
    // An immediate send's claim is not taken either: there is nothing to send.
    const EnqueueResult immediate = store_->Enqueue(MakeMessage("m2", kT0), kT0, Lease{"immediate", kT0 + 60'000});
    EXPECT_EQ(immediate.message.status, MessageStatus::kSuppressed);
    EXPECT_EQ(store_->GetMessage("m2")->status, MessageStatus::kSuppressed);
    EXPECT_EQ(store_->QueueDepth(), 0);
    // Another number, and the same one after START, are queued as usual.
    EXPECT_EQ(Enqueue(MakeMessage("m3", kT0, "delivery_reminder", kPhone2), kT0).status, MessageStatus::kQueued);
    ASSERT_TRUE(store_->SetOptOut(kPhone1, false, kT0 + 1));
    EXPECT_EQ(Enqueue(MakeMessage("m4", kT0 + 2), kT0 + 2).status, MessageStatus::kQueued);
    EXPECT_EQ(store_->QueueDepth(), 2);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.suppressed, 2);
}

TEST_F(SqliteStoreTest, SettingsAndTemplatesReadAfterAWriteShowTheWrite) {
    // Both are kept in memory after the first read; a write must not leave the old copy behind.
    ASSERT_TRUE(store_->GetSettings().enabled);
    Settings settings = store_->GetSettings();
    settings.enabled = false;
    settings.recipient_min_gap_seconds = 30;
    store_->PutSettings(settings);
    EXPECT_FALSE(store_->GetSettings().enabled);
    EXPECT_EQ(store_->GetSettings().recipient_min_gap_seconds, 30);

    Template t = *store_->GetTemplate("payment_reminder");
    t.enabled = false;
    store_->UpdateTemplate(t);
    EXPECT_FALSE(store_->GetTemplate("payment_reminder")->enabled);
    // A failed update changes nothing, in the file or in memory.
    t.name = "no_such_template";
    EXPECT_THROW(store_->UpdateTemplate(t), Error);
    EXPECT_FALSE(store_->GetTemplate("no_such_template").has_value());
    EXPECT_FALSE(store_->GetTemplate("payment_reminder")->enabled);
}

TEST_F(SqliteStoreTest, GroupCommitKeepsEveryWriteAndIsolatesOneThatFails) {
    // Writers race so that groups form; every other write of each thread fails inside its group
    // (an update of a template that does not exist). Each failure must reach its own caller only:
    // every enqueue is kept, and every failure is reported.
    constexpr int kThreads = 12;
    constexpr int kPerThread = 40;
    std::latch start(kThreads);
    std::atomic<int> failures{0};
    std::atomic<int> unexpected{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            Template missing;
            missing.name = "no_such_template_" + std::to_string(t);
            for (int i = 0; i < kPerThread; ++i) {
                try {
                    const auto id = "g" + std::to_string(t) + "-" + std::to_string(i);
                    if (!store_->Enqueue(MakeMessage(id, kT0 + i), kT0 + i, std::nullopt).created) ++unexpected;
                    store_->UpdateTemplate(missing);
                    ++unexpected;  // it must throw
                } catch (const Error& e) {
                    if (e.kind() == ErrorKind::kNotFound) {
                        ++failures;
                    } else {
                        ++unexpected;
                    }
                } catch (...) {
                    ++unexpected;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(unexpected.load(), 0);
    EXPECT_EQ(failures.load(), kThreads * kPerThread);
    EXPECT_EQ(LogRows(), kThreads * kPerThread);
    EXPECT_EQ(store_->QueueDepth(), kThreads * kPerThread);
    EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT seq) FROM notifications_log"), kThreads * kPerThread);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.queued, kThreads * kPerThread);
}

TEST(SqliteStoreOpen, UnusableLocationsThrowStoreUnavailable) {
    EXPECT_THROW(SqliteStore("/proc/notifyd-store-test/data/x.db"), StoreUnavailable);  // directory not creatable
    EXPECT_THROW(SqliteStore("/proc/notifyd-store-test.db"), StoreUnavailable);         // file not creatable
    try {
        SqliteStore store("/proc/notifyd-store-test.db");
        FAIL() << "expected StoreUnavailable";
    } catch (const StoreUnavailable& e) {
        EXPECT_NE(std::string(e.what()).find("open database"), std::string::npos) << e.what();
        EXPECT_EQ(e.kind(), ErrorKind::kUnavailable);
    }

    TempDir dir;
    EXPECT_THROW(SqliteStore(dir.path().string()), StoreUnavailable);  // a directory, not a file

    const std::string garbage = (dir.path() / "garbage.db").string();
    std::ofstream(garbage) << std::string(8192, 'x');
    EXPECT_THROW(
        {
            SqliteStore store(garbage);
            store.Migrate();
        },
        StoreUnavailable);
}

TEST(OpenStoreUrl, AcceptsSqliteFormsAndRejectsOthersClearly) {
    TempDir dir;
    const std::string plain = (dir.path() / "a" / "plain.db").string();
    std::unique_ptr<Store> store = OpenStore("sqlite:" + plain);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->Migrate(), static_cast<int>(EmbeddedMigrations().size()));
    EXPECT_TRUE(std::filesystem::exists(plain));

    const std::string slashed = (dir.path() / "b" / "slashed.db").string();  // absolute: sqlite:///tmp/...
    ASSERT_NE(OpenStore("sqlite://" + slashed), nullptr);
    EXPECT_TRUE(std::filesystem::exists(slashed));

    for (const char* url : {"postgresql://user:secret@db/notify", "postgres://user:secret@db/notify"}) {
        try {
            OpenStore(url);
            FAIL() << url;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("PostgreSQL is not supported"), std::string::npos) << e.what();
        }
    }
    for (const char* url : {"mysql://user:secret@db/notify", "", "sqlite:", "data/notifications.db"}) {
        try {
            OpenStore(url);
            FAIL() << url;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("DATABASE_URL"), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace notify
