// The SQLite store's own behaviour: its file and the modes it creates it with, migrations, raw rows
// and group commit. What every store must do is in store_contract_test.cpp.

#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>  // chmod

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
#include "store_test_support.h"

namespace notify::store_test {
namespace {

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
        result.lease_owner = "finisher";
        ASSERT_TRUE(store_->CompleteAttempt(result));
    }

    TempDir dir_;
    std::string path_;
    std::unique_ptr<SqliteStore> store_;
};

// Rows the Store interface does not show: the webhook log, opt-out times, the hourly counters.
TEST_F(SqliteStoreTest, WebhookOptOutAndCounterRowsHoldWhatWasRecorded) {
    Enqueue(MakeMessage("m1", kT0), kT0);
    Finish("m1", AttemptResult::Next::kSent, kT0 + 10);
    ASSERT_EQ(store_->ApplyStatusReport(Event("e1", kT0 + 100), Report(MessageStatus::kDelivered, kT0 + 90)).outcome,
              WebhookOutcome::kApplied);
    EXPECT_EQ(store_->ApplyStatusReport(Event("e1", kT0 + 200), Report(MessageStatus::kRead, kT0 + 190)).outcome,
              WebhookOutcome::kDuplicate);
    EXPECT_EQ(store_->ApplyStatusReport(Event("e2", kT0), Report(MessageStatus::kDelivered, kT0, "nobody")).outcome,
              WebhookOutcome::kUnknownMessage);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_events"), 2);
    EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_events WHERE outcome = 'unknown_message'"), 1);

    EXPECT_TRUE(store_->SetOptOut(kPhone1, true, kT0 + 100));
    EXPECT_FALSE(store_->SetOptOut(kPhone1, false, kT0 + 50));
    EXPECT_TRUE(store_->SetOptOut(kPhone1, false, kT0 + 200));
    EXPECT_EQ(Scalar("SELECT opted_out_at FROM opt_outs WHERE phone = ?1", kPhone1), kT0 + 100);

    EXPECT_EQ(Scalar("SELECT SUM(count) FROM stats_hourly"), 1);
    EXPECT_EQ(Scalar("SELECT count FROM stats_hourly WHERE status = 'delivered'"), 1);
}

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
        result.lease_owner = "w";
        EXPECT_TRUE(store_->CompleteAttempt(result));
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

    // postgresql:// and postgres:// open a PostgresStore: pg_store_test.cpp, against its own cluster (a
    // test here must not try to reach a host named in a URL).
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

// A database that an earlier release migrated up to 0005 (the migrations then lived in
// src/store/migrations/, under the same names) takes the later ones, keeps its messages, and its
// idempotency keys still hold under the partial index of 0007.
TEST(SqliteStoreMigrations, ADatabaseOfAnEarlierReleaseMigratesCleanly) {
    TempDir dir;
    const std::string path = (dir.path() / "old.db").string();
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db,
                               "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                               " applied_at INTEGER NOT NULL)",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        int version = 0;
        for (const MigrationFile& file : EmbeddedMigrations()) {
            if (++version > 5) break;
            ASSERT_EQ(sqlite3_exec(db, file.sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << file.name;
            const std::string record =
                "INSERT INTO schema_migrations VALUES (" + std::to_string(version) + ", '" + file.name + "', 1)";
            ASSERT_EQ(sqlite3_exec(db, record.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        }
        // Two messages of that release, one with a key and one without.
        ASSERT_EQ(sqlite3_exec(db,
                               "INSERT INTO notifications_log (id, phone, message_type, provider_template_name,"
                               " language, status, idempotency_key, created_at, updated_at) VALUES"
                               " ('old-1', '+919876543210', 'welcome', 'welcome', 'en', 'sent', 'k0', 1, 1),"
                               " ('old-2', '+919876543210', 'welcome', 'welcome', 'en', 'sent', NULL, 1, 1)",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK)
            << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    SqliteStore store(path);
    Message keyed = MakeMessage("before-1", kT0);
    keyed.idempotency_key = "k1";
    EXPECT_EQ(store.Migrate(), static_cast<int>(EmbeddedMigrations().size()) - 5);
    for (const MigrationState& state : store.MigrationStatus()) EXPECT_TRUE(state.applied) << state.name;
    EXPECT_EQ(store.MigrationStatus().front().name, "0001_initial.sql");

    Message old_key = MakeMessage("new-0", kT0);
    old_key.idempotency_key = "k0";
    const EnqueueResult old_repeat = store.Enqueue(old_key, kT0, std::nullopt);
    EXPECT_FALSE(old_repeat.created);
    EXPECT_EQ(old_repeat.message.id, "old-1");
    ASSERT_TRUE(store.GetMessage("old-2").has_value());

    ASSERT_TRUE(store.Enqueue(keyed, kT0, std::nullopt).created);
    Message again = MakeMessage("before-2", kT0 + 1);
    again.idempotency_key = "k1";
    const EnqueueResult repeat = store.Enqueue(again, kT0 + 1, std::nullopt);
    EXPECT_FALSE(repeat.created);
    EXPECT_EQ(repeat.message.id, "before-1");
    ASSERT_TRUE(store.Enqueue(MakeMessage("plain-1", kT0), kT0, std::nullopt).created);
    ASSERT_TRUE(store.Enqueue(MakeMessage("plain-2", kT0), kT0, std::nullopt).created);
    EXPECT_EQ(store.QueueDepth(), 3);
}

// ---------------------------------------------------------------------------------------------
// The modes of the files and directories the store creates (file_modes.cpp)

using test_support::ModeOf;

TEST(DatabaseFileModes, ACreatedDirectoryIs0700AndTheDatabaseWalAndShmAre0600) {
    TempDir dir;
    const auto data = dir.path() / "var" / "data";
    const auto db = data / "notifications.db";
    {
        SqliteStore store(db.string());
        store.Migrate();
        store.InsertToken(Token("backend", Role::kOperator, 'a', kT0));
        EXPECT_EQ(ModeOf(dir.path() / "var"), 0700u);
        EXPECT_EQ(ModeOf(data), 0700u);
        for (const char* suffix : {"", "-wal", "-shm"}) {
            const auto file = db.string() + suffix;
            ASSERT_TRUE(std::filesystem::exists(file)) << file;
            EXPECT_EQ(ModeOf(file), 0600u) << file;
        }
    }
}

TEST(DatabaseFileModes, AnExistingDatabaseOthersCouldReadIsNarrowedTo0600) {
    TempDir dir;
    const auto db = dir.path() / "notifications.db";
    { SqliteStore(db.string()).Migrate(); }
    ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
    SqliteStore reopened(db.string());
    EXPECT_EQ(ModeOf(db), 0600u);
    EXPECT_EQ(reopened.ListTokens().size(), 0u);
}

TEST(DatabaseFileModes, AnExistingDirectoryIsLeftAsItIs) {
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
    SqliteStore store((dir.path() / "notifications.db").string());
    EXPECT_EQ(ModeOf(dir.path()), 0755u);
}

}  // namespace
}  // namespace notify::store_test
