#include "notify/send_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/errors.h"
#include "expect_invalid_input.h"

namespace notify {
namespace {

using nlohmann::json;

// The contract's example request.
json ValidBody() {
    return json{{"phone", "+919876543210"},
                {"message_type", "delivery_reminder"},
                {"context", {{"customer_name", "Test"}, {"delivery_date", "Jan 28"}, {"area", "Test"}}},
                {"immediate", true},
                {"idempotency_key", "optional-string"}};
}

json Without(json body, const char* key) {
    body.erase(key);
    return body;
}

json With(json body, const char* key, json value) {
    body[key] = std::move(value);
    return body;
}

TEST(ParseSendRequest, ParsesTheContractExample) {
    const SendRequest r = ParseSendRequest(ValidBody(), "IN");
    EXPECT_EQ(r.phone.e164, "+919876543210");
    EXPECT_EQ(r.message_type, "delivery_reminder");
    EXPECT_EQ(r.context.at("customer_name"), "Test");
    EXPECT_EQ(r.context.at("delivery_date"), "Jan 28");
    EXPECT_EQ(r.context.at("area"), "Test");
    EXPECT_TRUE(r.immediate);
    ASSERT_TRUE(r.idempotency_key);
    EXPECT_EQ(*r.idempotency_key, "optional-string");
}

TEST(ParseSendRequest, OptionalFieldsDefault) {
    const SendRequest r = ParseSendRequest(json{{"phone", "+919876543210"}, {"message_type", "welcome"}}, "IN");
    EXPECT_FALSE(r.immediate);
    EXPECT_FALSE(r.idempotency_key);
    EXPECT_TRUE(r.context.empty());
}

TEST(ParseSendRequest, NullOptionalFieldsAreAbsent) {
    const SendRequest r = ParseSendRequest(json{{"phone", "+919876543210"},
                                                {"message_type", "welcome"},
                                                {"context", nullptr},
                                                {"immediate", nullptr},
                                                {"idempotency_key", nullptr}},
                                           "IN");
    EXPECT_FALSE(r.immediate);
    EXPECT_FALSE(r.idempotency_key);
    EXPECT_TRUE(r.context.empty());
}

TEST(ParseSendRequest, NormalisesANationalNumberWithTheDefaultRegion) {
    EXPECT_EQ(ParseSendRequest(With(ValidBody(), "phone", "98765-43210"), "IN").phone.e164, "+919876543210");
    EXPECT_EQ(ParseSendRequest(With(ValidBody(), "phone", "(415) 555-2671"), "US").phone.e164, "+14155552671");
}

TEST(ParseSendRequest, MissingPhoneIsMissingField) {
    EXPECT_INVALID_INPUT(ParseSendRequest(Without(ValidBody(), "phone"), "IN"), "missing_field", "phone");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "phone", nullptr), "IN"), "missing_field", "phone");
}

TEST(ParseSendRequest, PhoneThatIsNotAStringIsInvalidPhone) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "phone", 919876543210LL), "IN"), "invalid_phone", "phone");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "phone", json::array({"+919876543210"})), "IN"),
                         "invalid_phone", "phone");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "phone", true), "IN"), "invalid_phone", "phone");
}

TEST(ParseSendRequest, InvalidNumberIsInvalidPhone) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "phone", "+91 12345"), "IN"), "invalid_phone", "phone");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "phone", ""), "IN"), "invalid_phone", "phone");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "phone", "call me"), "IN"), "invalid_phone", "phone");
}

TEST(ParseSendRequest, MissingMessageTypeIsMissingField) {
    EXPECT_INVALID_INPUT(ParseSendRequest(Without(ValidBody(), "message_type"), "IN"), "missing_field", "message_type");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "message_type", nullptr), "IN"), "missing_field",
                         "message_type");
}

TEST(ParseSendRequest, NonStringMessageTypeIsInvalidField) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "message_type", 3), "IN"), "invalid_field", "message_type");
}

TEST(ParseSendRequest, LeavesTheTemplateLookupToTheCaller) {
    EXPECT_EQ(ParseSendRequest(With(ValidBody(), "message_type", "no_such_template"), "IN").message_type,
              "no_such_template");
}

TEST(ParseSendRequest, NumbersInTheContextBecomeText) {
    const SendRequest r = ParseSendRequest(With(ValidBody(), "context", {{"amount", 250}, {"order_id", "A-1"}}), "IN");
    EXPECT_EQ(r.context.at("amount"), "250");
    EXPECT_EQ(r.context.at("order_id"), "A-1");
}

TEST(ParseSendRequest, BadContextValueNamesIt) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "context", {{"area", {{"x", 1}}}}), "IN"),
                         "invalid_context", "context.area");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "context", "text"), "IN"), "invalid_context", "context");
}

TEST(ParseSendRequest, ImmediateMustBeABoolean) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "immediate", "true"), "IN"), "invalid_field", "immediate");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "immediate", 1), "IN"), "invalid_field", "immediate");
    EXPECT_FALSE(ParseSendRequest(With(ValidBody(), "immediate", false), "IN").immediate);
}

TEST(ParseSendRequest, IdempotencyKeyMustBeAString) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "idempotency_key", 42), "IN"), "invalid_field",
                         "idempotency_key");
}

TEST(ParseSendRequest, IdempotencyKeyMustNotBeEmpty) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "idempotency_key", ""), "IN"), "invalid_field",
                         "idempotency_key");
}

TEST(ParseSendRequest, IdempotencyKeyMayHoldUpTo128Characters) {
    const std::string longest(128, 'k');
    EXPECT_EQ(*ParseSendRequest(With(ValidBody(), "idempotency_key", longest), "IN").idempotency_key, longest);
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "idempotency_key", std::string(129, 'k')), "IN"),
                         "invalid_field", "idempotency_key");
}

TEST(ParseSendRequest, IdempotencyKeyMustBePrintableAsciiWithoutSpaces) {
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "idempotency_key", "order 42"), "IN"), "invalid_field",
                         "idempotency_key");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "idempotency_key", "order\n42"), "IN"), "invalid_field",
                         "idempotency_key");
    EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "idempotency_key", "bestellung-ü"), "IN"), "invalid_field",
                         "idempotency_key");
    EXPECT_EQ(*ParseSendRequest(With(ValidBody(), "idempotency_key", "order:42/retry#1~!"), "IN").idempotency_key,
              "order:42/retry#1~!");
}

TEST(ParseSendRequest, LanguageIsOptional) {
    EXPECT_FALSE(ParseSendRequest(ValidBody(), "IN").language.has_value());
    EXPECT_FALSE(ParseSendRequest(With(ValidBody(), "language", nullptr), "IN").language.has_value());
    EXPECT_EQ(*ParseSendRequest(With(ValidBody(), "language", "hi"), "IN").language, "hi");
    EXPECT_EQ(*ParseSendRequest(With(ValidBody(), "language", "pt_BR"), "IN").language, "pt_BR");
    // A language the template lacks is the send's business (it falls back), not the parser's.
    EXPECT_EQ(*ParseSendRequest(With(ValidBody(), "language", "zu"), "IN").language, "zu");
}

TEST(ParseSendRequest, ALanguageThatIsNotACodeIsInvalidField) {
    for (const json& bad :
         {json(""), json("Hindi"), json("HI"), json("hi-IN"), json("h"), json(91), json(true), json::array({"hi"})}) {
        SCOPED_TRACE(bad.dump());
        EXPECT_INVALID_INPUT(ParseSendRequest(With(ValidBody(), "language", bad), "IN"), "invalid_field", "language");
    }
}

TEST(ParseSendRequest, IgnoresUnknownFields) {
    const SendRequest r = ParseSendRequest(With(ValidBody(), "priority", "high"), "IN");
    EXPECT_EQ(r.phone.e164, "+919876543210");
}

TEST(ParseSendRequest, RejectsABodyThatIsNotAnObject) {
    EXPECT_INVALID_INPUT(ParseSendRequest(json::array(), "IN"), "invalid_body", "");
    EXPECT_INVALID_INPUT(ParseSendRequest(json("+919876543210"), "IN"), "invalid_body", "");
    EXPECT_INVALID_INPUT(ParseSendRequest(json(), "IN"), "invalid_body", "");
}

TEST(ParseSendRequest, ChecksThePhoneBeforeTheMessageType) {
    EXPECT_INVALID_INPUT(ParseSendRequest(json::object(), "IN"), "missing_field", "phone");
}

}  // namespace
}  // namespace notify
