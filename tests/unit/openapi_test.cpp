// docs/openapi.json, as compiled into the binary, against the routes the real RegisterApiRoutes
// registers: the document must describe exactly the API the router serves, with the same roles.
#include "api/openapi.h"

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "api/api_context.h"
#include "business/business_service.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/auth.h"
#include "http/router.h"
#include "metrics/service_metrics.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "queue/send_service.h"
#include "support/queue_fixtures.h"
#include "support/scripted_provider.h"
#include "support/temp_sqlite_store.h"

namespace notify {
namespace {

using nlohmann::json;
using RouteSet = std::set<std::pair<std::string, std::string>>;

const std::set<std::string> kHttpMethods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string Upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

// The real objects RunServe wires, over a migrated SQLite store in a temporary directory.
class OpenApi : public ::testing::Test {
protected:
    OpenApi()
        : dispatcher_(*store_, provider_, clock_, random_, RetryPolicy{3, 1000, 8000}, ThroughputOptions{}),
          processor_(*store_, dispatcher_, clock_, test_support::TestProcessorOptions(1, 60000)),
          sender_(*store_, dispatcher_, processor_, clock_, random_),
          business_(*store_, processor_, clock_, random_, "IN"),
          auth_(*store_, clock_, std::string("openapi-test-admin-token-0123456789")),
          router_(auth_),
          ctx_{.store = *store_,
               .dispatcher = dispatcher_,
               .processor = processor_,
               .sender = sender_,
               .business = business_,
               .provider = provider_,
               .clock = clock_,
               .auth = auth_,
               .default_region = "IN",
               .started_at = clock_.NowMs(),
               .webhook_secret = std::string("openapi-test-webhook-secret"),
               .metrics = metrics_,
               .metrics_token = std::nullopt} {
        RegisterApiRoutes(router_, ctx_);
    }

    static json Document() { return json::parse(OpenApiDocument()); }

    test_support::TempSqliteStore store_{"notifyd-openapi"};
    ManualClock clock_{test_support::kStart};
    SeededRandom random_{7};
    test_support::ScriptedProvider provider_;
    metrics::ServiceMetrics metrics_;
    Dispatcher dispatcher_;
    QueueProcessor processor_;
    SendService sender_;
    BusinessService business_;
    Authenticator auth_;
    Router router_;
    ApiContext ctx_;
};

TEST_F(OpenApi, DocumentIsJsonOfOpenApi310) {
    const json document = json::parse(OpenApiDocument(), nullptr, false);
    ASSERT_FALSE(document.is_discarded());
    ASSERT_TRUE(document.is_object());
    EXPECT_EQ(document.value("openapi", ""), "3.1.0");
    EXPECT_EQ(document["info"].value("version", ""), NOTIFY_VERSION);
    EXPECT_EQ(document["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
    EXPECT_TRUE(document["components"]["schemas"].contains("Error"));
    EXPECT_TRUE(document["components"]["schemas"].contains("Message"));
}

TEST_F(OpenApi, DocumentPathsAreExactlyTheRoutersRoutes) {
    const json document = Document();
    RouteSet documented;
    for (const auto& [path, item] : document["paths"].items()) {
        for (const auto& [method, operation] : item.items()) {
            if (kHttpMethods.contains(method)) documented.emplace(Upper(method), path);
        }
    }
    const auto routes = router_.Routes();
    const RouteSet registered(routes.begin(), routes.end());
    EXPECT_EQ(registered.size(), routes.size()) << "a route is registered twice";
    EXPECT_EQ(documented, registered);
}

TEST_F(OpenApi, EveryOperationHasResponsesAndTheRoutersMinimumRole) {
    const json document = Document();
    for (const auto& [path, item] : document["paths"].items()) {
        for (const auto& [method, operation] : item.items()) {
            if (!kHttpMethods.contains(method)) continue;
            SCOPED_TRACE(method + " " + path);
            ASSERT_TRUE(operation.contains("responses"));
            EXPECT_FALSE(operation["responses"].empty());
            ASSERT_TRUE(operation.contains("x-minimum-role"));
            const std::optional<Role> role = router_.MinimumRole(Upper(method), path);
            EXPECT_EQ(operation["x-minimum-role"], role ? std::string(ToString(*role)) : std::string("none"));
        }
    }
}

TEST_F(OpenApi, TheDocumentIsServedWithoutATokenOnTheIoThread) {
    HttpRequest request;
    request.method = "GET";
    request.path = std::string(kApiPrefix) + "/openapi.json";
    request.target = request.path;
    const HeaderVerdict verdict = router_.Admit(request);
    EXPECT_FALSE(verdict.reject.has_value());
    EXPECT_TRUE(verdict.run_inline);
    const HttpResponse response = router_.Handle(request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
    EXPECT_EQ(response.body, OpenApiDocument());
}

}  // namespace
}  // namespace notify
