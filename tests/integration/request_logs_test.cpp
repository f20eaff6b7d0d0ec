// Request ids, the access log and JSON log lines, as a client and an operator see them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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

}  // namespace
}  // namespace notify::testing
