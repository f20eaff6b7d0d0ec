// The runbook's security tests and the bad-input rules: every bad request gets the contract's
// error and changes nothing.
#include <gtest/gtest.h>

#include <regex>

#include "harness.h"

namespace notify::testing {
namespace {

class SecurityTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        fake_dir_ = new TempDir();
        fake_ = new FakeMyOperator(fake_dir_->path());
        fake_->Start();
        service_ = new Notifyd(fake_->ServiceEnv());
        service_->Migrate();
        operator_token_ = new std::string(service_->CreateToken("operator", "backend"));
        viewer_token_ = new std::string(service_->CreateToken("viewer", "support desk"));
        service_->Start();
    }
    static void TearDownTestSuite() {
        delete service_;
        delete fake_;
        delete fake_dir_;
        delete operator_token_;
        delete viewer_token_;
    }

    // Whatever a bad request did, nothing was stored and nothing reached the provider.
    void ExpectNothingChanged() {
        EXPECT_EQ(service_->Get("/statistics").Json()["total"], baseline_total_);
        EXPECT_EQ(fake_->RequestCount(), baseline_sent_);
    }
    void SetUp() override {
        baseline_total_ = service_->Get("/statistics").Json()["total"].get<int>();
        baseline_sent_ = fake_->RequestCount();
    }

    static void ExpectError(const HttpResult& r, long status, const std::string& code, const std::string& field = "") {
        EXPECT_EQ(r.status, status) << r.body;
        const auto body = r.Json();
        ASSERT_TRUE(body.contains("error")) << r.body;
        EXPECT_EQ(body["error"]["code"], code) << r.body;
        EXPECT_TRUE(body["error"]["message"].is_string());
        if (!field.empty()) {
            EXPECT_EQ(body["error"]["field"], field) << r.body;
        }
        EXPECT_EQ(r.headers.at("content-type"), "application/json; charset=utf-8");
    }

    static inline TempDir* fake_dir_ = nullptr;
    static inline FakeMyOperator* fake_ = nullptr;
    static inline Notifyd* service_ = nullptr;
    static inline std::string* operator_token_ = nullptr;
    static inline std::string* viewer_token_ = nullptr;
    int baseline_total_ = 0;
    int baseline_sent_ = 0;
};

TEST_F(SecurityTest, NoTokenIsRefusedWith401) {
    ExpectError(service_->Get("/history", ""), 401, "unauthorized");
    ExpectError(service_->Post("/send-message", DeliveryReminder(), ""), 401, "unauthorized");
    ExpectError(service_->Get("/history", "not-a-real-token"), 401, "unauthorized");
    ExpectError(HttpCall("GET", service_->api("/history"), "", {"Authorization: Basic YWRtaW46YWRtaW4="}), 401,
                "unauthorized");
    ExpectNothingChanged();
}

TEST_F(SecurityTest, ViewerReadsWithMaskedPhonesButCannotSendOrChangeAnything) {
    const auto sent = service_->Post("/send-message", DeliveryReminder(), *operator_token_);
    ASSERT_EQ(sent.status, 200) << sent.body;
    const std::string id = sent.Json()["id"];
    SetUp();

    ExpectError(service_->Post("/send-message", DeliveryReminder(), *viewer_token_), 403, "forbidden");
    ExpectError(service_->Post("/process-queue", nullptr, *viewer_token_), 403, "forbidden");
    ExpectError(service_->Put("/settings", {{"paused", true}}, *viewer_token_), 403, "forbidden");
    ExpectError(service_->Put("/templates/welcome", {{"body", "x"}}, *viewer_token_), 403, "forbidden");
    ExpectNothingChanged();

    const auto history = service_->Get("/history", *viewer_token_);
    ASSERT_EQ(history.status, 200);
    EXPECT_EQ(history.Json()["items"][0]["phone"], "+91******3210");
    EXPECT_EQ(service_->Get("/messages/" + id, *viewer_token_).Json()["phone"], "+91******3210");
    EXPECT_EQ(service_->Get("/statistics", *viewer_token_).status, 200);
    EXPECT_EQ(service_->Get("/templates", *viewer_token_).status, 200);
    EXPECT_EQ(service_->Get("/settings", *viewer_token_).status, 200);
    // The operator sees the full number.
    EXPECT_EQ(service_->Get("/history", *operator_token_).Json()["items"][0]["phone"], "+919876543210");
}

TEST_F(SecurityTest, AViewerSeesNoContextParametersKeyOrNumberOfAMessage) {
    auto body = DeliveryReminder();
    body["context"]["customer_name"] = "Meera Iyer";
    body["context"]["area"] = "Jayanagar";
    body["idempotency_key"] = "viewer-leak-check-1";
    const auto sent = service_->Post("/send-message", body, *operator_token_);
    ASSERT_EQ(sent.status, 200) << sent.body;
    const std::string id = sent.Json()["id"];

    const auto seen = service_->Get("/messages/" + id, *viewer_token_);
    ASSERT_EQ(seen.status, 200) << seen.body;
    const auto message = seen.Json();
    EXPECT_EQ(message["phone"], "+91******3210");
    for (const char* hidden : {"context", "parameters", "idempotency_key"}) {
        EXPECT_FALSE(message.contains(hidden)) << hidden << " in " << seen.body;
    }
    EXPECT_EQ(message["status"], "sent");
    EXPECT_EQ(message["attempt_history"].size(), 1u);
    for (const char* secret : {"9876543210", "Meera", "Iyer", "Jayanagar", "viewer-leak-check"}) {
        EXPECT_EQ(seen.body.find(secret), std::string::npos) << secret << " in " << seen.body;
    }

    // The operator's view is unchanged.
    const auto full = service_->Get("/messages/" + id, *operator_token_).Json();
    EXPECT_EQ(full["phone"], "+919876543210");
    EXPECT_EQ(full["context"]["area"], "Jayanagar");
    EXPECT_EQ(full["idempotency_key"], "viewer-leak-check-1");
    EXPECT_FALSE(full["parameters"].empty());
}

TEST_F(SecurityTest, AViewerMayNotFilterHistoryByPhone) {
    ExpectError(service_->Get("/history?phone=%2B919876543210", *viewer_token_), 403, "forbidden", "phone");
    ExpectError(service_->Get("/history?phone=not-a-number", *viewer_token_), 403, "forbidden", "phone");
    EXPECT_EQ(service_->Get("/history?status=sent", *viewer_token_).status, 200);
    EXPECT_EQ(service_->Get("/history?phone=%2B919876543210", *operator_token_).status, 200);
}

TEST_F(SecurityTest, OperatorCanSendButNotAdminister) {
    ExpectError(service_->Put("/settings", {{"paused", true}}, *operator_token_), 403, "forbidden");
    EXPECT_EQ(service_->Get("/settings").Json()["paused"], false);
}

TEST_F(SecurityTest, InvalidPhoneNumbersAreRefusedGracefully) {
    for (const char* phone : {"12345", "+91 12345", "not-a-phone", "", "+919876543210; DROP TABLE notifications_log",
                              "++919876543210", "98765abcde"}) {
        auto body = DeliveryReminder(phone);
        ExpectError(service_->Post("/send-message", body), 400, "invalid_phone", "phone");
    }
    auto body = DeliveryReminder();
    body["phone"] = 919876543210LL;
    ExpectError(service_->Post("/send-message", body), 400, "invalid_phone", "phone");
    ExpectNothingChanged();
}

TEST_F(SecurityTest, MarkupInTheContextIsKeptAsTextAndEscapedInResponses) {
    auto body = DeliveryReminder();
    body["context"]["customer_name"] = "<script>alert('x')</script>";
    const auto r = service_->Post("/send-message", body);
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string id = r.Json()["id"];
    const auto detail = service_->Get("/messages/" + id);
    EXPECT_EQ(detail.body.find("<script>"), std::string::npos) << detail.body;
    EXPECT_EQ(detail.Json()["context"]["customer_name"], "<script>alert('x')</script>");
    const auto requests = fake_->Requests()["requests"];
    EXPECT_EQ(requests[requests.size() - 1]["body"]["data"]["context"]["body"]["1"], "<script>alert('x')</script>");
}

TEST_F(SecurityTest, SqlInjectionAttemptsFailSafely) {
    auto body = DeliveryReminder();
    body["context"]["customer_name"] = "Robert'); DROP TABLE notifications_log;--";
    const auto r = service_->Post("/send-message", body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(service_->Get("/messages/" + r.Json()["id"].get<std::string>()).Json()["context"]["customer_name"],
              "Robert'); DROP TABLE notifications_log;--");
    SetUp();

    ExpectError(service_->Get("/history?message_type=x'%20OR%20'1'%3D'1"), 400, "unknown_message_type", "message_type");
    ExpectError(service_->Get("/history?status=sent'--"), 400, "invalid_field", "status");
    ExpectError(service_->Get("/history?phone=1'%20OR%201%3D1"), 400, "invalid_phone", "phone");
    ExpectError(service_->Get("/history?cursor=1%20OR%201%3D1"), 400, "invalid_field", "cursor");
    EXPECT_EQ(service_->Get("/messages/x'%20OR%20'1'%3D'1").status, 404);
    auto evil_type = DeliveryReminder();
    evil_type["message_type"] = "welcome'; DELETE FROM notification_templates;--";
    ExpectError(service_->Post("/send-message", evil_type), 400, "unknown_message_type", "message_type");
    EXPECT_EQ(service_->Get("/templates").Json()["count"], 10);
    EXPECT_EQ(service_->Get("/history").status, 200);
    ExpectNothingChanged();
}

TEST_F(SecurityTest, SecretsNeverAppearInLogsOrResponses) {
    // Put each secret where a careless service would echo it.
    HttpCall("GET", service_->api("/history"), "", {std::string("Authorization: Bearer ") + FakeMyOperator::kApiKey});
    HttpCall("POST", service_->api("/webhooks/myoperator?key=") + Notifyd::kWebhookSecret, "{}");
    service_->Post("/send-message", DeliveryReminder());
    const std::string health = HttpCall("GET", service_->api("/health")).body;
    const std::string settings = service_->Get("/settings").body;
    const std::string log = service_->Log();
    for (const std::string& secret : {std::string(FakeMyOperator::kApiKey), std::string(Notifyd::kAdminToken),
                                      std::string(Notifyd::kWebhookSecret), *operator_token_, *viewer_token_}) {
        EXPECT_EQ(log.find(secret), std::string::npos) << "secret in log: " << secret;
        EXPECT_EQ(health.find(secret), std::string::npos);
        EXPECT_EQ(settings.find(secret), std::string::npos);
    }
}

TEST_F(SecurityTest, MalformedBodiesAreRefusedWithTheContractsErrorShape) {
    ExpectError(service_->PostRaw("/send-message", "{not json"), 400, "invalid_json");
    ExpectError(service_->PostRaw("/send-message", "[1,2,3]"), 400, "invalid_body");
    ExpectError(service_->PostRaw("/send-message", "\"text\""), 400, "invalid_body");
    ExpectError(service_->PostRaw("/send-message", ""), 400, "invalid_body");
    auto body = DeliveryReminder();
    body["message_type"] = 7;
    ExpectError(service_->Post("/send-message", body), 400, "invalid_field", "message_type");
    body = DeliveryReminder();
    body["immediate"] = "yes";
    ExpectError(service_->Post("/send-message", body), 400, "invalid_field", "immediate");
    body = DeliveryReminder();
    body["context"] = "customer";
    ExpectError(service_->Post("/send-message", body), 400, "invalid_context", "context");
    body = DeliveryReminder();
    body["context"]["area"] = nlohmann::json::array({"a"});
    ExpectError(service_->Post("/send-message", body), 400, "invalid_context", "context.area");
    body = DeliveryReminder();
    body.erase("phone");
    ExpectError(service_->Post("/send-message", body), 400, "missing_field", "phone");
    ExpectNothingChanged();
}

TEST_F(SecurityTest, UnknownTypeAndMissingContextAreNamed) {
    auto body = DeliveryReminder();
    body["message_type"] = "birthday_greeting";
    ExpectError(service_->Post("/send-message", body), 400, "unknown_message_type", "message_type");
    body = DeliveryReminder();
    body["context"].erase("area");
    const auto r = service_->Post("/send-message", body);
    ExpectError(r, 400, "missing_context", "context.area");
    EXPECT_NE(r.Json()["error"]["message"].get<std::string>().find("area"), std::string::npos);
    ExpectNothingChanged();
}

TEST_F(SecurityTest, UnknownFieldsAreIgnored) {
    auto body = DeliveryReminder();
    body["priority"] = "high";
    body["context"]["unused_variable"] = "x";
    EXPECT_EQ(service_->Post("/send-message", body).status, 200);
}

TEST_F(SecurityTest, BodiesOverOneMebibyteAreRefusedWith413) {
    const std::string huge = "{\"phone\": \"" + std::string(1100 * 1024, '9') + "\"}";
    ExpectError(service_->PostRaw("/send-message", huge), 413, "payload_too_large");
    ExpectNothingChanged();
}

TEST_F(SecurityTest, UnknownPathsAndMethodsAnswerJson) {
    ExpectError(service_->Get("/nope"), 404, "not_found");
    ExpectError(HttpCall("GET", service_->base_url() + "/"), 404, "not_found");
    ExpectError(HttpCall("DELETE", service_->api("/history"), "",
                         {std::string("Authorization: Bearer ") + Notifyd::kAdminToken}),
                405, "method_not_allowed");
    ExpectError(service_->Get("/messages/UNKNOWNID"), 404, "not_found");
    ExpectError(service_->Get("/templates/nope"), 404, "not_found");
}

TEST_F(SecurityTest, BadQueryParametersAreNamed) {
    ExpectError(service_->Get("/history?limit=0"), 400, "invalid_field", "limit");
    ExpectError(service_->Get("/history?limit=201"), 400, "invalid_field", "limit");
    ExpectError(service_->Get("/history?limit=ten"), 400, "invalid_field", "limit");
    ExpectError(service_->Get("/history?since=yesterday"), 400, "invalid_field", "since");
    ExpectError(service_->Get("/statistics?until=2026-13-01"), 400, "invalid_field", "until");
    ExpectError(service_->Post("/process-queue?force=maybe", nullptr), 400, "invalid_field", "force");
}

}  // namespace
}  // namespace notify::testing
