// POST /send-batch against the real binary and the fake MyOperator.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "harness.h"

namespace notify::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

nlohmann::json Reminder(int n) {
    nlohmann::json item = DeliveryReminder("+9198" + std::to_string(10000000 + n), false);
    item["context"]["customer_name"] = "Customer " + std::to_string(n);
    return item;
}

class SendBatchTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(fake_.ServiceEnv(
            {{"PROVIDER_RATE_PER_SECOND", "0"}, {"PROCESSOR_IDLE_POLL_MS", "100"}, {"PROVIDER_TIMEOUT_MS", "5000"}}));
        service_->Migrate();
        service_->Start();
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(SendBatchTest, AThousandItemsWithAFewBadOnesAreEachDeliveredExactlyOnce) {
    nlohmann::json messages = nlohmann::json::array();
    for (int i = 0; i < 1000; ++i) messages.push_back(Reminder(i));
    // The bad ones, each reported alone at its own index.
    messages[3]["phone"] = "12";
    messages[250]["message_type"] = "no_such_template";
    messages[500]["context"].erase("area");
    messages[750] = "not an object";
    messages[999]["idempotency_key"] = "has spaces";
    const std::map<int, std::string> bad = {{3, "invalid_phone"},
                                            {250, "unknown_message_type"},
                                            {500, "missing_context"},
                                            {750, "invalid_body"},
                                            {999, "invalid_field"}};

    const auto r = service_->Post("/send-batch", {{"messages", messages}});
    ASSERT_EQ(r.status, 202) << r.body.substr(0, 500);
    const nlohmann::json results = r.Json()["results"];
    ASSERT_EQ(results.size(), 1000u);
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        const auto& item = results[static_cast<std::size_t>(i)];
        ASSERT_EQ(item["index"], i);
        if (auto it = bad.find(i); it != bad.end()) {
            EXPECT_EQ(item["error"]["code"], it->second) << item.dump();
            EXPECT_FALSE(item.contains("id")) << item.dump();
            continue;
        }
        EXPECT_EQ(item["status"], "queued") << item.dump();
        ids.insert(item["id"].get<std::string>());
    }
    ASSERT_EQ(ids.size(), 995u);

    // Every good item reaches the provider, and none twice.
    const auto deadline = Steady::now() + seconds(60);
    while (fake_.RequestCount() < 995 && Steady::now() < deadline) std::this_thread::sleep_for(milliseconds(100));
    const nlohmann::json requests = fake_.Requests();
    std::multiset<std::string> sent;
    for (const auto& request : requests["requests"]) sent.insert(request["body"]["myop_ref_id"].get<std::string>());
    EXPECT_EQ(sent.size(), 995u);
    EXPECT_EQ(std::set<std::string>(sent.begin(), sent.end()), ids);
    // Nothing more arrives later either.
    const auto health = HttpCall("GET", service_->api("/health")).Json();
    EXPECT_EQ(health["queue_depth"], 0) << health.dump();
    EXPECT_EQ(fake_.RequestCount(), 995);
}

TEST_F(SendBatchTest, IdempotencyKeysHoldWithinABatchAndAcrossRequests) {
    nlohmann::json first = Reminder(1);
    first["idempotency_key"] = "reminder-1";
    const auto single = service_->Post("/send-message", first);
    ASSERT_EQ(single.status, 202) << single.body;

    nlohmann::json twice = Reminder(2);
    twice["idempotency_key"] = "reminder-2";
    nlohmann::json twice_again = Reminder(3);
    twice_again["idempotency_key"] = "reminder-2";
    nlohmann::json immediate = Reminder(4);
    immediate["immediate"] = true;  // ignored in a batch: queued like the others
    const auto r = service_->Post("/send-batch", {{"messages", {first, twice, twice_again, immediate}}});
    ASSERT_EQ(r.status, 202) << r.body;
    const auto results = r.Json()["results"];
    EXPECT_EQ(results[0]["id"], single.Json()["id"]);
    EXPECT_EQ(results[1]["id"], results[2]["id"]);
    EXPECT_EQ(results[3]["status"], "queued");
    ASSERT_TRUE(service_->WaitForStatus(results[1]["id"], "sent"));
    ASSERT_TRUE(service_->WaitForStatus(results[3]["id"], "sent"));
    EXPECT_EQ(fake_.RequestCount(), 3);  // reminder-1, reminder-2 once, the fourth
}

TEST_F(SendBatchTest, ABadBatchIsRefusedWholeAndStoresNothing) {
    nlohmann::json too_many = nlohmann::json::array();
    for (int i = 0; i < 1001; ++i) too_many.push_back(Reminder(i));
    const auto large = service_->Post("/send-batch", {{"messages", too_many}});
    EXPECT_EQ(large.status, 400) << large.body.substr(0, 300);
    EXPECT_EQ(large.Json()["error"]["field"], "messages");

    const auto not_array = service_->Post("/send-batch", {{"messages", Reminder(1)}});
    EXPECT_EQ(not_array.status, 400) << not_array.body;
    EXPECT_EQ(not_array.Json()["error"]["field"], "messages");
    const auto missing = service_->Post("/send-batch", nlohmann::json::object());
    EXPECT_EQ(missing.status, 400) << missing.body;

    ASSERT_EQ(service_->Put("/settings", {{"enabled", false}}).status, 200);
    const auto disabled = service_->Post("/send-batch", {{"messages", {Reminder(1)}}});
    EXPECT_EQ(disabled.status, 409) << disabled.body;
    EXPECT_EQ(disabled.Json()["error"]["code"], "notifications_disabled");

    const auto viewer = service_->CreateToken("viewer", "reader");
    EXPECT_EQ(service_->Post("/send-batch", {{"messages", {Reminder(1)}}}, viewer).status, 403);

    const auto history = service_->Get("/history");
    ASSERT_EQ(history.status, 200);
    EXPECT_TRUE(history.Json()["items"].empty()) << history.body;
}

TEST_F(SendBatchTest, AnOptedOutRecipientIsSuppressedInABatch) {
    // An inbound STOP from the first recipient, as MyOperator delivers it.
    const std::string phone = Reminder(1)["phone"];
    const nlohmann::json stop = {
        {"event_id", "in-stop-1"},
        {"company_id", "company-42"},
        {"event_type", "message.received"},
        {"channel", "whatsapp"},
        {"direction", "incoming"},
        {"customer_identifier", phone.substr(1)},
        {"payload",
         {{"id", "in-1"}, {"status", "received"}, {"data", {{"type", "text"}, {"context", {{"body", "STOP"}}}}}}}};
    const auto webhook =
        HttpCall("POST", service_->api("/webhooks/myoperator"), stop.dump(),
                 {std::string("X-Webhook-Secret: ") + Notifyd::kWebhookSecret, "Content-Type: application/json"});
    ASSERT_EQ(webhook.status, 200) << webhook.body;
    const auto r = service_->Post("/send-batch", {{"messages", {Reminder(1), Reminder(2)}}});
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json()["results"][0]["status"], "suppressed") << r.body;
    EXPECT_EQ(r.Json()["results"][1]["status"], "queued");
}

}  // namespace
}  // namespace notify::testing
