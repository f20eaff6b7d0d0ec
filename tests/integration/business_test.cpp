// The business API end to end (business-api.md), as the runbook's integration sequence drives it:
// the real notifyd against the fake MyOperator, every message checked where MyOperator would see it.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "harness.h"

namespace notify::testing {
namespace {

constexpr const char* kAsha = "+919876543210";
constexpr const char* kAshaDigits = "919876543210";
constexpr const char* kRavi = "+919812345678";

class BusinessTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(fake_.ServiceEnv({{"PROVIDER_TIMEOUT_MS", "2000"}}));
        service_->Migrate();
        service_->Start();
    }

    std::vector<std::string> Auth(const std::string& token) {
        return {"Content-Type: application/json", "Authorization: Bearer " + token};
    }
    HttpResult Post(const std::string& path, const nlohmann::json& body,
                    const std::string& token = Notifyd::kAdminToken) {
        return HttpCall("POST", service_->base_url() + "/api" + path, body.dump(), Auth(token));
    }
    HttpResult Get(const std::string& path, const std::string& token = Notifyd::kAdminToken) {
        return HttpCall("GET", service_->base_url() + "/api" + path, "", Auth(token));
    }

    nlohmann::json Created(const HttpResult& r, long status = 201) {
        EXPECT_EQ(r.status, status) << r.body;
        return r.Json();
    }

    // The template sends the fake has seen, as {template_name, language, body params} in order.
    std::vector<nlohmann::json> TemplateSends() {
        std::vector<nlohmann::json> sends;
        const nlohmann::json requests = fake_.Requests();  // kept: a loop over a temporary's member dangles
        for (const auto& request : requests["requests"]) {
            const auto& body = request["body"];
            if (!body.is_object() || !body.contains("data")) continue;
            sends.push_back(body["data"]);
        }
        return sends;
    }

    // Waits until the fake has seen `count` sends; the background processor sends within seconds.
    std::vector<nlohmann::json> WaitForSends(std::size_t count) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        std::vector<nlohmann::json> sends = TemplateSends();
        while (sends.size() < count && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            sends = TemplateSends();
        }
        return sends;
    }

    HttpResult Reply(const std::string& event_id, const std::string& text, const std::string& digits = kAshaDigits) {
        const nlohmann::json event = {{"event_id", event_id},
                                      {"company_id", "company-42"},
                                      {"event_type", "message.received"},
                                      {"timestamp", "2026-06-26T02:10:56.956814767Z"},
                                      {"channel", "whatsapp"},
                                      {"direction", "incoming"},
                                      {"customer_identifier", digits},
                                      {"payload",
                                       {{"id", "in-" + event_id},
                                        {"status", "received"},
                                        {"data", {{"type", "text"}, {"context", {{"body", text}}}}}}}};
        return HttpCall(
            "POST", service_->api("/webhooks/myoperator"), event.dump(),
            {"Content-Type: application/json", std::string("X-Webhook-Secret: ") + Notifyd::kWebhookSecret});
    }

    std::string CreateAsha() {
        const auto body = Created(Post("/customers", {{"name", "Asha"},
                                                      {"phone", kAsha},
                                                      {"area", "Indiranagar"},
                                                      {"language", "en"},
                                                      {"whatsapp_opt_in", true},
                                                      {"time_zone", "Asia/Kolkata"}}));
        return body.value("id", "");
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(BusinessTest, TheRunbookSequenceSendsOneMessagePerEvent) {
    const std::string customer = CreateAsha();
    ASSERT_FALSE(customer.empty());

    const auto order =
        Created(Post("/orders", {{"customer_id", customer},
                                 {"items", {{{"name", "Milk 1L"}, {"quantity", 15}, {"unit_price", "68.00"}}}},
                                 {"delivery_date", "2027-01-16"}}));
    EXPECT_EQ(order["amount"], "1020.00");
    EXPECT_EQ(order["notification"]["status"], "queued");

    const auto subscription = Created(
        Post("/subscriptions", {{"customer_id", customer}, {"plan", "Milk 1L daily"}, {"start_date", "2027-01-10"}}));
    const std::string sub_id = subscription.value("id", "");
    EXPECT_EQ(subscription["status"], "active");
    EXPECT_TRUE(subscription["pause_from"].is_null());

    const auto paused =
        Created(Post("/subscriptions/" + sub_id + "/pause", {{"from", "2099-01-01"}, {"until", "2099-01-03"}}), 200);
    EXPECT_EQ(paused["pause_from"], "2099-01-01");
    EXPECT_EQ(paused["status"], "active");  // the pause lies ahead

    const auto reply = Reply("evt-pause-3", "PAUSE 3");
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.Json()["action"], "paused");
    EXPECT_EQ(Reply("evt-pause-3", "PAUSE 3").Json()["status"], "duplicate");  // MyOperator's retry

    Created(
        Post("/payments", {{"customer_id", customer}, {"amount", 1020}, {"method", "upi"}, {"reference", "UPI-1"}}));
    const std::string rider = service_->CreateToken("delivery", "rider-7");
    const auto missed = Created(Post(
        "/deliveries",
        {{"customer_id", customer}, {"date", "2027-01-16"}, {"status", "missed"}, {"reason", "gate locked"}}, rider));
    EXPECT_EQ(missed["status"], "missed");

    const auto sends = WaitForSends(7);
    std::multiset<std::string> names;  // workers send in parallel: the order of arrival is not the order written
    std::string amount_shown;
    for (const auto& data : sends) {
        const std::string name = data["context"].value("template_name", "");
        names.insert(name);
        if (name == "order_confirmation") amount_shown = data["context"]["body"].value("4", "");
    }
    EXPECT_EQ(names, (std::multiset<std::string>{"welcome", "order_confirmation", "subscription_created",
                                                 "subscription_paused", "subscription_paused", "payment_received",
                                                 "delivery_missed"}));
    EXPECT_EQ(amount_shown,
              "\xE2\x82\xB9"
              "1,020.00");

    const auto inbox = Get("/notifications/inbox");
    ASSERT_EQ(inbox.status, 200) << inbox.body;
    ASSERT_EQ(inbox.Json()["items"].size(), 1u);
    EXPECT_EQ(inbox.Json()["items"][0]["action"], "paused");

    const auto lists = Get("/customers/" + customer + "/subscriptions");
    ASSERT_EQ(lists.status, 200);
    EXPECT_EQ(lists.Json()["items"].size(), 1u);
}

TEST_F(BusinessTest, RolesReachNoFurtherThanTheirOwn) {
    const std::string customer = CreateAsha();
    const std::string rider = service_->CreateToken("delivery", "rider-7");
    const std::string viewer = service_->CreateToken("viewer", "auditor");
    EXPECT_EQ(Get("/customers/" + customer, rider).status, 403);
    EXPECT_EQ(Post("/orders", {{"customer_id", customer}}, rider).status, 403);
    EXPECT_EQ(HttpCall("GET", service_->api("/history"), "", Auth(rider)).status, 403);
    const nlohmann::json delivery = {{"customer_id", customer}, {"date", "2027-01-16"}, {"status", "delivered"}};
    EXPECT_EQ(Post("/deliveries", delivery, viewer).status, 403);
    EXPECT_EQ(Post("/customers", {{"name", "X"}, {"phone", kRavi}}, viewer).status, 403);
    const auto seen = Get("/customers/" + customer, viewer);
    ASSERT_EQ(seen.status, 200);
    EXPECT_EQ(seen.Json()["phone"], "+91******3210");
    EXPECT_EQ(Post("/deliveries", delivery, rider).status, 201);
}

TEST_F(BusinessTest, BadInputIsAClearErrorAndWritesNothing) {
    const std::string customer = CreateAsha();
    const auto unknown = Post("/orders", {{"customer_id", "cus_nobody"},
                                          {"items", {{{"name", "Milk"}, {"quantity", 1}, {"unit_price", 68}}}},
                                          {"delivery_date", "2027-01-16"}});
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.Json()["error"]["field"], "customer_id");
    const auto bad_amount = Post("/payments", {{"customer_id", customer}, {"amount", "12.345"}});
    EXPECT_EQ(bad_amount.status, 400);
    EXPECT_EQ(bad_amount.Json()["error"]["field"], "amount");
    const auto bad_date =
        Post("/subscriptions", {{"customer_id", customer}, {"plan", "Milk"}, {"start_date", "2027-02-30"}});
    EXPECT_EQ(bad_date.status, 400);
    EXPECT_EQ(bad_date.Json()["error"]["field"], "start_date");
    EXPECT_EQ(Post("/customers", {{"name", "Asha again"}, {"phone", kAsha}, {"whatsapp_opt_in", true}}).status, 409);
    EXPECT_EQ(Post("/customers", {{"name", "Typo"}, {"phone", kRavi}, {"whatsap_opt_in", true}}).status, 400);
    EXPECT_EQ(Get("/customers/" + customer + "/orders").Json()["items"].size(), 0u);
    EXPECT_EQ(Get("/payments/pay_nothing").status, 404);
}

TEST_F(BusinessTest, RolloutZeroSkipsAndAHundredSendsWithoutARestart) {
    ASSERT_EQ(service_->Put("/settings", {{"rollout_percent", 0}}).status, 200);
    const auto skipped = Post("/notifications/events", {{"type", "delivery.scheduled"},
                                                        {"customer", {{"phone", kRavi}, {"name", "Ravi"}}},
                                                        {"data", {{"delivery_date", "16 Jan"}, {"area", "HSR"}}},
                                                        {"idempotency_key", "sched-1"}});
    ASSERT_EQ(skipped.status, 202) << skipped.body;
    EXPECT_EQ(skipped.Json()["notification"]["status"], "skipped_rollout");
    ASSERT_EQ(service_->Put("/settings", {{"rollout_percent", 100}}).status, 200);
    const auto sent = Post("/notifications/events", {{"type", "delivery.scheduled"},
                                                     {"customer", {{"phone", kRavi}, {"name", "Ravi"}}},
                                                     {"data", {{"delivery_date", "17 Jan"}, {"area", "HSR"}}},
                                                     {"idempotency_key", "sched-2"}});
    EXPECT_EQ(sent.Json()["notification"]["status"], "queued");
    const auto health = service_->Get("/health").Json();
    EXPECT_EQ(health["notifications"]["rollout_percent"], 100);
    EXPECT_EQ(WaitForSends(1).size(), 1u);
}

TEST_F(BusinessTest, PausedSendingKeepsTheQueueAndResumingSendsIt) {
    ASSERT_EQ(service_->Put("/settings", {{"paused", true}}).status, 200);
    CreateAsha();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(fake_.RequestCount(), 0);
    EXPECT_EQ(service_->Get("/health").Json()["notifications"]["paused"], true);
    ASSERT_EQ(service_->Put("/settings", {{"paused", false}}).status, 200);
    EXPECT_EQ(WaitForSends(1).size(), 1u);
}

TEST_F(BusinessTest, AFailingProviderKeepsTheBusinessWriteAndQueuesItsMessage) {
    fake_.SetMode({{"mode", "error500"}});
    const std::string customer = CreateAsha();
    const auto payment = Created(Post("/payments", {{"customer_id", customer}, {"amount", "250.50"}}));
    EXPECT_EQ(payment["amount"], "250.50");
    const std::string id = payment["notification"].value("id", "");
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(Get("/payments/" + payment.value("id", "")).status, 200);
    const auto message = service_->Get("/messages/" + id).Json();
    EXPECT_NE(message.value("status", ""), "failed");
}

}  // namespace
}  // namespace notify::testing
