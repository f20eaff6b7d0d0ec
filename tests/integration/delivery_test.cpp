// Delivery guarantees against the fake MyOperator: retries, Retry-After, permanent refusals,
// timeouts, the hold after a fault that stops all sending, MAX_ATTEMPTS, and the recipient gap.
#include <gtest/gtest.h>

#include <thread>

#include "common/time_format.h"
#include "harness.h"

namespace notify::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

long long ElapsedMs(Steady::time_point since) {
    return std::chrono::duration_cast<milliseconds>(Steady::now() - since).count();
}

TimeMs IsoMs(const nlohmann::json& value) {
    const auto parsed = value.is_string() ? ParseIsoTime(value.get<std::string>()) : std::nullopt;
    if (!parsed) throw std::runtime_error("not a time: " + value.dump());
    return *parsed;
}

class DeliveryTest : public ::testing::Test {
protected:
    void SetUp() override { fake_.Start(); }

    void StartService(std::map<std::string, std::string> extra = {}) {
        std::map<std::string, std::string> env = fake_.ServiceEnv({{"PROVIDER_TIMEOUT_MS", "2000"},
                                                                   {"RETRY_BASE_DELAY_MS", "200"},
                                                                   {"RETRY_MAX_DELAY_MS", "200"},
                                                                   {"PROCESSOR_IDLE_POLL_MS", "100"}});
        for (auto& [k, v] : extra) env[k] = v;
        service_ = std::make_unique<Notifyd>(env);
        service_->Migrate();
        service_->Start();
    }

    nlohmann::json Message(const std::string& id) {
        const auto r = service_->Get("/messages/" + id);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.Json();
    }

    nlohmann::json Health() { return HttpCall("GET", service_->api("/health")).Json(); }

    // Polls until `done` holds or the timeout passes.
    template <typename Predicate>
    bool WaitUntil(Predicate done, milliseconds timeout = seconds(8)) {
        const auto deadline = Steady::now() + timeout;
        while (Steady::now() < deadline) {
            if (done()) return true;
            std::this_thread::sleep_for(milliseconds(20));
        }
        return done();
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(DeliveryTest, AServerErrorIsRetriedAndSentWithBothAttemptsRecorded) {
    StartService();
    fake_.SetMode({{"mode", "error500"}, {"fail_next", 1}});
    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json()["status"], "queued");
    const std::string id = r.Json()["id"];

    ASSERT_TRUE(service_->WaitForStatus(id, "sent")) << Message(id).dump();
    const auto message = Message(id);
    EXPECT_EQ(message["attempts"], 2);
    EXPECT_TRUE(message["last_error"].is_null());
    const auto& history = message["attempt_history"];
    ASSERT_EQ(history.size(), 2u) << message.dump();
    EXPECT_EQ(history[0]["number"], 1);
    EXPECT_EQ(history[0]["outcome"], "retryable");
    EXPECT_EQ(history[0]["http_status"], 500);
    EXPECT_EQ(history[1]["number"], 2);
    EXPECT_EQ(history[1]["outcome"], "accepted");
    EXPECT_EQ(history[1]["provider_message_id"], message["provider_message_id"]);
    EXPECT_EQ(fake_.RequestCount(), 2);
}

TEST_F(DeliveryTest, TooManyRequestsStopsEveryProviderCallUntilRetryAfterHasPassed) {
    StartService();
    fake_.SetMode({{"mode", "error429"}, {"retry_after", 2}, {"fail_next", 1}});
    const auto first = service_->Post("/send-message", DeliveryReminder());
    const auto limited_at = Steady::now();
    ASSERT_EQ(first.status, 202) << first.body;
    const std::string id = first.Json()["id"];

    const auto message = Message(id);
    ASSERT_EQ(message["attempt_history"].size(), 1u);
    EXPECT_EQ(message["attempt_history"][0]["http_status"], 429);
    EXPECT_GE(IsoMs(message["next_attempt_at"]) - IsoMs(message["attempt_history"][0]["started_at"]), 2000)
        << message.dump();
    const auto health = Health();
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["sending"], "throttled");
    EXPECT_TRUE(health["throttled_until"].is_string());

    // Meanwhile nothing reaches the provider: not another immediate send, not a processing pass.
    const auto second = service_->Post("/send-message", DeliveryReminder("+919876543211"));
    ASSERT_EQ(second.status, 202) << second.body;
    EXPECT_EQ(second.Json()["status"], "queued");
    const auto pass = service_->Post("/process-queue", nlohmann::json::object());
    ASSERT_EQ(pass.status, 200) << pass.body;
    EXPECT_EQ(pass.Json()["processed"], 0) << pass.body;
    EXPECT_EQ(pass.Json()["held"], true) << pass.body;
    EXPECT_EQ(fake_.RequestCount(), 1);

    ASSERT_TRUE(WaitUntil([&] { return fake_.RequestCount() >= 2; }));
    EXPECT_GE(ElapsedMs(limited_at), 1800);  // Retry-After is whole seconds, measured from the answer
    EXPECT_TRUE(service_->WaitForStatus(id, "sent"));
    EXPECT_TRUE(service_->WaitForStatus(second.Json()["id"], "sent"));
    EXPECT_EQ(Health()["sending"], "ok");
}

TEST_F(DeliveryTest, APermanentRefusalFailsTheMessageAtOnceWithTheProvidersError) {
    StartService();
    fake_.SetMode({{"mode", "error400"}});
    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "failed");
    const std::string id = r.Json()["id"];

    service_->Post("/process-queue?force=true", nlohmann::json::object());
    const auto message = Message(id);
    EXPECT_EQ(message["status"], "failed");
    EXPECT_EQ(message["attempts"], 1);
    ASSERT_TRUE(message["last_error"].is_string());
    EXPECT_NE(message["last_error"].get<std::string>().find("fake error400"), std::string::npos) << message.dump();
    EXPECT_EQ(message["attempt_history"][0]["outcome"], "permanent");
    EXPECT_EQ(fake_.RequestCount(), 1);
}

TEST_F(DeliveryTest, AProviderSlowerThanTheTimeoutAnswers202InAboutTheTimeoutAndIsRetried) {
    StartService({{"PROVIDER_TIMEOUT_MS", "500"}});
    fake_.SetMode({{"mode", "slow"}, {"delay_ms", 3000}, {"fail_next", 1}});
    const auto started = Steady::now();
    const auto r = service_->Post("/send-message", DeliveryReminder());
    const long long took = ElapsedMs(started);
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json()["status"], "queued");
    EXPECT_GE(took, 400);
    EXPECT_LT(took, 1500);

    const std::string id = r.Json()["id"];
    ASSERT_TRUE(service_->WaitForStatus(id, "sent")) << Message(id).dump();
    const auto history = Message(id)["attempt_history"];
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0]["outcome"], "retryable");
    EXPECT_TRUE(history[0]["http_status"].is_null());  // no answer came back
    EXPECT_EQ(history[1]["outcome"], "accepted");
}

TEST_F(DeliveryTest, AnEmptyWalletHoldsSendingWithoutFailingAnythingAndAProbeResumesIt) {
    // One attempt allowed: were the wallet refusals counted, every message would fail.
    StartService({{"PROVIDER_PROBE_INTERVAL_MS", "400"}, {"MAX_ATTEMPTS", "1"}});
    fake_.SetMode({{"mode", "wallet"}});
    std::vector<std::string> ids;
    for (const char* phone : {"+919876543210", "+919876543211", "+919876543212"}) {
        const auto r = service_->Post("/send-message", DeliveryReminder(phone, false));
        ASSERT_EQ(r.status, 202) << r.body;
        ids.push_back(r.Json()["id"]);
    }
    ASSERT_TRUE(WaitUntil([&] { return Health()["sending"] == "held"; })) << Health().dump();
    const auto health = Health();
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["database"], "ok");
    EXPECT_EQ(health["queue_depth"], 3);
    ASSERT_TRUE(health["provider_fault"].is_object()) << health.dump();
    EXPECT_NE(health["provider_fault"]["error"].get<std::string>().find("CHAT_4001"), std::string::npos);
    EXPECT_TRUE(health["provider_fault"]["since"].is_string());

    // An immediate send while held is queued without a provider call.
    const int before = fake_.RequestCount();
    const auto immediate = service_->Post("/send-message", DeliveryReminder("+919876543213"));
    ASSERT_EQ(immediate.status, 202) << immediate.body;
    EXPECT_EQ(immediate.Json()["status"], "queued");
    EXPECT_TRUE(Message(immediate.Json()["id"])["attempt_history"].empty());
    ids.push_back(immediate.Json()["id"]);

    // A few probe intervals: one probe each, nothing failed.
    std::this_thread::sleep_for(milliseconds(1300));
    EXPECT_LE(fake_.RequestCount() - before, 4);
    for (const auto& id : ids) EXPECT_EQ(Message(id)["status"], "queued") << id;

    fake_.SetMode({{"mode", "ok"}});
    for (const auto& id : ids) EXPECT_TRUE(service_->WaitForStatus(id, "sent", seconds(5))) << Message(id).dump();
    EXPECT_EQ(Health()["sending"], "ok");
    EXPECT_TRUE(Health()["provider_fault"].is_null());
    const auto first = Message(ids[0]);
    ASSERT_GE(first["attempt_history"].size(), 2u) << first.dump();
    EXPECT_EQ(first["attempt_history"][0]["stops_all_sending"], true);
    EXPECT_EQ(first["attempt_history"].back()["outcome"], "accepted");

    const std::string log = service_->Log();
    const std::string marker = "sending held: the provider refuses every message";
    std::size_t holds = 0;
    for (auto pos = log.find(marker); pos != std::string::npos; pos = log.find(marker, pos + 1)) ++holds;
    EXPECT_EQ(holds, 1u) << log;
    EXPECT_NE(log.find("sending resumes"), std::string::npos);
}

TEST_F(DeliveryTest, AnAdminPutOfSettingsLiftsTheHold) {
    StartService({{"PROVIDER_PROBE_INTERVAL_MS", "60000"}});
    fake_.SetMode({{"mode", "wallet"}});
    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(Health()["sending"], "held");

    fake_.SetMode({{"mode", "ok"}});
    ASSERT_EQ(service_->Put("/settings", nlohmann::json::object()).status, 200);
    EXPECT_EQ(Health()["sending"], "ok");
    EXPECT_TRUE(service_->WaitForStatus(r.Json()["id"], "sent"));
}

TEST_F(DeliveryTest, MaxAttemptsReachedFailsTheMessageWithTheLastError) {
    StartService({{"MAX_ATTEMPTS", "3"}, {"RETRY_BASE_DELAY_MS", "60000"}, {"RETRY_MAX_DELAY_MS", "60000"}});
    fake_.SetMode({{"mode", "error500"}});
    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id = r.Json()["id"];
    for (int i = 0; i < 5 && Message(id)["status"] != "failed"; ++i) {
        ASSERT_EQ(service_->Post("/process-queue?force=true", nlohmann::json::object()).status, 200);
    }
    const auto message = Message(id);
    EXPECT_EQ(message["status"], "failed");
    EXPECT_EQ(message["attempts"], 3);
    EXPECT_EQ(message["attempt_history"].size(), 3u);
    ASSERT_TRUE(message["last_error"].is_string());
    EXPECT_NE(message["last_error"].get<std::string>().find("500"), std::string::npos) << message.dump();
    EXPECT_TRUE(message["failed_at"].is_string());
    EXPECT_EQ(fake_.RequestCount(), 3);
}

TEST_F(DeliveryTest, ASecondMessageToOneRecipientWaitsForTheMinimumGap) {
    StartService();
    ASSERT_EQ(service_->Put("/settings", {{"recipient_min_gap_seconds", 2}}).status, 200);
    const auto first = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(first.status, 200) << first.body;
    const auto second = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(second.status, 202) << second.body;
    EXPECT_EQ(second.Json()["status"], "queued");
    const auto other = service_->Post("/send-message", DeliveryReminder("+919876543211"));
    EXPECT_EQ(other.status, 200) << other.body;

    const std::string id = second.Json()["id"];
    EXPECT_TRUE(Message(id)["attempt_history"].empty());  // rescheduled, not an attempt
    ASSERT_TRUE(service_->WaitForStatus(id, "sent", seconds(6)));
    // The gap runs from the start of one send to the start of the next (sent_at also holds the
    // provider's answer time, which varies with its latency).
    const auto started = [&](const std::string& message_id) {
        return IsoMs(Message(message_id)["attempt_history"][0]["started_at"]);
    };
    EXPECT_GE(started(id) - started(first.Json()["id"]), 2000);
}

}  // namespace
}  // namespace notify::testing
