// PostgreSQL goes away under a serving notifyd and comes back (issue 10, "database faults"). The test
// has a cluster of its own (PgCluster::Own) so that stopping it disturbs no other test, and runs on
// PostgreSQL whatever NOTIFYD_TEST_STORE says; ctest runs it once.
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <thread>

#include "harness.h"
#include "support/pg_cluster.h"

namespace notify::testing {
namespace {

using test_support::PgCluster;

std::string Phone(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+9198766%05d", i);
    return buf;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return done();
}

TEST(DatabaseFaultTest, PostgresDownGives503AndDegradedHealthThenTheServiceRecoversWithEveryAcceptedMessage) {
    const auto cluster = PgCluster::Own();
    // Connects and statements give up after 2 s instead of 5 s, so that the outage shows quickly.
    const std::string url = cluster->CreateDatabase() + "?connect_timeout=2&options=-c%20statement_timeout%3D2000";
    TempDir fake_dir;
    FakeMyOperator fake(fake_dir.path());
    fake.Start();
    // Each provider call takes 200 ms on one worker: some accepted messages are still queued when
    // the database stops.
    fake.SetMode({{"mode", "slow"}, {"delay_ms", 200}});
    Notifyd service(fake.ServiceEnv({{"DATABASE_URL", url},
                                     {"PROVIDER_TIMEOUT_MS", "1000"},
                                     {"PROCESSOR_CONCURRENCY", "1"},
                                     {"PROCESSOR_IDLE_POLL_MS", "100"},
                                     {"LOG_LEVEL", "info"}}));
    service.Migrate();
    service.Start();

    std::vector<std::string> accepted;
    for (int i = 0; i < 20; ++i) {
        const auto r = service.Post("/send-message", DeliveryReminder(Phone(i), /*immediate=*/false));
        ASSERT_EQ(r.status, 202) << r.body;
        accepted.push_back(r.Json()["id"].get<std::string>());
    }

    cluster->Stop();

    // A send while the database is down: 503 store_unavailable, within the timeouts (the client
    // gives each call 15 s; the store gives up after 2 s per connect or statement).
    const auto refused = service.Post("/send-message", DeliveryReminder(Phone(100), false));
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(refused.Json()["error"]["code"], "store_unavailable") << refused.body;
    // GET /health shows it within a ping interval (1 s) plus a connect timeout.
    HttpResult health;
    EXPECT_TRUE(WaitUntil(
        [&] {
            health = HttpCall("GET", service.api("/health"));
            return health.status == 503;
        },
        std::chrono::seconds(20)))
        << health.status << " " << health.body;
    EXPECT_EQ(health.Json()["status"], "degraded") << health.body;

    cluster->Start();

    // The service recovers by itself: its pool drops the broken connections and makes new ones.
    HttpResult again;
    EXPECT_TRUE(WaitUntil(
        [&] {
            again = service.Post("/send-message", DeliveryReminder(Phone(101), false));
            return again.status == 202;
        },
        std::chrono::seconds(30)))
        << again.status << " " << again.body;
    if (again.status == 202) accepted.push_back(again.Json()["id"].get<std::string>());
    EXPECT_TRUE(WaitUntil(
        [&] {
            health = HttpCall("GET", service.api("/health"));
            return health.status == 200;
        },
        std::chrono::seconds(20)))
        << health.status << " " << health.body;
    EXPECT_EQ(health.Json()["status"], "ok") << health.body;

    // Every message acknowledged before the stop is still there and is sent (a call in flight at
    // the stop may be sent again after its lease: at least once).
    fake.SetMode({{"mode", "ok"}});
    for (const auto& id : accepted) {
        EXPECT_TRUE(service.WaitForStatus(id, "sent", std::chrono::seconds(30))) << service.Get("/messages/" + id).body;
    }
    std::set<std::string> received;
    const nlohmann::json requests = fake.Requests();
    for (const auto& request : requests["requests"]) {
        if (request["body"].is_object() && request["body"].contains("myop_ref_id")) {
            received.insert(request["body"]["myop_ref_id"].get<std::string>());
        }
    }
    for (const auto& id : accepted) EXPECT_TRUE(received.count(id)) << "never reached the provider: " << id;
    EXPECT_EQ(service.Stop(), 0) << service.Log();
    if (HasFailure()) std::cerr << service.Log();
}

}  // namespace
}  // namespace notify::testing
