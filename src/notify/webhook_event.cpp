#include "notify/webhook_event.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "business/replies.h"
#include "common/errors.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace notify {
namespace {

constexpr std::size_t kMaxIdLength = 256;
constexpr std::size_t kMaxReasonLength = 500;
constexpr std::string_view kInboundType = "message.received";
constexpr double kEndOfYear9999Ms = 253402300800000.0;  // 10000-01-01T00:00:00Z

// A string field, or a number written as text (ids are strings, but tolerate numbers).
std::optional<std::string> TextField(const nlohmann::json& object, const char* name) {
    if (!object.is_object()) return std::nullopt;
    const auto it = object.find(name);
    if (it == object.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return it->dump();
    return std::nullopt;
}

std::optional<MessageStatus> ProviderStatusNamed(std::string_view text) {
    const std::string lower = AsciiLower(text);
    for (MessageStatus s :
         {MessageStatus::kSent, MessageStatus::kDelivered, MessageStatus::kRead, MessageStatus::kFailed}) {
        if (ToString(s) == lower) return s;
    }
    return std::nullopt;
}

std::optional<TimeMs> EventTime(const nlohmann::json& envelope) {
    const auto it = envelope.find("timestamp");
    if (it == envelope.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) {
        const auto t = ParseIsoTime(it->get<std::string>());
        if (!t) throw InvalidInput("invalid_field", "timestamp must be an ISO-8601 time", "timestamp");
        return t;
    }
    if (it->is_number()) {
        // Epoch seconds or milliseconds: a number this large is milliseconds (seconds would be past 5138).
        const double value = it->get<double>();
        const double ms = value >= 1e11 ? value : value * 1000.0;
        // Past the year 9999 (which ISO text cannot reach either) is no time at all, and far enough
        // past it the conversion to TimeMs would overflow.
        if (!std::isfinite(value) || value < 0 || ms >= kEndOfYear9999Ms) {
            throw InvalidInput("invalid_field", "timestamp must be an ISO-8601 time", "timestamp");
        }
        return static_cast<TimeMs>(ms);
    }
    throw InvalidInput("invalid_field", "timestamp must be an ISO-8601 time", "timestamp");
}

// The provider's explanation of a failure, in the shapes seen from WhatsApp APIs: a text field,
// an error object, or Meta's "errors" list; "code: message" when both are there.
std::string FailureReason(const nlohmann::json& payload) {
    const auto describe = [](const nlohmann::json& error) -> std::string {
        if (error.is_string()) return error.get<std::string>();
        if (!error.is_object()) return {};
        std::string code = TextField(error, "code").value_or("");
        std::string text;
        for (const char* key : {"message", "title", "reason", "description", "details"}) {
            if (auto value = TextField(error, key); value && !value->empty()) {
                text = *value;
                break;
            }
        }
        if (code.empty()) return text;
        return text.empty() ? code : code + ": " + text;
    };
    std::string reason;
    for (const char* key : {"failure_reason", "reason", "error_message", "error"}) {
        const auto it = payload.find(key);
        if (it != payload.end()) reason = describe(*it);
        if (!reason.empty()) break;
    }
    if (reason.empty()) {
        const auto errors = payload.find("errors");
        if (errors != payload.end() && errors->is_array() && !errors->empty()) reason = describe(errors->front());
    }
    reason.resize(TruncateUtf8(reason, kMaxReasonLength).size());
    return reason;
}

std::string_view TrimKeyword(std::string_view text) {
    // Whitespace and the punctuation people end a one-word reply with.
    return Trim(text, " \t\r\n\v\f.!");
}

// Runs of whitespace become one space, so that "बंद  करो" matches "बंद करो".
std::string CollapseSpaces(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

}  // namespace

WebhookEvent ParseWebhookEvent(std::string_view body) {
    const nlohmann::json envelope = nlohmann::json::parse(body, nullptr, false);
    if (envelope.is_discarded()) throw InvalidInput("invalid_json", "request body is not valid JSON");
    if (!envelope.is_object()) throw InvalidInput("invalid_body", "webhook body must be a JSON object");

    WebhookEvent event;
    event.event_id = TextField(envelope, "event_id").value_or("");
    if (event.event_id.empty()) throw InvalidInput("missing_field", "event_id is required", "event_id");
    if (event.event_id.size() > kMaxIdLength) {
        throw InvalidInput("invalid_field", "event_id is longer than 256 characters", "event_id");
    }
    event.event_type = TextField(envelope, "event_type").value_or("");
    event.occurred_at = EventTime(envelope);
    event.customer_identifier = TextField(envelope, "customer_identifier").value_or("");

    const auto payload_it = envelope.find("payload");
    const nlohmann::json payload = payload_it != envelope.end() ? *payload_it : nlohmann::json();
    const std::string type = AsciiLower(event.event_type);

    if (type == kInboundType) {
        event.kind = WebhookEvent::Kind::kInbound;
        // Typed text or a pressed button, at whichever path it came (myoperator-api.md).
        event.text = ReplyText(payload).value_or("");
        return event;
    }

    // The status: payload.status when it names one, else the event type's suffix.
    std::optional<MessageStatus> status;
    if (auto text = TextField(payload, "status")) status = ProviderStatusNamed(*text);
    constexpr std::string_view kMessagePrefix = "message.";
    const bool message_event = type.starts_with(kMessagePrefix);
    if (!status && message_event) status = ProviderStatusNamed(std::string_view(type).substr(kMessagePrefix.size()));
    // A status without a message event type (or without any type) is still a status report.
    if (!status || (!message_event && !type.empty())) return event;

    event.kind = WebhookEvent::Kind::kStatus;
    event.status = *status;
    if (!payload.is_object()) throw InvalidInput("invalid_field", "a status event needs a payload object", "payload");
    event.provider_message_id = TextField(payload, "id").value_or("");
    if (event.provider_message_id.empty()) event.provider_message_id = TextField(payload, "message_id").value_or("");
    if (event.provider_message_id.empty()) {
        throw InvalidInput("missing_field", "a status event needs payload.id or payload.message_id", "payload.id");
    }
    if (event.provider_message_id.size() > kMaxIdLength) {
        throw InvalidInput("invalid_field", "payload.id is longer than 256 characters", "payload.id");
    }
    if (event.status == MessageStatus::kFailed) event.failure_reason = FailureReason(payload);
    return event;
}

TimeMs EffectiveEventTime(std::optional<TimeMs> occurred_at, TimeMs received_at) {
    if (!occurred_at) return received_at;
    return std::min(*occurred_at, received_at);
}

OptKeyword ClassifyInboundText(std::string_view text) {
    const std::string normalized = AsciiLower(CollapseSpaces(TrimKeyword(text)));
    static constexpr std::array<std::string_view, 8> kOptOut = {
        "stop", "unsubscribe", "stop all", "रुकें", "रुको", "बंद", "बंद करो", "बंद करें",
    };
    static constexpr std::array<std::string_view, 4> kOptIn = {"start", "शुरू", "शुरू करो", "शुरू करें"};
    for (std::string_view word : kOptOut) {
        if (normalized == word) return OptKeyword::kOptOut;
    }
    for (std::string_view word : kOptIn) {
        if (normalized == word) return OptKeyword::kOptIn;
    }
    return OptKeyword::kNone;
}

std::optional<std::string> CustomerIdentifierToE164(std::string_view identifier) {
    std::string digits;
    for (char c : identifier) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            digits += c;
        } else if (c != '+' && c != ' ' && c != '-') {
            return std::nullopt;
        }
    }
    if (digits.empty() || digits.size() > 15) return std::nullopt;
    return "+" + digits;
}

}  // namespace notify
