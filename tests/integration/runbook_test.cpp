// The staging tests 1 to 7 of the deployment runbook, as an operator runs them: the real binary,
// a real SQLite file, and the fake MyOperator standing in for the provider.
#include <gtest/gtest.h>

#include <csignal>
#include <set>

#include "harness.h"

namespace notify::testing {
namespace {

class RunbookTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(
            fake_.ServiceEnv({{"PROVIDER_TIMEOUT_MS", "2000"}, {"RETRY_BASE_DELAY_MS", "60000"}}));
        service_->Migrate();
        service_->Start();
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(RunbookTest, Test1ServiceStartsAndLogsItsInitialisation) {
    const std::string log = service_->Log();
    EXPECT_NE(log.find("starting"), std::string::npos) << log;
    EXPECT_NE(log.find("10 templates"), std::string::npos) << log;
    EXPECT_NE(log.find("provider myoperator"), std::string::npos) << log;
    EXPECT_EQ(log.find(" error "), std::string::npos) << log;
}

TEST_F(RunbookTest, Test2TenTemplatesAreLoaded) {
    const auto r = service_->Get("/templates");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.Json();
    EXPECT_EQ(body["count"], 10);
    std::set<std::string> names;
    for (const auto& t : body["items"]) names.insert(t["name"].get<std::string>());
    EXPECT_EQ(names, (std::set<std::string>{"welcome", "order_confirmation", "delivery_reminder", "delivery_completed",
                                            "delivery_missed", "subscription_created", "subscription_paused",
                                            "subscription_resumed", "payment_received", "payment_reminder"}));
    const auto one = service_->Get("/templates/order_confirmation").Json();
    EXPECT_EQ(one["variables"], (nlohmann::json{"customer_name", "order_id", "delivery_date", "amount"}));
    EXPECT_EQ(one["language"], "en");
    EXPECT_EQ(one["provider_template_name"], "order_confirmation");
}

TEST_F(RunbookTest, Test3HealthSaysOkWithoutAToken) {
    const auto r = HttpCall("GET", service_->api("/health"));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.Json();
    EXPECT_EQ(body["status"], "ok");
    EXPECT_EQ(body["database"], "ok");
    EXPECT_EQ(body["provider"], "myoperator");
    EXPECT_EQ(body["queue_depth"], 0);
    EXPECT_EQ(body["processor"]["running"], true);
    EXPECT_EQ(r.headers.at("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff");
}

TEST_F(RunbookTest, Test4ImmediateSendIsSentWithTheProvidersIdAndTheRightRequest) {
    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.Json();
    EXPECT_EQ(body["status"], "sent");
    EXPECT_EQ(body["phone"], "+919876543210");
    EXPECT_EQ(body["message_type"], "delivery_reminder");
    ASSERT_TRUE(body["provider_message_id"].is_string());
    EXPECT_FALSE(body["provider_message_id"].get<std::string>().empty());
    EXPECT_TRUE(body["created_at"].is_string());

    const auto received = fake_.Requests();
    ASSERT_EQ(received["count"], 1);
    const auto& request = received["requests"][0];
    EXPECT_EQ(request["path"], "/chat/messages");
    EXPECT_EQ(request["headers"]["authorization"], std::string("Bearer ") + FakeMyOperator::kApiKey);
    EXPECT_EQ(request["headers"]["x-myop-company-id"], "company-42");
    const auto& sent = request["body"];
    EXPECT_EQ(sent["phone_number_id"], "phone-number-id-7");
    EXPECT_EQ(sent["customer_country_code"], "91");
    EXPECT_EQ(sent["customer_number"], "9876543210");
    EXPECT_EQ(sent["myop_ref_id"], body["id"]);
    EXPECT_EQ(sent["data"]["type"], "template");
    EXPECT_EQ(sent["data"]["context"]["template_name"], "delivery_reminder");
    EXPECT_EQ(sent["data"]["context"]["language"], "en");
    EXPECT_EQ(sent["data"]["context"]["body"], (nlohmann::json{{"1", "Test"}, {"2", "Jan 28"}, {"3", "Test"}}));

    const auto history = service_->Get("/history").Json();
    ASSERT_EQ(history["items"].size(), 1u);
    EXPECT_EQ(history["items"][0]["id"], body["id"]);
}

TEST_F(RunbookTest, Test5HistoryListsMessagesNewestFirstWithEveryField) {
    const auto first = service_->Post("/send-message", DeliveryReminder()).Json();
    const auto second = service_->Post("/send-message", DeliveryReminder("+91 98765-43211")).Json();
    const auto r = service_->Get("/history");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto items = r.Json()["items"];
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0]["id"], second["id"]);
    EXPECT_EQ(items[1]["id"], first["id"]);
    for (const char* field : {"id", "phone", "message_type", "status", "provider_message_id", "attempts", "last_error",
                              "created_at", "sent_at", "delivered_at", "read_at"}) {
        EXPECT_TRUE(items[0].contains(field)) << field;
    }
    EXPECT_EQ(items[0]["phone"], "+919876543211");
    EXPECT_EQ(items[0]["attempts"], 1);
    EXPECT_TRUE(r.Json()["next_cursor"].is_null());
}

TEST_F(RunbookTest, Test6StatisticsShowOneSentMessageAndTheSuccessRate) {
    ASSERT_EQ(service_->Post("/send-message", DeliveryReminder()).status, 200);
    const auto r = service_->Get("/statistics");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto stats = r.Json();
    EXPECT_EQ(stats["total"], 1);
    EXPECT_EQ(stats["sent"], 1);
    EXPECT_EQ(stats["failed"], 0);
    EXPECT_EQ(stats["success_rate"], 100.0);
    EXPECT_EQ(stats["delivered"], 0);
    EXPECT_EQ(stats["delivery_rate"], 0.0);
    EXPECT_EQ(stats["by_type"]["delivery_reminder"]["sent"], 1);
}

TEST_F(RunbookTest, Test7ProcessQueueSendsWhatWaitsAndReturnsTheCount) {
    // The provider is down for the first tries, so three messages wait for their retry.
    fake_.SetMode({{"mode", "error500"}});
    for (int i = 0; i < 3; ++i) {
        const auto r = service_->Post("/send-message", DeliveryReminder("+91987654321" + std::to_string(i)));
        ASSERT_EQ(r.status, 202) << r.body;
        EXPECT_EQ(r.Json()["status"], "queued");
    }
    fake_.SetMode({{"mode", "ok"}});
    const auto r = service_->Post("/process-queue?force=true", nullptr);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto pass = r.Json();
    EXPECT_EQ(pass["processed"], 3);
    EXPECT_EQ(pass["sent"], 3);
    EXPECT_EQ(pass["failed"], 0);
    EXPECT_EQ(pass["retry_scheduled"], 0);
    EXPECT_EQ(pass["remaining"], 0);
    EXPECT_EQ(service_->Get("/statistics").Json()["sent"], 3);
}

TEST_F(RunbookTest, QueuedMessagesAreSentByTheBackgroundProcessorWithinSeconds) {
    const auto r = service_->Post("/send-message", DeliveryReminder("+919876543210", false));
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json()["status"], "queued");
    EXPECT_TRUE(service_->WaitForStatus(r.Json()["id"], "sent"));
    EXPECT_EQ(fake_.RequestCount(), 1);
}

TEST_F(RunbookTest, ProviderOutageQueuesTheMessageAndItIsSentAfterRecovery) {
    // The outage is the provider answering 500 (the fake's fault switch). Stopping the fake and
    // starting it again on its port let a test running beside this one take that port meanwhile;
    // a refused connection is covered by MyOperatorProvider.ConnectionRefusedIsRetryable.
    fake_.SetMode({{"mode", "error500"}});
    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 202) << r.body;
    const auto queued = r.Json();
    EXPECT_EQ(queued["status"], "queued");
    EXPECT_FALSE(queued["last_error"].is_null());
    EXPECT_EQ(service_->Get("/health").Json()["queue_depth"], 1);

    fake_.SetMode({{"mode", "ok"}});
    const auto pass = service_->Post("/process-queue?force=true", nullptr).Json();
    EXPECT_EQ(pass["sent"], 1);
    const auto message = service_->Get("/messages/" + queued["id"].get<std::string>()).Json();
    EXPECT_EQ(message["status"], "sent");
    EXPECT_EQ(message["attempts"], 2);
    ASSERT_EQ(message["attempt_history"].size(), 2u);
    EXPECT_EQ(message["attempt_history"][0]["outcome"], "retryable");
    EXPECT_EQ(message["attempt_history"][1]["outcome"], "accepted");
}

TEST_F(RunbookTest, PermanentProviderErrorFailsTheMessageAndRetryRequeuesIt) {
    fake_.SetMode({{"mode", "error400"}});
    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto failed = r.Json();
    EXPECT_EQ(failed["status"], "failed");
    EXPECT_FALSE(failed["last_error"].is_null());
    const std::string id = failed["id"];

    fake_.SetMode({{"mode", "ok"}});
    const auto retry = service_->Post("/messages/" + id + "/retry", nullptr);
    ASSERT_EQ(retry.status, 202) << retry.body;
    EXPECT_TRUE(service_->WaitForStatus(id, "sent"));
    EXPECT_EQ(service_->Post("/messages/" + id + "/retry", nullptr).status, 409);
    EXPECT_EQ(service_->Post("/messages/NOPE/retry", nullptr).status, 404);
}

TEST_F(RunbookTest, SameIdempotencyKeyReturnsTheFirstMessageAndSendsNothingMore) {
    auto body = DeliveryReminder();
    body["idempotency_key"] = "order-1234-reminder";
    const auto first = service_->Post("/send-message", body);
    ASSERT_EQ(first.status, 200);
    const auto again = service_->Post("/send-message", body);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.Json()["id"], first.Json()["id"]);
    EXPECT_EQ(fake_.RequestCount(), 1);
    EXPECT_EQ(service_->Get("/statistics").Json()["total"], 1);
}

TEST_F(RunbookTest, SigtermShutsDownCleanly) {
    EXPECT_EQ(service_->Stop(SIGTERM), 0);
    EXPECT_NE(service_->Log().find("shutdown complete"), std::string::npos);
}

}  // namespace
}  // namespace notify::testing
