// MyOperator's status and inbound webhooks, end to end: a message sent through the fake MyOperator,
// then the events MyOperator would post about it, checked through the API as an operator sees them.
#include <gtest/gtest.h>

#include <chrono>

#include "common/time_format.h"
#include "harness.h"

namespace notify::testing {
namespace {

constexpr const char* kWebhookPath = "/webhooks/myoperator";
constexpr const char* kCustomer = "+919876543210";
constexpr const char* kCustomerDigits = "919876543210";

nlohmann::json StatusEvent(const std::string& event_id, const std::string& status, const std::string& provider_id,
                           const std::string& timestamp = "2026-06-26T02:10:56.956814767Z") {
    return MyOperatorStatusEvent(event_id, status, provider_id, kCustomerDigits, timestamp);
}

nlohmann::json Inbound(const std::string& event_id, const std::string& text,
                       const std::string& customer = kCustomerDigits,
                       const std::string& timestamp = "2026-06-26T02:10:56.956814767Z") {
    return {{"event_id", event_id},
            {"company_id", "company-42"},
            {"event_type", "message.received"},
            {"timestamp", timestamp},
            {"channel", "whatsapp"},
            {"direction", "incoming"},
            {"customer_identifier", customer},
            {"payload",
             {{"id", "in-" + event_id},
              {"status", "received"},
              {"data", {{"type", "text"}, {"context", {{"body", text}}}}}}}};
}

class WebhookTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(
            fake_.ServiceEnv({{"PROVIDER_TIMEOUT_MS", "2000"}, {"RETRY_BASE_DELAY_MS", "60000"}}));
        service_->Migrate();
        service_->Start();
    }

    // Posts a webhook the way MyOperator does: the secret in a header (or in ?key=), no bearer token.
    HttpResult Post(const std::string& body, const std::string& secret = Notifyd::kWebhookSecret,
                    bool in_query = false) {
        std::vector<std::string> headers = {"Content-Type: application/json"};
        std::string url = service_->api(kWebhookPath);
        if (in_query) {
            url += "?key=" + secret;
        } else if (!secret.empty()) {
            headers.push_back("X-Webhook-Secret: " + secret);
        }
        return HttpCall("POST", url, body, headers);
    }
    HttpResult Post(const nlohmann::json& body) { return Post(body.dump()); }

    // Sends one message immediately; returns {id, provider_message_id}.
    std::pair<std::string, std::string> SendOne(const std::string& phone = kCustomer) {
        const auto r = service_->Post("/send-message", DeliveryReminder(phone));
        EXPECT_EQ(r.status, 200) << r.body;
        const auto body = r.Json();
        EXPECT_EQ(body["status"], "sent") << r.body;
        return {body.value("id", ""), body["provider_message_id"].is_string() ? body["provider_message_id"] : ""};
    }

    nlohmann::json Message(const std::string& id) {
        const auto r = service_->Get("/messages/" + id);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.Json();
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(WebhookTest, DeliveredThenReadLandOnTheMessageHistoryAndStatistics) {
    const auto [id, provider_id] = SendOne();
    auto r = Post(StatusEvent("e-1", "delivered", provider_id, "2026-06-26T02:10:56.100Z"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "applied");
    EXPECT_EQ(r.Json()["message_status"], "delivered");
    r = Post(StatusEvent("e-2", "read", provider_id, "2026-06-26T02:11:30.200Z"));
    ASSERT_EQ(r.status, 200) << r.body;

    const auto message = Message(id);
    EXPECT_EQ(message["status"], "read");
    EXPECT_EQ(message["delivered_at"], "2026-06-26T02:10:56.100Z");
    EXPECT_EQ(message["read_at"], "2026-06-26T02:11:30.200Z");
    EXPECT_TRUE(message["sent_at"].is_string());
    ASSERT_EQ(message["status_events"].size(), 2u);
    EXPECT_EQ(message["status_events"][0]["status"], "delivered");
    EXPECT_EQ(message["status_events"][1]["status"], "read");

    const auto history = service_->Get("/history").Json();
    ASSERT_EQ(history["items"].size(), 1u);
    EXPECT_EQ(history["items"][0]["status"], "read");
    EXPECT_EQ(history["items"][0]["delivered_at"], "2026-06-26T02:10:56.100Z");
    EXPECT_EQ(history["items"][0]["read_at"], "2026-06-26T02:11:30.200Z");

    const auto stats = service_->Get("/statistics").Json();
    EXPECT_EQ(stats["sent"], 1);
    EXPECT_EQ(stats["delivered"], 1);
    EXPECT_EQ(stats["read"], 1);
    EXPECT_EQ(stats["failed"], 0);
    EXPECT_EQ(stats["delivery_rate"], 100.0);
    EXPECT_EQ(stats["success_rate"], 100.0);
}

TEST_F(WebhookTest, ALateDeliveredAfterReadKeepsReadAndFillsDeliveredAt) {
    const auto [id, provider_id] = SendOne();
    ASSERT_EQ(Post(StatusEvent("e-read", "read", provider_id, "2026-06-26T02:11:30Z")).status, 200);
    const auto r = Post(StatusEvent("e-delivered", "delivered", provider_id, "2026-06-26T02:10:56Z"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["message_status"], "read");
    const auto message = Message(id);
    EXPECT_EQ(message["status"], "read");
    EXPECT_EQ(message["read_at"], "2026-06-26T02:11:30.000Z");
    EXPECT_EQ(message["delivered_at"], "2026-06-26T02:10:56.000Z");
    EXPECT_EQ(service_->Get("/statistics").Json()["delivered"], 1);
}

TEST_F(WebhookTest, ARepeatedEventIdIsAnsweredDuplicateAndChangesNothing) {
    const auto [id, provider_id] = SendOne();
    const auto event = StatusEvent("e-dup", "delivered", provider_id);
    ASSERT_EQ(Post(event).Json()["status"], "applied");
    const auto before = Message(id);
    auto r = Post(event);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "duplicate");
    // The same id claiming something else is still the same event.
    r = Post(StatusEvent("e-dup", "read", provider_id));
    EXPECT_EQ(r.Json()["status"], "duplicate");
    const auto after = Message(id);
    EXPECT_EQ(after["status"], "delivered");
    EXPECT_EQ(after["updated_at"], before["updated_at"]);
    EXPECT_EQ(after["status_events"].size(), 1u);
}

TEST_F(WebhookTest, AMissingOrWrongSecretIs401AndChangesNothing) {
    const auto [id, provider_id] = SendOne();
    const std::string body = StatusEvent("e-1", "delivered", provider_id).dump();
    for (const auto& r : {Post(body, ""), Post(body, "wrong-secret"), Post(body, "wrong-secret", true),
                          Post(body, std::string(Notifyd::kWebhookSecret) + "x"),
                          HttpCall("POST", service_->api(kWebhookPath), body,
                                   {std::string("Authorization: Bearer ") + Notifyd::kAdminToken})}) {
        EXPECT_EQ(r.status, 401) << r.body;
        EXPECT_EQ(r.Json()["error"]["code"], "unauthorized");
    }
    EXPECT_EQ(Message(id)["status"], "sent");
    // Refused events were not recorded: the same event with the secret is applied, not a duplicate.
    EXPECT_EQ(Post(body).Json()["status"], "applied");
}

TEST_F(WebhookTest, RepeatedWrongSecretsAreAnswered429LikeFailedTokens) {
    const auto [id, provider_id] = SendOne();  // before: the block reaches the bearer-token routes too
    const std::string body = StatusEvent("e-429", "delivered", provider_id).dump();
    // Calls without a secret are not guesses and do not count.
    for (int i = 0; i < 10; ++i) EXPECT_EQ(Post(body, "").status, 401);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(Post(body, "guess-" + std::to_string(i)).status, 401);
    // Now the address waits, with the right secret too, and on the bearer-token routes as well.
    const auto blocked = Post(body);
    EXPECT_EQ(blocked.status, 429) << blocked.body;
    EXPECT_EQ(blocked.Json()["error"]["code"], "too_many_requests");
    ASSERT_TRUE(blocked.headers.count("retry-after"));
    EXPECT_GT(std::stoi(blocked.headers.at("retry-after")), 0);
    EXPECT_EQ(service_->Get("/messages/" + id).status, 429);
}

TEST_F(WebhookTest, TheSecretMayComeInTheKeyQueryParameter) {
    const auto [id, provider_id] = SendOne();
    const auto r = Post(StatusEvent("e-q", "delivered", provider_id).dump(), Notifyd::kWebhookSecret, true);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Message(id)["status"], "delivered");
    // Neither the secret nor the query appear in the log.
    EXPECT_EQ(service_->Log().find(Notifyd::kWebhookSecret), std::string::npos);
}

TEST_F(WebhookTest, AnUnknownMessageIdIsAnswered200AndLogged) {
    const auto r = Post(StatusEvent("e-unknown", "delivered", "no-such-provider-id"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "unknown_message");
    EXPECT_TRUE(WaitForLogLine(service_->dir() / "notifyd.log", "unknown provider message id no-such-provider-id",
                               std::chrono::seconds(5)));
}

TEST_F(WebhookTest, MalformedEventsAre400) {
    const auto [id, provider_id] = SendOne();
    auto expect = [&](const std::string& body, const std::string& code) {
        const auto r = Post(body);
        EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
        EXPECT_EQ(r.Json()["error"]["code"], code) << body;
    };
    expect("{not json", "invalid_json");
    expect("[1, 2]", "invalid_body");
    expect("", "invalid_json");
    expect(R"({"event_type": "message.delivered", "payload": {"id": "x"}})", "missing_field");
    expect(R"({"event_id": "e-m", "event_type": "message.delivered", "payload": {"status": "delivered"}})",
           "missing_field");
    auto bad_time = StatusEvent("e-t", "delivered", provider_id);
    bad_time["timestamp"] = "not a time";
    expect(bad_time.dump(), "invalid_field");
    EXPECT_EQ(Message(id)["status"], "sent");
}

TEST_F(WebhookTest, UnknownEventTypesAreAcceptedAndIgnored) {
    const auto r = Post(nlohmann::json{{"event_id", "e-x"}, {"event_type", "conversation.closed"}, {"payload", {}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "ignored");
}

TEST_F(WebhookTest, AFailureAfterDeliveryDoesNotUndoIt) {
    const auto [id, provider_id] = SendOne();
    ASSERT_EQ(Post(StatusEvent("e-d", "delivered", provider_id)).status, 200);
    auto failed = StatusEvent("e-f", "failed", provider_id);
    failed["payload"]["error"] = {{"code", "131026"}, {"message", "Message undeliverable"}};
    ASSERT_EQ(Post(failed).status, 200);
    const auto message = Message(id);
    EXPECT_EQ(message["status"], "delivered");
    EXPECT_TRUE(message["failed_at"].is_null());
    ASSERT_EQ(message["status_events"].size(), 2u);
    EXPECT_EQ(message["status_events"][1]["status"], "failed");
    EXPECT_EQ(message["status_events"][1]["applied"], false);
    EXPECT_NE(message["status_events"][1]["note"].get<std::string>().find("131026"), std::string::npos);
    const auto stats = service_->Get("/statistics").Json();
    EXPECT_EQ(stats["delivered"], 1);
    EXPECT_EQ(stats["failed"], 0);
}

TEST_F(WebhookTest, AFailureOfASentMessageFailsItWithTheReason) {
    const auto [id, provider_id] = SendOne();
    auto failed = StatusEvent("e-f", "failed", provider_id);
    failed["payload"]["error"] = {{"code", "131026"}, {"message", "Message undeliverable"}};
    ASSERT_EQ(Post(failed).status, 200);
    const auto message = Message(id);
    EXPECT_EQ(message["status"], "failed");
    EXPECT_EQ(message["last_error"], "131026: Message undeliverable");
    EXPECT_TRUE(message["failed_at"].is_string());
    const auto stats = service_->Get("/statistics").Json();
    EXPECT_EQ(stats["failed"], 1);
    EXPECT_EQ(stats["sent"], 0);
}

TEST_F(WebhookTest, NineFractionalDigitsLandToTheMillisecond) {
    const auto [id, provider_id] = SendOne();
    ASSERT_EQ(Post(StatusEvent("e-ns", "delivered", provider_id, "2026-06-26T02:10:56.956814767Z")).status, 200);
    ASSERT_EQ(Post(StatusEvent("e-ns2", "read", provider_id, "2026-06-26T08:11:07.000999999+05:30")).status, 200);
    const auto message = Message(id);
    EXPECT_EQ(message["delivered_at"], "2026-06-26T02:10:56.956Z");
    EXPECT_EQ(message["read_at"], "2026-06-26T02:41:07.000Z");
}

TEST_F(WebhookTest, StopSuppressesLaterSendsAndStartResumesThem) {
    SendOne();
    ASSERT_EQ(fake_.RequestCount(), 1);

    auto r = Post(Inbound("in-stop", "  Stop "));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["opted_out"], true);
    // STOP delivered again is a duplicate.
    EXPECT_EQ(Post(Inbound("in-stop", "STOP")).Json()["status"], "duplicate");

    r = service_->Post("/send-message", DeliveryReminder("98765 43210"));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto suppressed = r.Json();
    EXPECT_EQ(suppressed["status"], "suppressed");
    EXPECT_TRUE(suppressed["provider_message_id"].is_null());
    EXPECT_EQ(fake_.RequestCount(), 1);
    // Queued sends are suppressed as well, and other numbers are not affected.
    r = service_->Post("/send-message", DeliveryReminder(kCustomer, false));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "suppressed");
    EXPECT_EQ(SendOne("+919812345678").second.empty(), false);
    EXPECT_EQ(fake_.RequestCount(), 2);

    const auto history = service_->Get("/history?status=suppressed").Json();
    ASSERT_EQ(history["items"].size(), 2u);
    EXPECT_EQ(history["items"][1]["id"], suppressed["id"]);
    EXPECT_EQ(service_->Get("/statistics").Json()["suppressed"], 2);
    EXPECT_EQ(service_->Get("/health").Json()["queue_depth"], 0);

    ASSERT_EQ(Post(Inbound("in-start", "start")).Json()["opted_out"], false);
    SendOne();
    EXPECT_EQ(fake_.RequestCount(), 3);
}

// The time MyOperator would put on an event sent now, as epoch milliseconds (its other accepted form).
std::int64_t NowEpochMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TimeMs IsoMs(const nlohmann::json& value) {
    const auto parsed = value.is_string() ? ParseIsoTime(value.get<std::string>()) : std::nullopt;
    if (!parsed) throw std::runtime_error("not a time: " + value.dump());
    return *parsed;
}

TEST_F(WebhookTest, AStartDatedInTheFarFutureDoesNotVoidALaterStop) {
    ASSERT_EQ(Post(Inbound("in-stop-1", "STOP", kCustomerDigits, "2026-06-26T02:10:56Z")).Json()["opted_out"], true);
    // A forged START claiming the year 9000: taken as of the time it was received, not then.
    auto r = Post(Inbound("in-start-9000", "START", kCustomerDigits, "9000-01-01T00:00:00Z"));
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.Json()["opted_out"], false);
    // A STOP sent after it, with the sender's current time, wins.
    auto stop_again = Inbound("in-stop-2", "STOP");
    stop_again["timestamp"] = NowEpochMs();
    r = Post(stop_again);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["opted_out"], true);

    r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "suppressed");
    EXPECT_EQ(fake_.RequestCount(), 0);
}

TEST_F(WebhookTest, AStatusReportDatedInTheFutureLandsAtTheTimeReceived) {
    const auto [id, provider_id] = SendOne();
    const std::int64_t before = NowEpochMs();
    ASSERT_EQ(Post(StatusEvent("e-future", "delivered", provider_id, "9000-01-01T00:00:00Z")).status, 200);
    const std::int64_t after = NowEpochMs();
    const auto message = Message(id);
    ASSERT_EQ(message["status"], "delivered");
    const std::int64_t delivered_at = IsoMs(message["delivered_at"]);
    EXPECT_GE(delivered_at, before);
    EXPECT_LE(delivered_at, after);
}

TEST_F(WebhookTest, HindiStopWordsOptOutToo) {
    for (const std::string word : {"बंद करो", "रुकें", "बंद"}) {
        SCOPED_TRACE(word);
        ASSERT_EQ(Post(Inbound("in-" + std::to_string(word.size()) + "-stop", word)).Json()["opted_out"], true);
        const auto r = service_->Post("/send-message", DeliveryReminder());
        EXPECT_EQ(r.Json()["status"], "suppressed") << r.body;
        ASSERT_EQ(Post(Inbound("in-" + std::to_string(word.size()) + "-start", "शुरू")).Json()["opted_out"], false);
    }
    EXPECT_EQ(fake_.RequestCount(), 0);
    // An ordinary reply changes nothing.
    const auto r = Post(Inbound("in-chat", "please stop by at 5"));
    EXPECT_EQ(r.Json()["status"], "applied");
    EXPECT_FALSE(r.Json().contains("opted_out"));
    SendOne();
}

TEST_F(WebhookTest, AMessageQueuedBeforeTheStopIsSuppressedNotSent) {
    ASSERT_EQ(service_->Put("/settings", {{"paused", true}}).status, 200);
    const auto r = service_->Post("/send-message", DeliveryReminder(kCustomer, false));
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id = r.Json()["id"];
    ASSERT_EQ(Post(Inbound("in-stop", "STOP")).status, 200);
    ASSERT_EQ(service_->Put("/settings", {{"paused", false}}).status, 200);
    service_->Post("/process-queue?force=true", nullptr);
    EXPECT_TRUE(service_->WaitForStatus(id, "suppressed"));
    EXPECT_EQ(fake_.RequestCount(), 0);
    EXPECT_EQ(service_->Get("/health").Json()["queue_depth"], 0);
}

TEST(WebhookWithoutSecret, EveryCallIsRefused) {
    Notifyd service(std::map<std::string, std::string>{{"MYOPERATOR_API_SECRET", ""}});
    service.Migrate();
    service.Start();
    for (const std::vector<std::string>& headers :
         {std::vector<std::string>{}, std::vector<std::string>{"X-Webhook-Secret: "},
          std::vector<std::string>{std::string("X-Webhook-Secret: ") + Notifyd::kWebhookSecret}}) {
        const auto r = HttpCall("POST", service.api(kWebhookPath), Inbound("in-1", "STOP").dump(), headers);
        EXPECT_EQ(r.status, 401) << r.body;
    }
}

}  // namespace
}  // namespace notify::testing
