// Three `notifyd serve` processes on one PostgreSQL database keep the provider rate together: the
// token bucket is in the database (src/queue/send_pacing.h), so three nodes at 20/s send at most
// 20/s between them, not 60/s. The test's bound is a lower bound on how long the sending takes,
// which a slow machine only makes longer.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common/time_format.h"
#include "harness.h"
#include "support/pg_cluster.h"

namespace notify::testing {
namespace {

constexpr int kNodes = 3;
constexpr int kRate = 20;
constexpr int kMessages = 100;

std::string Phone(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+9198761%05d", i);
    return buf;
}

TEST(SharedPacing, ThreeNodesOnOneDatabaseSendAtTheConfiguredRateTogether) {
    TempDir fake_dir;
    FakeMyOperator fake(fake_dir.path());
    fake.Start();
    const std::string url = test_support::PgCluster::Instance().CreateDatabase();
    std::vector<std::unique_ptr<Notifyd>> nodes;
    for (int i = 0; i < kNodes; ++i) {
        nodes.push_back(std::make_unique<Notifyd>(fake.ServiceEnv({{"DATABASE_URL", url},
                                                                   {"PROVIDER_RATE_PER_SECOND", std::to_string(kRate)},
                                                                   {"PROCESSOR_CONCURRENCY", "4"},
                                                                   {"LOG_LEVEL", "info"}})));
    }
    nodes[0]->Migrate();
    for (auto& node : nodes) node->Start();

    std::vector<std::string> ids;
    for (int i = 0; i < kMessages; ++i) {
        const HttpResult r =
            nodes[static_cast<std::size_t>(i % kNodes)]->Post("/send-message", DeliveryReminder(Phone(i), false));
        ASSERT_EQ(r.status, 202) << r.body;
        ids.push_back(r.Json()["id"].get<std::string>());
    }
    for (const std::string& id : ids) {
        ASSERT_TRUE(nodes[0]->WaitForStatus(id, "sent", std::chrono::seconds(60))) << id;
    }

    const nlohmann::json all = fake.Requests();  // a named copy: the loop must not range over a temporary
    std::vector<TimeMs> received;
    for (const auto& request : all["requests"]) {
        if (!request.contains("body") || !request["body"].contains("myop_ref_id")) continue;
        received.push_back(*ParseIsoTime(request["received_at"].get<std::string>()));
    }
    ASSERT_EQ(received.size(), static_cast<std::size_t>(kMessages));
    std::sort(received.begin(), received.end());
    // A full bucket lets one second's worth go at once; the rest come at the rate: at least
    // (100 - 20) / 20 = 4 s from the first to the last (less 0.5 s for the rounding of tokens and
    // of the fake's clock). Each node pacing itself would take about 0.7 s.
    const TimeMs span = received.back() - received.front();
    EXPECT_GE(span, (kMessages - kRate) * 1000 / kRate - 500) << "three nodes sent faster than the shared rate";
}

}  // namespace
}  // namespace notify::testing
