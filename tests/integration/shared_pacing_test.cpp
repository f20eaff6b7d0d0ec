// What `notifyd serve` processes on one PostgreSQL database share. The provider rate: the token
// bucket is in the database (src/queue/send_pacing.h), so three nodes at 20/s send at most 20/s
// between them, not 60/s (the test's bound is a lower bound on how long the sending takes, which a
// slow machine only makes longer). Idempotency keys, token revocation and settings: a change made
// through one node holds on the others (settings and tokens within their 0.5 s copies; the waits
// here are bounded polls, not timings).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
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

// Two nodes on one new database, migrated and serving.
struct TwoNodes {
    TwoNodes() {
        fake.Start();
        const std::string url = test_support::PgCluster::Instance().CreateDatabase();
        for (int i = 0; i < 2; ++i)
            nodes.push_back(std::make_unique<Notifyd>(fake.ServiceEnv({{"DATABASE_URL", url}})));
        nodes[0]->Migrate();
        for (auto& node : nodes) node->Start();
    }
    // Polls `check` up to 5 s; whether it came true.
    static bool Eventually(const std::function<bool()>& check) {
        for (int i = 0; i < 100; ++i) {
            if (check()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    TempDir fake_dir;
    FakeMyOperator fake{fake_dir.path()};
    std::vector<std::unique_ptr<Notifyd>> nodes;
};

TEST(SeveralNodes, OneIdempotencyKeyPostedToTwoNodesMakesOneMessage) {
    TwoNodes two;
    auto body = DeliveryReminder("+919876500001", false);
    body["idempotency_key"] = "order-1234-placed";
    const HttpResult first = two.nodes[0]->Post("/send-message", body);
    const HttpResult second = two.nodes[1]->Post("/send-message", body);
    ASSERT_TRUE(first.status == 200 || first.status == 202) << first.body;
    ASSERT_TRUE(second.status == 200 || second.status == 202) << second.body;
    EXPECT_EQ(first.Json()["id"], second.Json()["id"]);
    ASSERT_TRUE(two.nodes[1]->WaitForStatus(first.Json()["id"].get<std::string>(), "sent"));
    EXPECT_EQ(two.fake.RequestCount(), 1);
    EXPECT_EQ(two.nodes[1]->Get("/statistics").Json()["total"], 1);
}

TEST(SeveralNodes, ATokenRevokedIsRefusedByEveryNodeAndSettingsChangedOnOneHoldOnTheOther) {
    TwoNodes two;
    const std::string token = two.nodes[0]->CreateToken("operator", "dispatch-desk");
    ASSERT_EQ(two.nodes[1]->Get("/statistics", token).status, 200);  // node 1 caches it now
    const CommandResult revoked = two.nodes[0]->Run({"token", "revoke", "--name", "dispatch-desk"});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    EXPECT_TRUE(TwoNodes::Eventually([&] { return two.nodes[1]->Get("/statistics", token).status == 401; }));
    EXPECT_EQ(two.nodes[0]->Get("/statistics", token).status, 401);

    ASSERT_EQ(two.nodes[0]->Put("/settings", {{"paused", true}}).status, 200);
    EXPECT_TRUE(TwoNodes::Eventually([&] { return two.nodes[1]->Get("/settings").Json()["paused"] == true; }));
    // Paused on node 0, node 1 sends nothing: its queued message waits.
    const HttpResult queued = two.nodes[1]->Post("/send-message", DeliveryReminder("+919876500002", false));
    ASSERT_EQ(queued.status, 202) << queued.body;
    EXPECT_FALSE(two.nodes[1]->WaitForStatus(queued.Json()["id"].get<std::string>(), "sent", std::chrono::seconds(2)));
    ASSERT_EQ(two.nodes[0]->Put("/settings", {{"paused", false}}).status, 200);
    EXPECT_TRUE(two.nodes[1]->WaitForStatus(queued.Json()["id"].get<std::string>(), "sent"));
}

// MyOperator retries a webhook it thinks failed, and a load balancer may hand the two copies to
// different nodes at the same moment: the event is applied once (one status event, one count).
TEST(SeveralNodes, OneWebhookEventPostedToTwoNodesAtOnceIsAppliedOnce) {
    TwoNodes two;
    const HttpResult sent = two.nodes[0]->Post("/send-message", DeliveryReminder("+919876500003"));
    ASSERT_EQ(sent.status, 200) << sent.body;
    const std::string id = sent.Json()["id"].get<std::string>();
    const std::string provider_id = sent.Json()["provider_message_id"].get<std::string>();
    const std::string event = MyOperatorStatusEvent("e-both", "delivered", provider_id, "919876500003").dump();

    std::vector<HttpResult> answers(2);
    std::vector<std::thread> posts;
    for (std::size_t n = 0; n < 2; ++n) {
        posts.emplace_back([&, n] {
            answers[n] = HttpCall(
                "POST", two.nodes[n]->api("/webhooks/myoperator"), event,
                {"Content-Type: application/json", std::string("X-Webhook-Secret: ") + Notifyd::kWebhookSecret});
        });
    }
    for (auto& post : posts) post.join();
    std::vector<std::string> outcomes;
    for (const HttpResult& answer : answers) {
        ASSERT_EQ(answer.status, 200) << answer.body;
        outcomes.push_back(answer.Json()["status"].get<std::string>());
    }
    std::sort(outcomes.begin(), outcomes.end());
    EXPECT_EQ(outcomes, (std::vector<std::string>{"applied", "duplicate"}));
    const auto message = two.nodes[1]->Get("/messages/" + id).Json();
    EXPECT_EQ(message["status"], "delivered");
    EXPECT_EQ(message["status_events"].size(), 1u);
    EXPECT_EQ(two.nodes[1]->Get("/statistics").Json()["delivered"], 1);
}

}  // namespace
}  // namespace notify::testing
