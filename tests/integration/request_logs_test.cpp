// Request ids, the access log and JSON log lines, as a client and an operator see them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace notify::testing {
namespace {

std::string RequestIdOf(const HttpResult& result) {
    const auto it = result.headers.find("x-request-id");
    return it == result.headers.end() ? "" : it->second;
}

TEST(RequestLogs, RequestIdIsEchoedOrMadeAndEveryJsonLogLineParses) {
    Notifyd service({{"LOG_FORMAT", "json"}, {"ACCESS_LOG", "on"}, {"LOG_LEVEL", "info"}});
    service.Migrate();
    service.Start();

    const auto echoed = HttpCall("GET", service.api("/health"), "", {"X-Request-Id: client-req.42_a"});
    EXPECT_EQ(echoed.status, 200);
    EXPECT_EQ(RequestIdOf(echoed), "client-req.42_a");

    const auto replaced = HttpCall("GET", service.api("/health"), "", {"X-Request-Id: not acceptable!"});
    const std::string made = RequestIdOf(replaced);
    EXPECT_EQ(made.size(), 16u) << made;

    // An error answer carries one too, and the query string (here a phone number) stays out of the log.
    const auto refused = HttpCall("GET", service.api("/history?phone=%2B919812345678"), "",
                                  {"Authorization: Bearer wrong-token-0123456789"});
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(RequestIdOf(refused).size(), 16u);
    ASSERT_EQ(service.Stop(), 0);

    std::istringstream lines(service.Log());
    int count = 0;
    bool access_line = false;
    for (std::string line; std::getline(lines, line);) {
        ++count;
        nlohmann::json parsed;
        ASSERT_NO_THROW(parsed = nlohmann::json::parse(line)) << line;
        EXPECT_TRUE(parsed["time"].is_string()) << line;
        EXPECT_TRUE(parsed["level"].is_string()) << line;
        const std::string message = parsed["message"];
        if (message.find("request_id=client-req.42_a") != std::string::npos) {
            access_line = true;
            EXPECT_NE(message.find("GET /api/notifications/health 200"), std::string::npos) << message;
        }
        EXPECT_EQ(line.find("919812345678"), std::string::npos) << line;
        EXPECT_EQ(line.find("wrong-token-0123456789"), std::string::npos) << line;
    }
    EXPECT_GT(count, 3);
    EXPECT_TRUE(access_line) << service.Log();
}

// One line of the service's log, JSON or text ("TIME LEVEL [req=ID] MESSAGE").
struct LogLine {
    std::string level;
    std::optional<std::string> request_id;
    std::string message;
    std::string raw;
};

std::vector<LogLine> ParseLog(const std::string& log, bool json) {
    std::vector<LogLine> lines;
    std::istringstream in(log);
    for (std::string raw; std::getline(in, raw);) {
        LogLine line;
        line.raw = raw;
        if (json) {
            nlohmann::json parsed;
            try {
                parsed = nlohmann::json::parse(raw);
            } catch (const std::exception&) {
                ADD_FAILURE() << "not JSON: " << raw;
                continue;
            }
            line.level = parsed.value("level", "");
            if (parsed.contains("request_id")) line.request_id = parsed["request_id"].get<std::string>();
            line.message = parsed.value("message", "");
        } else {
            const auto time_end = raw.find(' ');
            const auto level_end = time_end == std::string::npos ? time_end : raw.find(' ', time_end + 1);
            if (level_end == std::string::npos) {
                ADD_FAILURE() << "not TIME LEVEL MESSAGE: " << raw;
                continue;
            }
            line.level = raw.substr(time_end + 1, level_end - time_end - 1);
            std::string rest = raw.substr(level_end + 1);
            if (rest.starts_with("[req=")) {
                const auto close = rest.find("] ");
                if (close == std::string::npos) {
                    ADD_FAILURE() << "unclosed [req=: " << raw;
                    continue;
                }
                line.request_id = rest.substr(5, close - 5);
                rest = rest.substr(close + 2);
            }
            line.message = rest;
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

// The lines whose message contains `text`.
std::vector<LogLine> LinesWith(const std::vector<LogLine>& lines, const std::string& text) {
    std::vector<LogLine> found;
    for (const auto& line : lines) {
        if (line.message.find(text) != std::string::npos) found.push_back(line);
    }
    return found;
}

// Every line in `lines` (at least one) carries `request_id`.
void ExpectAllCarry(const std::vector<LogLine>& lines, const std::string& request_id, const std::string& what) {
    EXPECT_FALSE(lines.empty()) << "no line for " << what;
    for (const auto& line : lines) {
        EXPECT_EQ(line.request_id.value_or("(none)"), request_id) << what << ": " << line.raw;
    }
}

class RequestLogsFormats : public ::testing::TestWithParam<const char*> {};

// A send that the provider refuses logs inside its request (the provider call at debug, the failure at
// error, on a handler thread): those lines carry the same id as the access line and X-Request-Id, the
// client's own or one made for it. The processor's lines, outside any request, carry none.
TEST_P(RequestLogsFormats, LinesWrittenWhileHandlingARequestCarryItsId) {
    const bool json = std::string(GetParam()) == "json";
    TempDir fake_dir;
    FakeMyOperator fake(fake_dir.path());
    fake.Start();
    Notifyd service(fake.ServiceEnv({{"LOG_FORMAT", GetParam()},
                                     {"ACCESS_LOG", "on"},
                                     {"LOG_LEVEL", "debug"},
                                     {"PROVIDER_TIMEOUT_MS", "2000"},
                                     {"PROCESSOR_IDLE_POLL_MS", "100"}}));
    service.Migrate();
    service.Start();
    fake.SetMode({{"mode", "error400"}});

    const std::vector<std::string> auth = {"Content-Type: application/json",
                                           std::string("Authorization: Bearer ") + Notifyd::kAdminToken};
    auto with_id = auth;
    with_id.push_back("X-Request-Id: logs-send-1");
    const auto own = HttpCall("POST", service.api("/send-message"), DeliveryReminder("+919876543210").dump(), with_id);
    ASSERT_EQ(own.status, 200) << own.body;
    EXPECT_EQ(own.Json()["status"], "failed");
    EXPECT_EQ(RequestIdOf(own), "logs-send-1");
    const std::string own_message = own.Json()["id"];

    const auto made = HttpCall("POST", service.api("/send-message"), DeliveryReminder("+919812345678").dump(), auth);
    ASSERT_EQ(made.status, 200) << made.body;
    const std::string made_id = RequestIdOf(made);
    EXPECT_EQ(made_id.size(), 16u) << made_id;
    const std::string made_message = made.Json()["id"];

    // Queued: the processor sends it on its own thread, for no request.
    fake.SetMode({{"mode", "ok"}});
    auto queued_headers = auth;
    queued_headers.push_back("X-Request-Id: logs-queued-1");
    const auto queued =
        HttpCall("POST", service.api("/send-message"), DeliveryReminder("+919811122233", false).dump(), queued_headers);
    ASSERT_EQ(queued.status, 202) << queued.body;
    const std::string queued_message = queued.Json()["id"];
    ASSERT_TRUE(service.WaitForStatus(queued_message, "sent"));
    ASSERT_EQ(service.Stop(), 0);

    const auto lines = ParseLog(service.Log(), json);
    for (const auto& [message_id, request_id] :
         {std::pair{own_message, std::string("logs-send-1")}, std::pair{made_message, made_id}}) {
        const auto provider = LinesWith(lines, "myoperator send id=" + message_id);
        ExpectAllCarry(provider, request_id, "the provider call");
        for (const auto& line : provider) EXPECT_EQ(line.level, "debug") << line.raw;
        const auto failed = LinesWith(lines, "message " + message_id + " failed");
        ExpectAllCarry(failed, request_id, "the failure");
        for (const auto& line : failed) EXPECT_EQ(line.level, "error") << line.raw;
        const auto access = LinesWith(lines, "access POST /api/notifications/send-message 200 ");
        ExpectAllCarry(LinesWith(access, "request_id=" + request_id), request_id, "the access line");
    }
    ExpectAllCarry(LinesWith(lines, "access POST /api/notifications/send-message 202 "), "logs-queued-1",
                   "the queued send's access line");
    const auto sent = LinesWith(lines, "message " + queued_message + " sent");
    ASSERT_FALSE(sent.empty()) << service.Log();
    for (const auto& line : sent) EXPECT_FALSE(line.request_id) << line.raw;
    for (const auto& line : LinesWith(lines, "listening on http://")) EXPECT_FALSE(line.request_id) << line.raw;
}

INSTANTIATE_TEST_SUITE_P(RequestLogs, RequestLogsFormats, ::testing::Values("json", "text"));

// With LOG_LEVEL=debug and ACCESS_LOG=on a request has one line of its own, the access line (at info);
// with ACCESS_LOG off, LOG_LEVEL=debug still gives that line, at debug.
TEST(RequestLogs, DebugLevelWritesOneLinePerRequestWithOrWithoutTheAccessLog) {
    for (const char* access_log : {"on", "off"}) {
        Notifyd service({{"LOG_FORMAT", "json"}, {"ACCESS_LOG", access_log}, {"LOG_LEVEL", "debug"}});
        service.Migrate();
        service.Start();
        const auto health = HttpCall("GET", service.api("/health"), "", {"X-Request-Id: one-line-check"});
        EXPECT_EQ(health.status, 200);
        ASSERT_EQ(service.Stop(), 0);
        const auto lines = ParseLog(service.Log(), true);
        std::vector<LogLine> mine;
        for (const auto& line : lines) {
            if (line.request_id == "one-line-check") mine.push_back(line);
        }
        ASSERT_EQ(mine.size(), 1u) << access_log << "\n" << service.Log();
        EXPECT_EQ(mine[0].message.rfind("access GET /api/notifications/health 200 ", 0), 0u) << mine[0].raw;
        EXPECT_EQ(mine[0].level, std::string(access_log) == "on" ? "info" : "debug") << mine[0].raw;
    }
}

// Messages to several numbers (sent at once, queued, refused by the provider, to one who opted out),
// and a customer's reply: no full number appears anywhere in the log; where a number is logged it is
// masked (+91******3210).
TEST(RequestLogs, NoFullPhoneNumberAppearsInTheLog) {
    for (const char* format : {"json", "text"}) {
        TempDir fake_dir;
        FakeMyOperator fake(fake_dir.path());
        fake.Start();
        Notifyd service(fake.ServiceEnv({{"LOG_FORMAT", format},
                                         {"ACCESS_LOG", "on"},
                                         {"LOG_LEVEL", "debug"},
                                         {"PROVIDER_TIMEOUT_MS", "2000"},
                                         {"PROCESSOR_IDLE_POLL_MS", "100"}}));
        service.Migrate();
        service.Start();
        // national number -> E.164
        const std::vector<std::pair<std::string, std::string>> numbers = {
            {"9876543210", "+919876543210"}, {"9812345678", "+919812345678"}, {"9811122233", "+919811122233"}};

        EXPECT_EQ(service.Post("/send-message", DeliveryReminder(numbers[0].second)).status, 200);
        const auto queued = service.Post("/send-message", DeliveryReminder(numbers[1].second, false));
        ASSERT_EQ(queued.status, 202) << queued.body;
        EXPECT_TRUE(service.WaitForStatus(queued.Json()["id"], "sent"));
        fake.SetMode({{"mode", "error400"}, {"fail_next", 1}});
        EXPECT_EQ(service.Post("/send-message", DeliveryReminder(numbers[2].second)).status, 200);

        // The customer at the first number replies STOP; a queued send to them is then suppressed
        // (logged from the store's commit thread, under the request's id).
        const nlohmann::json stop = {
            {"event_id", "in-stop-1"},
            {"company_id", "company-42"},
            {"event_type", "message.received"},
            {"timestamp", "2026-06-26T02:10:56Z"},
            {"channel", "whatsapp"},
            {"direction", "incoming"},
            {"customer_identifier", "91" + numbers[0].first},
            {"payload",
             {{"id", "in-1"}, {"status", "received"}, {"data", {{"type", "text"}, {"context", {{"body", "STOP"}}}}}}}};
        const auto webhook =
            HttpCall("POST", service.api("/webhooks/myoperator"), stop.dump(),
                     {"Content-Type: application/json", std::string("X-Webhook-Secret: ") + Notifyd::kWebhookSecret});
        ASSERT_EQ(webhook.status, 200) << webhook.body;
        auto headers = std::vector<std::string>{"Content-Type: application/json",
                                                std::string("Authorization: Bearer ") + Notifyd::kAdminToken,
                                                "X-Request-Id: suppressed-send"};
        const auto suppressed =
            HttpCall("POST", service.api("/send-message"), DeliveryReminder(numbers[0].second, false).dump(), headers);
        ASSERT_EQ(suppressed.status, 200) << suppressed.body;
        EXPECT_EQ(suppressed.Json()["status"], "suppressed");
        ASSERT_EQ(service.Stop(), 0);

        const std::string log = service.Log();
        for (const auto& [national, e164] : numbers) {
            EXPECT_EQ(log.find(national), std::string::npos) << national << " in\n" << log;
            EXPECT_NE(log.find("+91******" + national.substr(6)), std::string::npos) << national << " in\n" << log;
        }
        const auto lines = ParseLog(log, std::string(format) == "json");
        ExpectAllCarry(LinesWith(lines, "suppressed: the recipient opted out"), "suppressed-send",
                       "the suppression logged on the commit thread");
        ASSERT_FALSE(LinesWith(lines, "reply from +91******3210").empty()) << log;
    }
}

}  // namespace
}  // namespace notify::testing
