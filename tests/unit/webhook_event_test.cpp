#include "notify/webhook_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/time_format.h"

namespace notify {
namespace {

nlohmann::json Envelope(const std::string& type, nlohmann::json payload) {
    return {{"event_id", "evt-1"},
            {"company_id", "company-42"},
            {"event_type", type},
            {"event_sequence", 3},
            {"event_version", "2"},
            {"timestamp", "2026-06-26T02:10:56.956814767Z"},
            {"channel", "whatsapp"},
            {"direction", "outgoing"},
            {"session_id", "session-1"},
            {"system_identifier", "phone-number-id-7"},
            {"customer_identifier", "919837114044"},
            {"payload", std::move(payload)}};
}

WebhookEvent Parse(const nlohmann::json& body) { return ParseWebhookEvent(body.dump()); }

// The error code InvalidInput carries, or "" when parsing succeeds.
std::string ErrorCode(const std::string& body) {
    try {
        ParseWebhookEvent(body);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        return e.code();
    }
    return "";
}

TEST(ParseWebhookEvent, StatusEventTakesEveryEnvelopeField) {
    const WebhookEvent e = Parse(Envelope("message.delivered", {{"id", "pm-1"}, {"status", "delivered"}}));
    EXPECT_EQ(e.kind, WebhookEvent::Kind::kStatus);
    EXPECT_EQ(e.event_id, "evt-1");
    EXPECT_EQ(e.event_type, "message.delivered");
    EXPECT_EQ(e.customer_identifier, "919837114044");
    EXPECT_EQ(e.provider_message_id, "pm-1");
    EXPECT_EQ(e.status, MessageStatus::kDelivered);
    EXPECT_EQ(e.occurred_at, ParseIsoTime("2026-06-26T02:10:56.956Z"));
}

TEST(ParseWebhookEvent, NineFractionalDigitsLandToTheMillisecond) {
    auto body = Envelope("message.read", {{"id", "pm-1"}});
    body["timestamp"] = "2026-06-26T02:10:56.123999999Z";
    EXPECT_EQ(FormatIsoTime(*Parse(body).occurred_at), "2026-06-26T02:10:56.123Z");
    body["timestamp"] = "2026-06-26T07:40:56.5+05:30";
    EXPECT_EQ(FormatIsoTime(*Parse(body).occurred_at), "2026-06-26T02:10:56.500Z");
}

TEST(ParseWebhookEvent, PayloadStatusIsPreferredOverTheEventTypeSuffix) {
    EXPECT_EQ(Parse(Envelope("message.delivered", {{"id", "pm-1"}, {"status", "read"}})).status, MessageStatus::kRead);
    EXPECT_EQ(Parse(Envelope("message.read", {{"id", "pm-1"}, {"status", "DELIVERED"}})).status,
              MessageStatus::kDelivered);
    // A status MyOperator might add later falls back to the type.
    EXPECT_EQ(Parse(Envelope("message.sent", {{"id", "pm-1"}, {"status", "accepted"}})).status, MessageStatus::kSent);
    // Without a status the type decides.
    EXPECT_EQ(Parse(Envelope("message.failed", {{"id", "pm-1"}})).status, MessageStatus::kFailed);
    // A generic status type with the status in the payload.
    EXPECT_EQ(Parse(Envelope("message.status", {{"id", "pm-1"}, {"status", "delivered"}})).kind,
              WebhookEvent::Kind::kStatus);
}

TEST(ParseWebhookEvent, MessageIdFromIdOrMessageId) {
    EXPECT_EQ(Parse(Envelope("message.sent", {{"message_id", "pm-2"}})).provider_message_id, "pm-2");
    EXPECT_EQ(Parse(Envelope("message.sent", {{"id", "pm-1"}, {"message_id", "pm-2"}})).provider_message_id, "pm-1");
}

TEST(ParseWebhookEvent, FailureReasonFromTheShapesSeen) {
    EXPECT_EQ(Parse(Envelope("message.failed", {{"id", "p"}, {"reason", "wallet empty"}})).failure_reason,
              "wallet empty");
    EXPECT_EQ(Parse(Envelope("message.failed", {{"id", "p"}, {"error", {{"code", "CHAT_4001"}, {"message", "low"}}}}))
                  .failure_reason,
              "CHAT_4001: low");
    EXPECT_EQ(Parse(Envelope("message.failed",
                             {{"id", "p"}, {"errors", {{{"code", 131026}, {"title", "Message undeliverable"}}}}}))
                  .failure_reason,
              "131026: Message undeliverable");
    EXPECT_EQ(Parse(Envelope("message.failed", {{"id", "p"}})).failure_reason, "");
    // Only failures carry a reason.
    EXPECT_EQ(Parse(Envelope("message.delivered", {{"id", "p"}, {"reason", "x"}})).failure_reason, "");
}

// A long reason is cut to 500 bytes at a character boundary: cutting inside a multi-byte character
// left invalid UTF-8 (fuzz/corpus/webhook_event/regress-reason-cut-inside-utf8).
TEST(ParseWebhookEvent, LongFailureReasonIsCutBetweenCharacters) {
    const std::string hindi = "\xE0\xA4\xAC";  // a 3-byte character
    const WebhookEvent e = Parse(Envelope("message.failed", {{"id", "p"}, {"reason", std::string(499, 'x') + hindi}}));
    EXPECT_EQ(e.failure_reason, std::string(499, 'x'));
    EXPECT_NO_THROW(static_cast<void>(nlohmann::json(e.failure_reason).dump()));
    // A character that fits whole is kept.
    const WebhookEvent fits =
        Parse(Envelope("message.failed", {{"id", "p"}, {"reason", std::string(497, 'x') + hindi + "yy"}}));
    EXPECT_EQ(fits.failure_reason, std::string(497, 'x') + hindi);
    // ASCII is cut at exactly 500 bytes.
    EXPECT_EQ(Parse(Envelope("message.failed", {{"id", "p"}, {"reason", std::string(600, 'x')}})).failure_reason,
              std::string(500, 'x'));
}

TEST(ParseWebhookEvent, InboundMessageCarriesItsText) {
    auto body = Envelope(
        "message.received",
        {{"id", "in-1"}, {"status", "received"}, {"data", {{"type", "text"}, {"context", {{"body", "STOP"}}}}}});
    body["direction"] = "incoming";
    const WebhookEvent e = Parse(body);
    EXPECT_EQ(e.kind, WebhookEvent::Kind::kInbound);
    EXPECT_EQ(e.text, "STOP");
    EXPECT_EQ(e.customer_identifier, "919837114044");
    // Media has no text; still an inbound event.
    const WebhookEvent media = Parse(Envelope("message.received", {{"id", "in-2"}, {"data", {{"type", "image"}}}}));
    EXPECT_EQ(media.kind, WebhookEvent::Kind::kInbound);
    EXPECT_EQ(media.text, "");
}

TEST(ParseWebhookEvent, UnknownEventTypesAreOtherNotErrors) {
    EXPECT_EQ(Parse(Envelope("conversation.closed", {{"id", "c"}})).kind, WebhookEvent::Kind::kOther);
    EXPECT_EQ(Parse(Envelope("message.deleted", {{"id", "c"}})).kind, WebhookEvent::Kind::kOther);
    EXPECT_EQ(Parse(Envelope("template.updated", {{"status", "approved"}})).kind, WebhookEvent::Kind::kOther);
    EXPECT_EQ(Parse({{"event_id", "only-an-id"}}).kind, WebhookEvent::Kind::kOther);
}

TEST(ParseWebhookEvent, MalformedBodiesAreInvalidInput) {
    EXPECT_EQ(ErrorCode("{not json"), "invalid_json");
    EXPECT_EQ(ErrorCode("[1,2]"), "invalid_body");
    EXPECT_EQ(ErrorCode("\"text\""), "invalid_body");
    EXPECT_EQ(ErrorCode("{}"), "missing_field");
    EXPECT_EQ(ErrorCode(R"({"event_id": ""})"), "missing_field");
    EXPECT_EQ(ErrorCode(R"({"event_id": {"a": 1}})"), "missing_field");
    EXPECT_EQ(ErrorCode(std::string(R"({"event_id": ")") + std::string(300, 'x') + "\"}"), "invalid_field");
    // A status event without a message id, or without a payload object.
    EXPECT_EQ(ErrorCode(Envelope("message.delivered", {{"status", "delivered"}}).dump()), "missing_field");
    EXPECT_EQ(ErrorCode(Envelope("message.delivered", "pm-1").dump()), "invalid_field");
    auto bad_time = Envelope("message.read", {{"id", "pm-1"}});
    bad_time["timestamp"] = "yesterday";
    EXPECT_EQ(ErrorCode(bad_time.dump()), "invalid_field");
    EXPECT_EQ(ErrorCode(R"({"event_id": "e", "event_type": "message.sent", "payload": {"id": "p"}})"), "");
}

TEST(ParseWebhookEvent, NumericIdsAndEpochTimestampsAreTolerated) {
    auto body = Envelope("message.read", {{"id", 12345}});
    body["event_id"] = 987;
    body["timestamp"] = 1782439856;
    const WebhookEvent e = Parse(body);
    EXPECT_EQ(e.event_id, "987");
    EXPECT_EQ(e.provider_message_id, "12345");
    EXPECT_EQ(e.occurred_at, 1782439856000);
    body["timestamp"] = 1782439856123;
    EXPECT_EQ(Parse(body).occurred_at, 1782439856123);
    body.erase("timestamp");
    EXPECT_FALSE(Parse(body).occurred_at);
}

// Found by fuzz_webhook_event (fuzz/corpus/webhook_event/regress-timestamp-overflow): a numeric
// timestamp too large for TimeMs was converted anyway, which is undefined behaviour.
TEST(ParseWebhookEvent, EpochTimestampsPastTheYear9999AreInvalid) {
    EXPECT_EQ(ErrorCode(R"({"event_id":"2","timestamp":17617695840012358400})"), "invalid_field");
    EXPECT_EQ(ErrorCode(R"({"event_id":"2","timestamp":18446744073709551615})"), "invalid_field");
    EXPECT_EQ(ErrorCode(R"({"event_id":"2","timestamp":1e300})"), "invalid_field");
    EXPECT_EQ(ErrorCode(R"({"event_id":"2","timestamp":253402300800000})"), "invalid_field");
    EXPECT_EQ(Parse({{"event_id", "2"}, {"timestamp", 253402300799999}}).occurred_at, 253402300799999);
    EXPECT_EQ(Parse({{"event_id", "2"}, {"timestamp", 1.7695584e9}}).occurred_at, 1769558400000);
}

TEST(ClassifyInboundText, StopAndUnsubscribeInAnyCaseAndHindi) {
    for (const char* text : {"STOP", "stop", " Stop \n", "stop.", "UNSUBSCRIBE", "Unsubscribe!", "रुकें", "बंद", "बंद करो",
                             " बंद  करो ", "बंद करें"}) {
        EXPECT_EQ(ClassifyInboundText(text), OptKeyword::kOptOut) << text;
    }
}

TEST(ClassifyInboundText, StartOptsBackIn) {
    for (const char* text : {"START", "start", " Start ", "शुरू"}) {
        EXPECT_EQ(ClassifyInboundText(text), OptKeyword::kOptIn) << text;
    }
}

TEST(ClassifyInboundText, OnlyTheWholeMessageCounts) {
    for (const char* text :
         {"", "   ", "please stop", "stopped", "don't stop", "STOP it", "starting", "hello", "बंद करो मत"}) {
        EXPECT_EQ(ClassifyInboundText(text), OptKeyword::kNone) << text;
    }
}

TEST(CustomerIdentifierToE164, AddsThePlus) {
    EXPECT_EQ(CustomerIdentifierToE164("919837114044"), "+919837114044");
    EXPECT_EQ(CustomerIdentifierToE164("+91 98371-14044"), "+919837114044");
    EXPECT_FALSE(CustomerIdentifierToE164(""));
    EXPECT_FALSE(CustomerIdentifierToE164("abc"));
    EXPECT_FALSE(CustomerIdentifierToE164("1234567890123456"));
}

// ---------------------------------------------------------------------------------------------
// EffectiveEventTime

constexpr TimeMs kReceived = 1780000000000;  // 2026-05-28

TEST(EffectiveEventTime, WithoutATimestampIsTheTimeReceived) {
    EXPECT_EQ(EffectiveEventTime(std::nullopt, kReceived), kReceived);
}

TEST(EffectiveEventTime, ATimestampWithinTheWindowIsKept) {
    EXPECT_EQ(EffectiveEventTime(kReceived - 5000, kReceived), kReceived - 5000);
    EXPECT_EQ(EffectiveEventTime(kReceived, kReceived), kReceived);
    EXPECT_EQ(EffectiveEventTime(0, kReceived), 0);
}

TEST(EffectiveEventTime, AFutureTimestampIsTheTimeReceived) {
    EXPECT_EQ(EffectiveEventTime(kReceived + 1, kReceived), kReceived);
    const TimeMs year_9000 = *ParseWebhookEvent(R"({"event_id":"e","timestamp":"9000-01-01T00:00:00Z"})").occurred_at;
    EXPECT_EQ(EffectiveEventTime(year_9000, kReceived), kReceived);
}

TEST(EffectiveEventTime, AForgedFutureStartCannotOutrankALaterStop) {
    // STOP received at t, a START claiming year 9000 at t+1s, STOP again at t+2s: the last STOP is
    // the latest by effective time, so the number ends opted out.
    const TimeMs start_forged = EffectiveEventTime(221845392000000, kReceived + 1000);
    const TimeMs stop_again = EffectiveEventTime(kReceived + 2000, kReceived + 2000);
    EXPECT_LT(start_forged, stop_again);
}

}  // namespace
}  // namespace notify
