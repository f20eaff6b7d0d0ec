#include "http/errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "common/errors.h"

namespace notify {
namespace {

using nlohmann::json;

HttpResponse ResponseFor(auto thrower) {
    try {
        thrower();
    } catch (...) {
        return ResponseForException(std::current_exception());
    }
    ADD_FAILURE() << "nothing was thrown";
    return {};
}

// ---------------------------------------------------------------------------------------------
// HttpStatusFor

TEST(HttpStatusFor, MapsEveryKind) {
    EXPECT_EQ(HttpStatusFor(ErrorKind::kInvalidInput), 400);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kUnauthorized), 401);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kForbidden), 403);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kNotFound), 404);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kMethodNotAllowed), 405);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kConflict), 409);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kPayloadTooLarge), 413);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kTooManyRequests), 429);
    EXPECT_EQ(HttpStatusFor(ErrorKind::kUnavailable), 503);
}

// ---------------------------------------------------------------------------------------------
// DumpJsonSafe

TEST(DumpJsonSafe, EscapesMarkupCharacters) {
    const std::string out = DumpJsonSafe(json{{"name", "<script>alert('x') && 1</script>"}});
    EXPECT_EQ(out.find('<'), std::string::npos) << out;
    EXPECT_EQ(out.find('>'), std::string::npos) << out;
    EXPECT_EQ(out.find('&'), std::string::npos) << out;
    EXPECT_NE(out.find("\\u003cscript\\u003e"), std::string::npos) << out;
    EXPECT_NE(out.find("\\u0026\\u0026"), std::string::npos) << out;
}

TEST(DumpJsonSafe, ParsesBackToTheOriginal) {
    const json original = {
        {"text", "<b>bold</b> & \"quoted\" \\ back"},
        {"<key>", "keys & values"},
        {"nested", {{"list", {1, 2.5, "a<b", nullptr, true}}}},
        {"unicode", "नमस्ते ₹499"},
        {"control", "line\nbreak\ttab"},
    };
    const std::string out = DumpJsonSafe(original);
    EXPECT_EQ(json::parse(out), original) << out;
    EXPECT_EQ(out.find_first_of("<>&"), std::string::npos) << out;
}

TEST(DumpJsonSafe, LeavesOrdinaryJsonAsDumpWritesIt) {
    const json value = {{"id", "01J"}, {"count", 3}, {"ok", true}, {"none", nullptr}};
    EXPECT_EQ(DumpJsonSafe(value), value.dump());
}

TEST(DumpJsonSafe, WritesUnicodeAsUtf8) { EXPECT_EQ(DumpJsonSafe(json("₹")), "\"₹\""); }

TEST(DumpJsonSafe, ReplacesInvalidUtf8InsteadOfThrowing) {
    const std::string bad = std::string("ok") + static_cast<char>(0xff) + "end";
    std::string out;
    ASSERT_NO_THROW(out = DumpJsonSafe(json{{"text", bad}}));
    const json back = json::parse(out);
    EXPECT_EQ(back["text"],
              "ok\xEF\xBF\xBD"
              "end");  // U+FFFD
}

TEST(DumpJsonSafe, WritesScalars) {
    EXPECT_EQ(DumpJsonSafe(json(nullptr)), "null");
    EXPECT_EQ(DumpJsonSafe(json(42)), "42");
    EXPECT_EQ(DumpJsonSafe(json("a&b")), "\"a\\u0026b\"");
}

// ---------------------------------------------------------------------------------------------
// ErrorResponse / JsonResponse

TEST(ErrorResponse, HasTheContractShapeWithoutField) {
    const HttpResponse r = ErrorResponse(404, "not_found", "no such message");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
    EXPECT_EQ(json::parse(r.body), (json{{"error", {{"code", "not_found"}, {"message", "no such message"}}}}));
}

TEST(ErrorResponse, HasTheContractShapeWithField) {
    const HttpResponse r = ErrorResponse(400, "invalid_phone", "not a valid phone number", "phone");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(
        json::parse(r.body),
        (json{{"error", {{"code", "invalid_phone"}, {"message", "not a valid phone number"}, {"field", "phone"}}}}));
}

TEST(ErrorResponse, EscapesCallerTextInTheMessage) {
    const HttpResponse r = ErrorResponse(400, "invalid_field", "bad value <img src=x>", "x");
    EXPECT_EQ(r.body.find('<'), std::string::npos) << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["message"], "bad value <img src=x>");
}

TEST(JsonResponse, SetsStatusTypeAndSafeBody) {
    const HttpResponse r = JsonResponse(202, json{{"status", "queued"}, {"note", "<>"}});
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
    EXPECT_EQ(json::parse(r.body), (json{{"status", "queued"}, {"note", "<>"}}));
    EXPECT_EQ(r.body.find('<'), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// ResponseForException

TEST(ResponseForException, InvalidInputIs400WithCodeMessageAndField) {
    const HttpResponse r =
        ResponseFor([] { throw InvalidInput("missing_context", "context.area is required", "context.area"); });
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(
        json::parse(r.body),
        (json{{"error",
               {{"code", "missing_context"}, {"message", "context.area is required"}, {"field", "context.area"}}}}));
}

TEST(ResponseForException, EachClientErrorKindGetsItsStatusCodeAndMessage) {
    for (ErrorKind kind : {ErrorKind::kInvalidInput, ErrorKind::kUnauthorized, ErrorKind::kForbidden,
                           ErrorKind::kNotFound, ErrorKind::kMethodNotAllowed, ErrorKind::kConflict,
                           ErrorKind::kPayloadTooLarge, ErrorKind::kTooManyRequests}) {
        const HttpResponse r = ResponseFor([kind] { throw Error(kind, "the_code", "the message"); });
        EXPECT_EQ(r.status, HttpStatusFor(kind));
        const json body = json::parse(r.body);
        EXPECT_EQ(body["error"]["code"], "the_code");
        EXPECT_EQ(body["error"]["message"], "the message");
        EXPECT_FALSE(body["error"].contains("field"));
    }
}

TEST(ResponseForException, UnauthorizedAndForbiddenKeepTheirCodes) {
    EXPECT_EQ(ResponseFor([] { throw Error(ErrorKind::kUnauthorized, "unauthorized", "token needed"); }).status, 401);
    EXPECT_EQ(ResponseFor([] { throw Error(ErrorKind::kForbidden, "forbidden", "role too low"); }).status, 403);
}

TEST(ResponseForException, StoreUnavailableIs503) {
    const HttpResponse r = ResponseFor([] { throw StoreUnavailable("database is locked"); });
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "store_unavailable");
}

TEST(ResponseForException, StoreFailureDetailsNeverReachTheBody) {
    const HttpResponse r = ResponseFor([] {
        throw StoreUnavailable("insert message on /var/lib/notifyd/notifications.db: disk I/O error (SQLITE_IOERR)");
    });
    EXPECT_EQ(r.status, 503);
    const json body = json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], "store_unavailable");
    EXPECT_EQ(body["error"]["message"], kStoreUnavailableMessage);
    EXPECT_EQ(r.body.find("notifyd"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(".db"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("I/O"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("SQLITE"), std::string::npos) << r.body;
}

TEST(ResponseForException, AnyUnavailableErrorIsGenericWhateverItsCode) {
    const HttpResponse r =
        ResponseFor([] { throw Error(ErrorKind::kUnavailable, "the_code", "open /secret/db: unable to open"); });
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "store_unavailable");
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
}

TEST(ResponseForException, TooManyRequestsIs429WithRetryAfter) {
    const HttpResponse r = ResponseFor([] { throw TooManyRequests("slow down", 42); });
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "too_many_requests");
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Retry-After");
    EXPECT_EQ(r.headers[0].second, "42");
}

TEST(ResponseForException, JsonParseErrorIs400InvalidJson) {
    const HttpResponse r = ResponseFor([] { return json::parse("{not json"); });
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "invalid_json");
}

TEST(ResponseForException, StandardExceptionIs500InternalWithoutDetail) {
    const HttpResponse r = ResponseFor([] { throw std::runtime_error("connection string sqlite:/secret/path"); });
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "internal");
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
}

TEST(ResponseForException, OtherJsonErrorsAreInternal) {
    const HttpResponse r = ResponseFor([] { return json(5).get<std::string>(); });
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "internal");
}

TEST(ResponseForException, NonStandardExceptionIs500Internal) {
    const HttpResponse r = ResponseFor([] { throw 42; });
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "internal");
}

TEST(ResponseForException, ResponseIsAlwaysJson) {
    const HttpResponse r = ResponseFor([] { throw std::logic_error("broken"); });
    EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
    EXPECT_TRUE(json::accept(r.body)) << r.body;
}

}  // namespace
}  // namespace notify
