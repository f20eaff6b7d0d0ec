// What only the PostgreSQL store has: its URL, its migrations under an advisory lock, claims that
// skip each other's locked rows across processes, and the statement timeout. Its behaviour as a
// Store is the contract suite's (StoreFixtures); this file runs against the test process's
// throwaway cluster (support/pg_cluster.h) and nothing else.

#include "store/postgres/pg_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store_test_support.h"
#include "support/pg_cluster.h"

namespace notify::store_test {
namespace {

using test_support::PgCluster;

TEST(PostgresStoreUrl, PostgresqlAndPostgresUrlsOpenAPostgresStore) {
    const std::string url = PgCluster::Instance().CreateDatabase();
    for (const std::string& form : {url, "postgres://" + url.substr(std::string("postgresql://").size())}) {
        std::unique_ptr<Store> store = OpenStore(form);
        ASSERT_NE(dynamic_cast<PostgresStore*>(store.get()), nullptr) << form;
        store->Migrate();
        store->Ping();
        EXPECT_EQ(store->ListTemplates().size(), 10U);
    }
}

TEST(PostgresStoreUrl, AnUnreachableServerIsStoreUnavailableWithoutThePassword) {
    // A port on 127.0.0.1 nobody listens on: the cluster's own, plus one, is not guaranteed free, so
    // the cluster's port with a database that does not exist stands for "refused" too.
    const int port = PgCluster::Instance().port();
    for (const std::string& url :
         {"postgresql://postgres:s3cret@127.0.0.1:" + std::to_string(port) + "/no_such_database",
          std::string("postgresql://postgres:s3cret@127.0.0.1:1/notify?connect_timeout=2")}) {
        try {
            PostgresStore store(url);
            FAIL() << "connected to " << url;
        } catch (const StoreUnavailable& e) {
            EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
        }
    }
}

TEST(PostgresStoreMigrations, StatusFollowsMigrateAndASecondMigrateDoesNothing) {
    PostgresStore store(PgCluster::Instance().CreateDatabase());
    for (const MigrationState& state : store.MigrationStatus()) EXPECT_FALSE(state.applied) << state.name;
    EXPECT_EQ(store.Migrate(), static_cast<int>(EmbeddedPostgresMigrations().size()));
    const std::vector<MigrationState> states = store.MigrationStatus();
    ASSERT_EQ(states.size(), EmbeddedPostgresMigrations().size());
    for (const MigrationState& state : states) {
        EXPECT_TRUE(state.applied) << state.name;
        EXPECT_TRUE(state.applied_at.has_value()) << state.name;
    }
    EXPECT_EQ(store.Migrate(), 0);
}

TEST(PostgresStoreMigrations, NodesMigratingAtOnceApplyEachFileOnce) {
    const std::string url = PgCluster::Instance().CreateDatabase();
    constexpr int kNodes = 4;
    std::vector<std::unique_ptr<PostgresStore>> stores;
    for (int i = 0; i < kNodes; ++i) stores.push_back(std::make_unique<PostgresStore>(url));
    std::vector<int> applied(kNodes, 0);
    std::latch start(kNodes);
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            applied[static_cast<std::size_t>(i)] = stores[static_cast<std::size_t>(i)]->Migrate();
        });
    }
    for (std::thread& t : threads) t.join();
    int total = 0;
    for (int n : applied) total += n;
    EXPECT_EQ(total, static_cast<int>(EmbeddedPostgresMigrations().size()));
}

// Two stores on one database stand for two nodes: their claims never share an entry.
TEST(PostgresStoreClaims, TwoNodesClaimingAtOnceNeverTakeTheSameEntry) {
    const std::string url = PgCluster::Instance().CreateDatabase();
    PostgresStore a(url);
    a.Migrate();
    PostgresStore b(url);
    constexpr int kMessages = 200;
    for (int i = 0; i < kMessages; ++i) a.Enqueue(MakeMessage("m" + std::to_string(i), kT0), kT0, std::nullopt);

    std::vector<std::string> taken_a;
    std::vector<std::string> taken_b;
    std::latch start(2);
    const auto claim_all = [&](PostgresStore& store, const std::string& owner, std::vector<std::string>& taken) {
        start.arrive_and_wait();
        while (true) {
            const std::vector<Message> claimed = store.ClaimDue(kT0, 7, Lease{owner, kT0 + 60'000}, false);
            if (claimed.empty()) break;
            for (const Message& m : claimed) taken.push_back(m.id);
        }
    };
    std::thread ta([&] { claim_all(a, "node-a", taken_a); });
    std::thread tb([&] { claim_all(b, "node-b", taken_b); });
    ta.join();
    tb.join();

    std::set<std::string> all(taken_a.begin(), taken_a.end());
    for (const std::string& id : taken_b) EXPECT_TRUE(all.insert(id).second) << id << " claimed twice";
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kMessages));
}

// A write that waits on a lock longer than the statement timeout answers StoreUnavailable, in about
// that time, and the store works again once the lock is gone.
TEST(PostgresStoreTimeouts, AWriteBlockedPastTheTimeoutIsStoreUnavailable) {
    const std::string url = PgCluster::Instance().CreateDatabase();
    PostgresStore::Options options;
    options.statement_timeout = std::chrono::milliseconds(300);
    PostgresStore store(url, options);
    store.Migrate();

    PGconn* blocker = PQconnectdb(url.c_str());
    ASSERT_EQ(PQstatus(blocker), CONNECTION_OK) << PQerrorMessage(blocker);
    PQclear(PQexec(blocker, "BEGIN"));
    PQclear(PQexec(blocker, "SELECT * FROM notification_settings FOR UPDATE"));

    Settings settings = store.GetSettings();  // a read does not wait for the row lock
    settings.paused = true;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(store.PutSettings(settings), StoreUnavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));

    PQclear(PQexec(blocker, "ROLLBACK"));
    PQfinish(blocker);
    store.PutSettings(settings);
    EXPECT_TRUE(store.GetSettings().paused);
}

}  // namespace
}  // namespace notify::store_test
