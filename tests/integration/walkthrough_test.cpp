// docs/walkthrough.md, step by step, so that the page cannot silently drift from what the service does:
// the real notifyd against the fake MyOperator, customer replies simulated through the fake's
// POST /_fake/inbound, which posts MyOperator's message.received webhook to the service.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace notify::testing {
namespace {

using nlohmann::json;

constexpr const char* kAsha = "+919876543210";
constexpr const char* kAshaNumber = "9876543210";  // customer_number at the fake
constexpr const char* kRavi = "+919812345678";
constexpr const char* kRaviNumber = "9812345678";
constexpr const char* kRupee = "\xE2\x82\xB9";

// A date in India (UTC+5:30, no daylight saving) `days` from today, as YYYY-MM-DD.
std::string IndiaDate(int days) {
    const auto now = std::chrono::system_clock::now() + std::chrono::minutes(330) + std::chrono::days(days);
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return text;
}

class WalkthroughTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(
            fake_.ServiceEnv({{"PROVIDER_TIMEOUT_MS", "2000"}, {"PROCESSOR_IDLE_POLL_MS", "100"}}));
        service_->Migrate();
        service_->Start();
        // Section 1: the fake posts simulated replies to the service's webhook, with its secret.
        fake_.SetWebhook(service_->api("/webhooks/myoperator"), Notifyd::kWebhookSecret);
    }

    std::vector<std::string> Auth(const std::string& token) {
        return {"Content-Type: application/json", "Authorization: Bearer " + token};
    }
    HttpResult Post(const std::string& path, const json& body, const std::string& token = Notifyd::kAdminToken) {
        return HttpCall("POST", service_->base_url() + "/api" + path, body.dump(), Auth(token));
    }
    HttpResult Get(const std::string& path, const std::string& token = Notifyd::kAdminToken) {
        return HttpCall("GET", service_->base_url() + "/api" + path, "", Auth(token));
    }
    HttpResult Settings(const json& change) {
        return HttpCall("PUT", service_->api("/settings"), change.dump(), Auth(Notifyd::kAdminToken));
    }

    json Expect(const HttpResult& r, long status) {
        EXPECT_EQ(r.status, status) << r.body;
        return r.Json();
    }

    std::string CreateCustomer(const std::string& name, const std::string& phone, const std::string& language,
                               std::string* notification_status = nullptr) {
        const auto body = Expect(Post("/customers", {{"name", name},
                                                     {"phone", phone},
                                                     {"area", "Sector 21"},
                                                     {"language", language},
                                                     {"whatsapp_opt_in", true},
                                                     {"time_zone", "Asia/Kolkata"}}),
                                 201);
        if (notification_status) *notification_status = body["notification"].value("status", "");
        return body.value("id", "");
    }

    // Every request's body.data the fake has seen for `number`, in order of arrival.
    std::vector<json> SendsTo(const std::string& number) {
        std::vector<json> sends;
        const json requests = fake_.Requests();  // kept: a loop over a temporary's member dangles
        for (const auto& request : requests["requests"]) {
            const auto& body = request["body"];
            if (!body.is_object() || !body.contains("data")) continue;
            if (body.value("customer_number", "") == number) sends.push_back(body["data"]);
        }
        return sends;
    }

    // The first template `name` sent to `number`, waiting up to 15 s for the background processor.
    json WaitForTemplate(const std::string& number, const std::string& name, std::size_t occurrence = 1) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        for (;;) {
            std::size_t seen = 0;
            for (const auto& data : SendsTo(number)) {
                if (data.value("type", "") == "template" && data["context"].value("template_name", "") == name &&
                    ++seen == occurrence) {
                    return data["context"];
                }
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                ADD_FAILURE() << name << " #" << occurrence << " never reached the fake for " << number;
                return json::object();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    // A reply through the fake, as section 6 sends it; returns the service's answer to the first delivery.
    json Reply(const json& reply) {
        json input = reply;
        input["phone"] = input.value("phone", std::string(kAsha));
        const json result = fake_.Inbound(input);
        const json deliveries = result["deliveries"];
        EXPECT_GE(deliveries.size(), 1u) << result.dump();
        if (deliveries.empty()) return json::object();
        EXPECT_EQ(deliveries[0]["status"], 200) << result.dump();
        return deliveries[0]["body"];
    }

    json Subscription(const std::string& id) { return Expect(Get("/subscriptions/" + id), 200); }

    std::string CreateSubscription(const std::string& customer) {
        const auto sub =
            Expect(Post("/subscriptions",
                        {{"customer_id", customer}, {"plan", "Milk 1 L daily"}, {"start_date", IndiaDate(1)}}),
                   201);
        EXPECT_EQ(sub["status"], "active");
        EXPECT_TRUE(sub["pause_from"].is_null());
        EXPECT_TRUE(sub["pause_until"].is_null());
        EXPECT_EQ(sub["notification"]["status"], "queued");
        return sub.value("id", "");
    }

    // A reply's pause starts on the next delivery day: tomorrow, or the day after past the 22:00 cutoff.
    void ExpectPausedFromNextDeliveryDay(const std::string& sub_id, int days) {
        const auto sub = Subscription(sub_id);
        const std::string from = sub.value("pause_from", "");
        const int start = from == IndiaDate(1) ? 1 : 2;
        EXPECT_EQ(from, IndiaDate(start)) << sub.dump();
        EXPECT_EQ(sub.value("pause_until", ""), IndiaDate(start + days - 1)) << sub.dump();
        EXPECT_EQ(sub["status"], "active");  // today is not inside the pause
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(WalkthroughTest, TheWalkthroughInOrder) {
    // 1. Health with the fake as provider.
    const auto health = Expect(service_->Get("/health"), 200);
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["provider"], "myoperator");

    // 2. Rollout 0: stored as skipped_rollout, nothing sent, the call succeeds.
    const auto zero = Expect(Settings({{"rollout_percent", 0}}), 200);
    EXPECT_EQ(zero["rollout_percent"], 0);
    std::string status;
    const std::string asha = CreateCustomer("Asha", kAsha, "hi", &status);
    ASSERT_FALSE(asha.empty());
    EXPECT_EQ(status, "skipped_rollout");
    const auto skipped = Expect(service_->Get("/history?status=skipped_rollout"), 200);
    ASSERT_EQ(skipped["items"].size(), 1u) << skipped.dump();
    EXPECT_EQ(skipped["items"][0]["message_type"], "welcome");
    EXPECT_EQ(fake_.RequestCount(), 0);

    // Rollout 5: a stable subset, the same numbers each time, and still inside at 25.
    ASSERT_EQ(Settings({{"rollout_percent", 5}}).status, 200);
    const std::string ravi = CreateCustomer("Ravi", kRavi, "en", &status);
    ASSERT_FALSE(ravi.empty());
    EXPECT_TRUE(status == "queued" || status == "skipped_rollout") << status;
    auto inside = [&](const std::string& round) {
        std::set<int> in;
        for (int i = 0; i < 40; ++i) {
            const auto r = Expect(
                Post("/notifications/events",
                     {{"type", "delivery.scheduled"},
                      {"customer",
                       {{"phone", "+91981234" + std::to_string(5000 + i)}, {"name", "Customer " + std::to_string(i)}}},
                      {"data", {{"delivery_date", "16 Jan 2027"}, {"area", "Sector 9"}}},
                      {"idempotency_key", round + "-" + std::to_string(i)}}),
                202);
            const std::string s = r["notification"].value("status", "");
            EXPECT_TRUE(s == "queued" || s == "skipped_rollout") << r.dump();
            if (s == "queued") in.insert(i);
        }
        return in;
    };
    const std::set<int> at5 = inside("five-a");
    EXPECT_LT(at5.size(), 40u);
    EXPECT_EQ(inside("five-b"), at5);
    ASSERT_EQ(Settings({{"rollout_percent", 25}}).status, 200);
    const std::set<int> at25 = inside("twenty-five");
    for (int i : at5) EXPECT_TRUE(at25.contains(i)) << i;

    ASSERT_EQ(Settings({{"rollout_percent", 100}}).status, 200);

    // 3. An order: the amount summed in paise, shown with the rupee sign and Indian grouping, in Hindi.
    const auto order =
        Expect(Post("/orders", {{"customer_id", asha},
                                {"delivery_date", "2027-01-16"},
                                {"items", {{{"name", "Toned milk 1 L"}, {"quantity", 30}, {"unit_price", "34.00"}}}}}),
               201);
    EXPECT_EQ(order["amount"], "1020.00");
    EXPECT_EQ(order["notification"]["status"], "queued");
    const auto confirmation = WaitForTemplate(kAshaNumber, "order_confirmation");
    EXPECT_EQ(confirmation["language"], "hi");
    EXPECT_EQ(confirmation["body"], json({{"1", "Asha"},
                                          {"2", order.value("id", "")},
                                          {"3", "16 Jan 2027"},
                                          {"4", kRupee + std::string("1,020.00")}}));
    const auto ravi_order =
        Expect(Post("/orders", {{"customer_id", ravi},
                                {"delivery_date", "2027-01-16"},
                                {"items", {{{"name", "Paneer"}, {"quantity", 1}, {"unit_price", 102500.5}}}}}),
               201);
    const auto ravi_confirmation = WaitForTemplate(kRaviNumber, "order_confirmation");
    EXPECT_EQ(ravi_confirmation["language"], "en");
    EXPECT_EQ(ravi_confirmation["body"]["4"], kRupee + std::string("1,02,500.50"));
    EXPECT_EQ(ravi_order["amount"], "102500.50");
    const auto unknown = Post("/orders", {{"customer_id", "cus_nobody"},
                                          {"delivery_date", "2027-01-16"},
                                          {"items", {{{"name", "Milk"}, {"quantity", 1}, {"unit_price", "34"}}}}});
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.Json()["error"]["code"], "not_found");
    EXPECT_EQ(unknown.Json()["error"]["field"], "customer_id");

    // 4. A subscription.
    const std::string sub = CreateSubscription(asha);
    ASSERT_FALSE(sub.empty());
    const auto created = WaitForTemplate(kAshaNumber, "subscription_created");
    EXPECT_EQ(created["body"]["1"], "Asha");
    EXPECT_EQ(created["body"]["2"], "Milk 1 L daily");

    // 5. Pause and resume through the API.
    const auto paused =
        Expect(Post("/subscriptions/" + sub + "/pause", {{"from", IndiaDate(1)}, {"until", IndiaDate(3)}}), 200);
    EXPECT_EQ(paused["status"], "active");
    EXPECT_EQ(paused["pause_from"], IndiaDate(1));
    EXPECT_EQ(paused["pause_until"], IndiaDate(3));
    EXPECT_EQ(paused["notification"]["status"], "queued");
    const auto resumed = Expect(Post("/subscriptions/" + sub + "/resume", json::object()), 200);
    EXPECT_TRUE(resumed["pause_from"].is_null());
    EXPECT_TRUE(resumed["pause_until"].is_null());
    EXPECT_EQ(resumed["notification"]["status"], "queued");
    WaitForTemplate(kAshaNumber, "subscription_paused");
    WaitForTemplate(kAshaNumber, "subscription_resumed");

    // 6. PAUSE 3 by a WhatsApp reply.
    const auto pause_reply = Reply({{"text", "PAUSE 3"}});
    EXPECT_EQ(pause_reply["status"], "applied");
    EXPECT_EQ(pause_reply["action"], "paused");
    ExpectPausedFromNextDeliveryDay(sub, 3);
    const auto by_reply = WaitForTemplate(kAshaNumber, "subscription_paused", 2);
    EXPECT_EQ(by_reply["language"], "hi");
    EXPECT_EQ(by_reply["body"]["1"], "Asha");

    // 7. RESUME, in any case; HELP gets a free-text reply.
    const auto resume_reply = Reply({{"text", "resume"}});
    EXPECT_EQ(resume_reply["action"], "resumed");
    const auto after = Subscription(sub);
    EXPECT_EQ(after["status"], "active");
    EXPECT_TRUE(after["pause_from"].is_null());
    EXPECT_TRUE(after["pause_until"].is_null());
    WaitForTemplate(kAshaNumber, "subscription_resumed", 2);
    const auto help = Reply({{"text", "HELP"}});
    EXPECT_EQ(help["status"], "applied");
    EXPECT_EQ(help["action"], "help_sent");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool text_sent = false;
    while (!text_sent && std::chrono::steady_clock::now() < deadline) {
        for (const auto& data : SendsTo(kAshaNumber)) text_sent = text_sent || data.value("type", "") == "text";
        if (!text_sent) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(text_sent) << "the help text never reached the fake";

    // 8. A payment.
    const auto payment = Expect(
        Post("/payments", {{"customer_id", asha}, {"amount", "1020"}, {"method", "upi"}, {"reference", "UPI-4821"}}),
        201);
    EXPECT_EQ(payment["amount"], "1020.00");
    EXPECT_EQ(payment["notification"]["status"], "queued");
    const auto received = WaitForTemplate(kAshaNumber, "payment_received");
    EXPECT_EQ(received["body"], json({{"1", "Asha"}, {"2", kRupee + std::string("1,020.00")}, {"3", "UPI-4821"}}));

    // 9. A missed delivery recorded by a rider's delivery token, which reads nothing.
    const std::string rider = service_->CreateToken("delivery", "rider-7");
    const auto missed = Expect(
        Post("/deliveries",
             {{"customer_id", asha}, {"date", "2027-01-16"}, {"status", "missed"}, {"reason", "Gate locked"}}, rider),
        201);
    EXPECT_EQ(missed["status"], "missed");
    EXPECT_EQ(missed["notification"]["status"], "queued");
    const auto missed_sent = WaitForTemplate(kAshaNumber, "delivery_missed");
    EXPECT_EQ(missed_sent["body"], json({{"1", "Asha"}, {"2", "16 Jan 2027"}, {"3", "Gate locked"}}));
    const auto forbidden = Get("/customers/" + asha, rider);
    EXPECT_EQ(forbidden.status, 403);
    EXPECT_EQ(forbidden.Json()["error"]["code"], "forbidden");

    // 10. Paused sending keeps the reminder queued; resuming sends it.
    ASSERT_EQ(Settings({{"paused", true}}).status, 200);
    EXPECT_EQ(Expect(service_->Get("/health"), 200)["notifications"]["paused"], true);
    const auto due =
        Expect(Post("/payments/due", {{"customer_id", asha}, {"amount_due", "1020"}, {"due_date", "2027-01-16"}}), 201);
    EXPECT_EQ(due["notification"]["status"], "queued");
    const std::string reminder = due["notification"].value("id", "");
    const auto queued = Expect(service_->Get("/history?status=queued"), 200);
    bool listed = false;
    for (const auto& item : queued["items"]) listed = listed || item.value("id", "") == reminder;
    EXPECT_TRUE(listed) << queued.dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few processor polls
    for (const auto& data : SendsTo(kAshaNumber)) {
        EXPECT_NE(data["context"].value("template_name", ""), "payment_reminder") << "sent while paused";
    }
    EXPECT_EQ(Expect(service_->Get("/messages/" + reminder), 200)["status"], "queued");
    ASSERT_EQ(Settings({{"paused", false}}).status, 200);
    EXPECT_TRUE(service_->WaitForStatus(reminder, "sent", std::chrono::seconds(15)));
    const auto reminder_sent = WaitForTemplate(kAshaNumber, "payment_reminder");
    EXPECT_EQ(reminder_sent["body"],
              json({{"1", "Asha"}, {"2", kRupee + std::string("1,020.00")}, {"3", "16 Jan 2027"}}));

    // 11. The inbox: the replies newest first with their actions; phones masked for a viewer.
    const auto inbox = Expect(Get("/notifications/inbox?limit=20"), 200);
    const json items = inbox["items"];
    ASSERT_EQ(items.size(), 3u) << inbox.dump();
    EXPECT_EQ(items[0]["text"], "HELP");
    EXPECT_EQ(items[0]["command"], "help");
    EXPECT_EQ(items[0]["action"], "help_sent");
    EXPECT_EQ(items[0]["notification_id"], help.value("message_id", ""));
    EXPECT_EQ(items[1]["action"], "resumed");
    EXPECT_EQ(items[2]["action"], "paused");
    EXPECT_EQ(items[2]["command"], "pause");
    EXPECT_EQ(items[2]["customer_id"], asha);
    EXPECT_EQ(items[0]["phone"], kAsha);
    for (const char* field : {"id", "event_id", "phone", "customer_id", "text", "command", "action", "detail",
                              "notification_id", "received_at"}) {
        EXPECT_TRUE(items[0].contains(field)) << field;
    }
    EXPECT_TRUE(inbox.contains("next_cursor"));
    const std::string viewer = service_->CreateToken("viewer", "auditor");
    const auto masked = Expect(Get("/notifications/inbox?limit=20", viewer), 200);
    const json masked_items = masked["items"];
    ASSERT_EQ(masked_items.size(), 3u);
    for (const auto& item : masked_items) EXPECT_EQ(item["phone"], "+91******3210");
}

// Section 6: a pressed button in each shape MyOperator may use ends in its action, and a webhook
// delivered twice is applied once.
TEST_F(WalkthroughTest, EveryButtonShapeEndsInItsAction) {
    const std::string asha = CreateCustomer("Asha", kAsha, "hi");
    const std::string sub = CreateSubscription(asha);
    ASSERT_FALSE(sub.empty());

    const auto button = Reply({{"button", "Pause 3"}, {"shape", "button"}});
    EXPECT_EQ(button["action"], "paused") << button.dump();
    ExpectPausedFromNextDeliveryDay(sub, 3);

    const auto list = Reply({{"button", "Resume"}, {"shape", "list"}});
    EXPECT_EQ(list["action"], "resumed") << list.dump();
    EXPECT_TRUE(Subscription(sub)["pause_from"].is_null());

    const auto context_payload = Reply({{"button", "Skip"}, {"shape", "context_payload"}});
    EXPECT_EQ(context_payload["action"], "paused") << context_payload.dump();
    ExpectPausedFromNextDeliveryDay(sub, 1);

    // interactive: the id is "pause_3", the title "Pause 3".
    const json interactive = fake_.Inbound({{"phone", kAsha}, {"button", "Pause 3"}, {"shape", "interactive"}});
    EXPECT_EQ(interactive["event"]["payload"]["data"]["interactive"]["button_reply"]["id"], "pause_3");
    const json interactive_deliveries = interactive["deliveries"];
    ASSERT_EQ(interactive_deliveries.size(), 1u);
    EXPECT_EQ(interactive_deliveries[0]["body"]["action"], "paused") << interactive.dump();
    ExpectPausedFromNextDeliveryDay(sub, 3);

    // MyOperator's retry: one event delivered twice is applied once.
    const json twice = fake_.Inbound(
        {{"phone", kAsha}, {"button", "Resume"}, {"shape", "button"}, {"event_id", "e-1"}, {"repeat", 2}});
    const json deliveries = twice["deliveries"];
    ASSERT_EQ(deliveries.size(), 2u) << twice.dump();
    EXPECT_EQ(deliveries[0]["status"], 200);
    EXPECT_EQ(deliveries[0]["body"]["status"], "applied");
    EXPECT_EQ(deliveries[0]["body"]["action"], "resumed");
    EXPECT_EQ(deliveries[1]["status"], 200);
    EXPECT_EQ(deliveries[1]["body"]["status"], "duplicate");
    EXPECT_TRUE(Subscription(sub)["pause_from"].is_null());

    const auto inbox = Expect(Get("/notifications/inbox"), 200);
    const json items = inbox["items"];
    ASSERT_EQ(items.size(), 5u) << inbox.dump();
    EXPECT_EQ(items[0]["event_id"], "e-1");
    // welcome, subscription_created, then one confirmation per applied reply: three pauses, two resumes.
    WaitForTemplate(kAshaNumber, "subscription_paused", 3);
    WaitForTemplate(kAshaNumber, "subscription_resumed", 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int resumes = 0;
    for (const auto& data : SendsTo(kAshaNumber)) {
        if (data["context"].value("template_name", "") == "subscription_resumed") ++resumes;
    }
    EXPECT_EQ(resumes, 2);
}

}  // namespace
}  // namespace notify::testing
