#include "http/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "common/errors.h"
#include "fake_token_store.h"

namespace notify {
namespace {

using nlohmann::json;
using ::testing::_;
using ::testing::NiceMock;
using ::testing::Return;
using testing_fakes::MockTokenLookup;

const std::string kAdminToken = "router-admin-token-0123456789";
const std::string kOperatorToken = "nfy_router_operator";
const std::string kViewerToken = "nfy_router_viewer";

HttpRequest Request(std::string method, std::string path, std::optional<std::string> token = std::nullopt) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.target = request.path;
    if (token) request.headers["authorization"] = "Bearer " + *token;
    return request;
}

HttpResponse Text(std::string body) {
    HttpResponse response;
    response.content_type = "text/plain";
    response.body = std::move(body);
    return response;
}

std::optional<std::string> HeaderOf(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
        if (key == name) return value;
    }
    return std::nullopt;
}

// The contract's error shape: {"error": {"code", "message", "field"?}} and nothing else.
void ExpectErrorBody(const HttpResponse& response, int status, const std::string& code) {
    EXPECT_EQ(response.status, status);
    EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
    const json body = json::parse(response.body);
    ASSERT_TRUE(body.is_object()) << response.body;
    EXPECT_EQ(body.size(), 1u) << response.body;
    ASSERT_TRUE(body.contains("error")) << response.body;
    EXPECT_EQ(body["error"].value("code", ""), code) << response.body;
    EXPECT_TRUE(body["error"].contains("message")) << response.body;
    EXPECT_TRUE(body["error"]["message"].is_string()) << response.body;
}

class RouterTest : public ::testing::Test {
protected:
    RouterTest() : auth_(store_, clock_, kAdminToken), router_(auth_) {
        ON_CALL(store_, FindTokenByHash(_)).WillByDefault(Return(std::nullopt));
        ON_CALL(store_, FindTokenByHash(HashToken(kOperatorToken)))
            .WillByDefault(
                Return(ApiToken{"backend", Role::kOperator, HashToken(kOperatorToken), 0, std::nullopt, std::nullopt}));
        ON_CALL(store_, FindTokenByHash(HashToken(kViewerToken)))
            .WillByDefault(
                Return(ApiToken{"dashboard", Role::kViewer, HashToken(kViewerToken), 0, std::nullopt, std::nullopt}));
    }

    // A route that throws `make()`'s exception.
    template <typename Exception>
    void AddThrowing(const std::string& path, Exception exception) {
        router_.Add("GET", path, std::nullopt,
                    [exception](HttpRequest&, const RequestContext&) -> HttpResponse { throw exception; });
    }

    NiceMock<MockTokenLookup> store_;
    ManualClock clock_{1'700'000'000'000};
    Authenticator auth_;
    Router router_;
};

// ---------------------------------------------------------------------------------------------
// Matching

TEST_F(RouterTest, RunsTheHandlerOfAnExactPath) {
    router_.Add("GET", "/api/notifications/health", std::nullopt,
                [](HttpRequest&, const RequestContext&) { return Text("healthy"); });
    auto request = Request("GET", "/api/notifications/health");
    const HttpResponse response = router_.Handle(request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "healthy");
}

TEST_F(RouterTest, CapturesPathParameters) {
    std::map<std::string, std::string> seen;
    router_.Add("GET", "/api/notifications/templates/{name}", std::nullopt,
                [&](HttpRequest& request, const RequestContext&) {
                    seen = request.path_params;
                    return Text("ok");
                });
    auto request = Request("GET", "/api/notifications/templates/welcome");
    EXPECT_EQ(router_.Handle(request).status, 200);
    EXPECT_EQ(seen, (std::map<std::string, std::string>{{"name", "welcome"}}));
    EXPECT_EQ(request.path_params.at("name"), "welcome");
}

TEST_F(RouterTest, CapturesSeveralParameters) {
    std::map<std::string, std::string> seen;
    router_.Add("POST", "/a/{first}/b/{second}", std::nullopt, [&](HttpRequest& request, const RequestContext&) {
        seen = request.path_params;
        return Text("ok");
    });
    auto request = Request("POST", "/a/1/b/two");
    EXPECT_EQ(router_.Handle(request).status, 200);
    EXPECT_EQ(seen, (std::map<std::string, std::string>{{"first", "1"}, {"second", "two"}}));
}

TEST_F(RouterTest, RoutesListsEveryRouteAsMethodAndPatternInRegistrationOrder) {
    const auto ok = [](HttpRequest&, const RequestContext&) { return Text("ok"); };
    router_.Add("GET", "/api/notifications/templates/{name}", Role::kViewer, ok);
    router_.Add("PUT", "/api/notifications/templates/{name}/", Role::kAdmin, ok);  // trailing slash dropped
    router_.AddAsync("POST", "/send", Role::kOperator, [](HttpRequest&, const RequestContext&, const Reply&) {});
    router_.Add("GET", "/", std::nullopt, ok);
    using Pair = std::pair<std::string, std::string>;
    EXPECT_EQ(router_.Routes(), (std::vector<Pair>{{"GET", "/api/notifications/templates/{name}"},
                                                   {"PUT", "/api/notifications/templates/{name}"},
                                                   {"POST", "/send"},
                                                   {"GET", "/"}}));
    EXPECT_EQ(router_.MinimumRole("PUT", "/api/notifications/templates/{name}"), Role::kAdmin);
    EXPECT_EQ(router_.MinimumRole("GET", "/"), std::nullopt);
    EXPECT_THROW(router_.MinimumRole("DELETE", "/send"), std::logic_error);
}

TEST_F(RouterTest, RoutesOfAnEmptyRouterIsEmpty) { EXPECT_TRUE(router_.Routes().empty()); }

TEST_F(RouterTest, ParameterMatchesExactlyOneSegment) {
    router_.Add("GET", "/messages/{id}", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text("ok"); });
    auto deeper = Request("GET", "/messages/1/extra");
    ExpectErrorBody(router_.Handle(deeper), 404, "not_found");
    auto shallower = Request("GET", "/messages");
    ExpectErrorBody(router_.Handle(shallower), 404, "not_found");
}

TEST_F(RouterTest, IgnoresATrailingSlash) {
    router_.Add("GET", "/api/notifications/settings", std::nullopt,
                [](HttpRequest&, const RequestContext&) { return Text("settings"); });
    auto request = Request("GET", "/api/notifications/settings/");
    EXPECT_EQ(router_.Handle(request).body, "settings");
}

TEST_F(RouterTest, FirstMatchingRouteWins) {
    router_.Add("POST", "/messages/{id}/retry", std::nullopt,
                [](HttpRequest&, const RequestContext&) { return Text("retry"); });
    router_.Add("POST", "/messages/{id}/{action}", std::nullopt,
                [](HttpRequest&, const RequestContext&) { return Text("generic"); });
    auto request = Request("POST", "/messages/42/retry");
    EXPECT_EQ(router_.Handle(request).body, "retry");
    auto other = Request("POST", "/messages/42/cancel");
    EXPECT_EQ(router_.Handle(other).body, "generic");
}

TEST_F(RouterTest, FindsTheRouteForTheMethodAmongSeveralOnOnePath) {
    router_.Add("GET", "/settings", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text("get"); });
    router_.Add("PUT", "/settings", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text("put"); });
    auto get = Request("GET", "/settings");
    auto put = Request("PUT", "/settings");
    EXPECT_EQ(router_.Handle(get).body, "get");
    EXPECT_EQ(router_.Handle(put).body, "put");
}

TEST_F(RouterTest, UnknownPathIsA404JsonError) {
    router_.Add("GET", "/api/notifications/health", std::nullopt,
                [](HttpRequest&, const RequestContext&) { return Text("ok"); });
    auto request = Request("GET", "/api/notifications/nope");
    const HttpResponse response = router_.Handle(request);
    ExpectErrorBody(response, 404, "not_found");
    EXPECT_FALSE(json::parse(response.body)["error"].contains("field"));
}

TEST_F(RouterTest, UnknownPathIsA404EvenWithNoRoutes) {
    auto request = Request("GET", "/");
    ExpectErrorBody(router_.Handle(request), 404, "not_found");
}

TEST_F(RouterTest, PathWithMarkupIsEscapedInThe404Body) {
    auto request = Request("GET", "/<script>alert(1)</script>");
    const HttpResponse response = router_.Handle(request);
    ExpectErrorBody(response, 404, "not_found");
    EXPECT_EQ(response.body.find('<'), std::string::npos) << response.body;
}

TEST_F(RouterTest, WrongMethodIsA405WithAllowHeader) {
    router_.Add("GET", "/templates/{name}", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text(""); });
    router_.Add("PUT", "/templates/{name}", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text(""); });
    auto request = Request("DELETE", "/templates/welcome");
    const HttpResponse response = router_.Handle(request);
    ExpectErrorBody(response, 405, "method_not_allowed");
    EXPECT_EQ(HeaderOf(response, "Allow"), "GET, PUT");
}

TEST_F(RouterTest, WrongMethodIsA405BeforeAuthentication) {
    router_.Add("POST", "/send-message", Role::kOperator, [](HttpRequest&, const RequestContext&) { return Text(""); });
    auto request = Request("GET", "/send-message");
    const HttpResponse response = router_.Handle(request);
    ExpectErrorBody(response, 405, "method_not_allowed");
    EXPECT_EQ(HeaderOf(response, "Allow"), "POST");
}

TEST_F(RouterTest, HeadMatchesGet) {
    int calls = 0;
    router_.Add("GET", "/health", std::nullopt, [&](HttpRequest& request, const RequestContext&) {
        ++calls;
        EXPECT_EQ(request.method, "HEAD");
        return Text("ok");
    });
    auto request = Request("HEAD", "/health");
    EXPECT_EQ(router_.Handle(request).status, 200);
    EXPECT_EQ(calls, 1);
}

TEST_F(RouterTest, HeadDoesNotMatchPost) {
    router_.Add("POST", "/process-queue", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text(""); });
    auto request = Request("HEAD", "/process-queue");
    ExpectErrorBody(router_.Handle(request), 405, "method_not_allowed");
}

// ---------------------------------------------------------------------------------------------
// Roles

TEST_F(RouterTest, PublicRouteNeedsNoToken) {
    RequestContext seen;
    router_.Add("GET", "/health", std::nullopt, [&](HttpRequest&, const RequestContext& context) {
        seen = context;
        return Text("ok");
    });
    auto request = Request("GET", "/health");
    EXPECT_EQ(router_.Handle(request).status, 200);
    EXPECT_FALSE(seen.principal);
    EXPECT_FALSE(seen.IsViewerOnly());
}

TEST_F(RouterTest, MissingTokenIs401AndTheHandlerDoesNotRun) {
    bool ran = false;
    router_.Add("GET", "/history", Role::kViewer, [&](HttpRequest&, const RequestContext&) {
        ran = true;
        return Text("");
    });
    auto request = Request("GET", "/history");
    ExpectErrorBody(router_.Handle(request), 401, "unauthorized");
    EXPECT_FALSE(ran);
}

TEST_F(RouterTest, ARefusedRequestKeepsTheRouteItMatchedButNoRouteToRun) {
    router_.Add("GET", "/health", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text(""); });
    router_.Add("GET", "/history", Role::kViewer, [](HttpRequest&, const RequestContext&) { return Text(""); });
    auto request = Request("GET", "/history");
    EXPECT_TRUE(router_.Admit(request).reject);
    EXPECT_EQ(request.matched_route, 1u);  // what metrics count it under
    EXPECT_FALSE(request.route_index);     // so Handle() would admit it again, not run it
    auto unknown = Request("GET", "/nowhere");
    EXPECT_TRUE(router_.Admit(unknown).reject);
    EXPECT_FALSE(unknown.matched_route);
}

TEST_F(RouterTest, RoutePatternsAreTheRegisteredPatternsByIndex) {
    router_.Add("GET", "/api/notifications/messages/{id}", std::nullopt,
                [](HttpRequest&, const RequestContext&) { return Text(""); });
    router_.Add("GET", "/metrics/", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text(""); });
    EXPECT_EQ(router_.RoutePatterns(), (std::vector<std::string>{"/api/notifications/messages/{id}", "/metrics"}));
    auto request = Request("GET", "/api/notifications/messages/msg_123");
    EXPECT_FALSE(router_.Admit(request).reject);
    EXPECT_EQ(request.matched_route, 0u);
    EXPECT_EQ(request.route_index, 0u);
}

TEST_F(RouterTest, WrongTokenIs401) {
    router_.Add("GET", "/history", Role::kViewer, [](HttpRequest&, const RequestContext&) { return Text(""); });
    auto request = Request("GET", "/history", "nfy_who_is_this");
    ExpectErrorBody(router_.Handle(request), 401, "unauthorized");
}

TEST_F(RouterTest, RoleTooLowIs403AndTheHandlerDoesNotRun) {
    bool ran = false;
    router_.Add("POST", "/send-message", Role::kOperator, [&](HttpRequest&, const RequestContext&) {
        ran = true;
        return Text("");
    });
    auto request = Request("POST", "/send-message", kViewerToken);
    ExpectErrorBody(router_.Handle(request), 403, "forbidden");
    EXPECT_FALSE(ran);
}

TEST_F(RouterTest, OperatorCannotUseAnAdminRoute) {
    router_.Add("PUT", "/settings", Role::kAdmin, [](HttpRequest&, const RequestContext&) { return Text(""); });
    auto request = Request("PUT", "/settings", kOperatorToken);
    ExpectErrorBody(router_.Handle(request), 403, "forbidden");
}

TEST_F(RouterTest, SufficientRoleRunsTheHandlerWithThePrincipal) {
    RequestContext seen;
    router_.Add("GET", "/history", Role::kViewer, [&](HttpRequest&, const RequestContext& context) {
        seen = context;
        return Text("ok");
    });
    auto viewer = Request("GET", "/history", kViewerToken);
    EXPECT_EQ(router_.Handle(viewer).status, 200);
    ASSERT_TRUE(seen.principal);
    EXPECT_EQ(seen.principal->name, "dashboard");
    EXPECT_TRUE(seen.IsViewerOnly());

    auto admin = Request("GET", "/history", kAdminToken);
    EXPECT_EQ(router_.Handle(admin).status, 200);
    ASSERT_TRUE(seen.principal);
    EXPECT_EQ(seen.principal->role, Role::kAdmin);
    EXPECT_FALSE(seen.IsViewerOnly());
}

TEST_F(RouterTest, StoreOutageDuringAuthenticationIs503) {
    ON_CALL(store_, FindTokenByHash(_)).WillByDefault(::testing::Throw(StoreUnavailable("disk gone")));
    router_.Add("GET", "/history", Role::kViewer, [](HttpRequest&, const RequestContext&) { return Text(""); });
    auto request = Request("GET", "/history", kViewerToken);
    ExpectErrorBody(router_.Handle(request), 503, "store_unavailable");
}

// ---------------------------------------------------------------------------------------------
// Exceptions from handlers

TEST_F(RouterTest, InvalidInputIs400WithTheField) {
    AddThrowing("/x", InvalidInput("invalid_phone", "not a valid phone number", "phone"));
    auto request = Request("GET", "/x");
    const HttpResponse response = router_.Handle(request);
    ExpectErrorBody(response, 400, "invalid_phone");
    const json body = json::parse(response.body);
    EXPECT_EQ(body["error"]["field"], "phone");
    EXPECT_EQ(body["error"]["message"], "not a valid phone number");
}

TEST_F(RouterTest, ErrorKindsMapToTheirStatus) {
    const std::pair<ErrorKind, int> table[] = {
        {ErrorKind::kInvalidInput, 400},    {ErrorKind::kUnauthorized, 401},     {ErrorKind::kForbidden, 403},
        {ErrorKind::kNotFound, 404},        {ErrorKind::kMethodNotAllowed, 405}, {ErrorKind::kConflict, 409},
        {ErrorKind::kPayloadTooLarge, 413}, {ErrorKind::kTooManyRequests, 429},  {ErrorKind::kUnavailable, 503},
    };
    int i = 0;
    for (const auto& [kind, status] : table) {
        const std::string path = "/kind/" + std::to_string(i++);
        AddThrowing(path, Error(kind, "some_code", "some message"));
        auto request = Request("GET", path);
        // Every 503 says store_unavailable, whatever the thrower called it (its text is for the log).
        ExpectErrorBody(router_.Handle(request), status,
                        kind == ErrorKind::kUnavailable ? "store_unavailable" : "some_code");
    }
}

TEST_F(RouterTest, StoreUnavailableIs503) {
    AddThrowing("/x", StoreUnavailable("database is locked"));
    auto request = Request("GET", "/x");
    ExpectErrorBody(router_.Handle(request), 503, "store_unavailable");
}

TEST_F(RouterTest, UnexpectedExceptionIs500InternalWithoutItsText) {
    AddThrowing("/x", std::runtime_error("secret detail: key=abc123"));
    auto request = Request("GET", "/x");
    const HttpResponse response = router_.Handle(request);
    ExpectErrorBody(response, 500, "internal");
    EXPECT_EQ(response.body.find("abc123"), std::string::npos) << response.body;
}

TEST_F(RouterTest, NonStandardExceptionIs500Internal) {
    AddThrowing("/x", 42);
    auto request = Request("GET", "/x");
    ExpectErrorBody(router_.Handle(request), 500, "internal");
}

TEST_F(RouterTest, MalformedJsonInAHandlerIs400) {
    router_.Add("POST", "/x", std::nullopt, [](HttpRequest& request, const RequestContext&) -> HttpResponse {
        return Text(json::parse(request.body).dump());
    });
    auto request = Request("POST", "/x");
    request.body = "{\"phone\": ";
    ExpectErrorBody(router_.Handle(request), 400, "invalid_json");
}

// ---------------------------------------------------------------------------------------------
// Header stage (Admit): decided before any body byte is read

TEST_F(RouterTest, AdmitRefusesUnknownPathWrongMethodMissingTokenAndLowRole) {
    router_.Add("POST", "/send", Role::kOperator, [](HttpRequest&, const RequestContext&) { return Text("sent"); });
    auto unknown = Request("POST", "/nowhere", kAdminToken);
    ExpectErrorBody(*router_.Admit(unknown).reject, 404, "not_found");
    auto wrong_method = Request("GET", "/send", kAdminToken);
    ExpectErrorBody(*router_.Admit(wrong_method).reject, 405, "method_not_allowed");
    auto anonymous = Request("POST", "/send");
    ExpectErrorBody(*router_.Admit(anonymous).reject, 401, "unauthorized");
    auto viewer = Request("POST", "/send", kViewerToken);
    ExpectErrorBody(*router_.Admit(viewer).reject, 403, "forbidden");
    auto allowed = Request("POST", "/send", kOperatorToken);
    const HeaderVerdict verdict = router_.Admit(allowed);
    EXPECT_FALSE(verdict.reject);
    EXPECT_FALSE(verdict.run_inline);
    ASSERT_TRUE(allowed.principal);
    EXPECT_EQ(allowed.principal->name, "backend");
}

TEST_F(RouterTest, AuthenticatesOnceWhenAdmitThenHandle) {
    router_.Add("POST", "/send", Role::kOperator, [](HttpRequest&, const RequestContext& context) {
        return Text(context.principal ? context.principal->name : "nobody");
    });
    EXPECT_CALL(store_, FindTokenByHash(HashToken(kOperatorToken))).Times(1);
    auto request = Request("POST", "/send", kOperatorToken);
    ASSERT_FALSE(router_.Admit(request).reject);
    request.body = "{}";  // read after admission
    EXPECT_EQ(router_.Handle(request).body, "backend");
}

TEST_F(RouterTest, NonBlockingRouteIsAdmittedToRunInline) {
    router_.Add("GET", "/health", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text("ok"); });
    router_.Add("GET", "/slow", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text("slow"); });
    router_.MarkNonBlocking("GET", "/health");
    auto health = Request("GET", "/health");
    EXPECT_TRUE(router_.Admit(health).run_inline);
    auto head = Request("HEAD", "/health");
    EXPECT_TRUE(router_.Admit(head).run_inline);
    auto slow = Request("GET", "/slow");
    EXPECT_FALSE(router_.Admit(slow).run_inline);
    EXPECT_THROW(router_.MarkNonBlocking("GET", "/missing"), std::logic_error);
}

TEST_F(RouterTest, AsynchronousRouteIsAdmittedToRunAsyncAndAnswersThroughItsReply) {
    router_.AddAsync(
        "POST", "/send", Role::kOperator, [](HttpRequest& request, const RequestContext& context, const Reply& reply) {
            if (request.body == "throw") throw InvalidInput("invalid_field", "bad", "phone");
            if (request.body == "fail") {
                reply.Fail(std::make_exception_ptr(Error(ErrorKind::kConflict, "notifications_disabled", "off")));
                return;
            }
            if (request.body == "offload") {
                reply.Offload([]() -> HttpResponse { throw StoreUnavailable("disk I/O error at /secret/path"); });
                return;
            }
            reply.Respond(Text(context.principal->name));
        });
    auto anonymous = Request("POST", "/send");
    ExpectErrorBody(*router_.Admit(anonymous).reject, 401, "unauthorized");

    const auto run = [this](const std::string& body) {
        auto request = Request("POST", "/send", kOperatorToken);
        const HeaderVerdict verdict = router_.Admit(request);
        EXPECT_FALSE(verdict.reject);
        EXPECT_TRUE(verdict.run_async);
        EXPECT_FALSE(verdict.run_inline);
        request.body = body;
        std::optional<HttpResponse> answer;
        AsyncReply reply;
        reply.respond = [&answer](HttpResponse response) { answer = std::move(response); };
        reply.offload = [&answer](std::function<HttpResponse()> work) { answer = work(); };
        router_.HandleAsync(request, std::move(reply));
        EXPECT_TRUE(answer);
        return answer.value_or(HttpResponse{});
    };
    EXPECT_EQ(run("ok").body, "backend");
    ExpectErrorBody(run("throw"), 400, "invalid_field");
    ExpectErrorBody(run("fail"), 409, "notifications_disabled");
    const HttpResponse unavailable = run("offload");
    ExpectErrorBody(unavailable, 503, "store_unavailable");
    EXPECT_EQ(unavailable.body.find("/secret/path"), std::string::npos);

    // Handle() on an asynchronous route (no asynchronous server) waits for the answer.
    auto direct = Request("POST", "/send", kOperatorToken);
    EXPECT_EQ(router_.Handle(direct).body, "backend");
}

TEST_F(RouterTest, APlainRouteRunThroughHandleAsyncAnswersAtOnce) {
    router_.Add("GET", "/plain", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text("plain"); });
    auto request = Request("GET", "/plain");
    EXPECT_FALSE(router_.Admit(request).run_async);
    std::optional<HttpResponse> answer;
    AsyncReply reply;
    reply.respond = [&answer](HttpResponse response) { answer = std::move(response); };
    router_.HandleAsync(request, std::move(reply));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->body, "plain");
}

TEST_F(RouterTest, GuardRefusesAtTheHeaderStageAndTheHandlerDoesNotRun) {
    bool ran = false;
    router_.Add("POST", "/webhook", std::nullopt, [&](HttpRequest&, const RequestContext&) {
        ran = true;
        return Text("ok");
    });
    router_.Guard("POST", "/webhook", [](const HttpRequest& request) {
        if (request.Header("x-webhook-secret") != "right") {
            throw Error(ErrorKind::kUnauthorized, "unauthorized", "a valid webhook secret is required");
        }
    });
    auto without = Request("POST", "/webhook");
    ExpectErrorBody(*router_.Admit(without).reject, 401, "unauthorized");
    auto also_without = Request("POST", "/webhook");
    ExpectErrorBody(router_.Handle(also_without), 401, "unauthorized");
    EXPECT_FALSE(ran);
    auto with = Request("POST", "/webhook");
    with.headers["x-webhook-secret"] = "right";
    EXPECT_FALSE(router_.Admit(with).reject);
    EXPECT_EQ(router_.Handle(with).body, "ok");
    EXPECT_TRUE(ran);
    EXPECT_THROW(router_.Guard("GET", "/webhook", [](const HttpRequest&) {}), std::logic_error);
}

TEST_F(RouterTest, GetAnnouncingABodyIsRefusedBeforeItIsRead) {
    router_.Add("GET", "/health", std::nullopt, [](HttpRequest&, const RequestContext&) { return Text("ok"); });
    auto with_length = Request("GET", "/health");
    with_length.headers["content-length"] = "100";
    ExpectErrorBody(*router_.Admit(with_length).reject, 400, "bad_request");
    auto chunked = Request("HEAD", "/health");
    chunked.headers["transfer-encoding"] = "chunked";
    ExpectErrorBody(*router_.Admit(chunked).reject, 400, "bad_request");
    auto empty = Request("GET", "/health");
    empty.headers["content-length"] = "0";
    EXPECT_FALSE(router_.Admit(empty).reject);
}

}  // namespace
}  // namespace notify
