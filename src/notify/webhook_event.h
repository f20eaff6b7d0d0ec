#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "notify/model.h"

namespace notify {

// One MyOperator Webhook v2 event, reduced to what the service acts on.
struct WebhookEvent {
    enum class Kind {
        kStatus,   // message.sent / delivered / read / failed: a report about a message we sent
        kInbound,  // message.received: the customer wrote to us
        kOther,    // anything else: accepted (so MyOperator stops retrying) and ignored
    };
    Kind kind = Kind::kOther;
    std::string event_id;               // unique per event; the de-duplication key
    std::string event_type;             // as sent, e.g. "message.delivered"
    std::optional<TimeMs> occurred_at;  // the envelope's timestamp, to the millisecond
    std::string customer_identifier;    // E.164 digits without '+', as sent (may be empty)

    // kStatus
    std::string provider_message_id;  // payload.id or payload.message_id
    MessageStatus status = MessageStatus::kSent;
    std::string failure_reason;  // provider's code and text, for a failed event

    // kInbound
    std::string text;  // payload.data.context.body; empty for media
};

// Parses the request body. Throws InvalidInput for what no retry can fix: not JSON, not an object,
// no event_id, a timestamp that is not ISO-8601, or a status event without a message id.
// Unknown event types are kOther, not errors.
WebhookEvent ParseWebhookEvent(std::string_view body);

// The time an event counts as having happened, which decides the order of STOP / START and of
// status reports: its own timestamp, but no later than received_at (nothing happened after we
// received it, so a START dated year 9000 cannot outrank every later STOP); received_at when it
// gave none. There is no lower bound: an event dated in the past can only lose to later ones, and
// MyOperator's retries of an old event must keep the time it happened.
TimeMs EffectiveEventTime(std::optional<TimeMs> occurred_at, TimeMs received_at);

// What an inbound text asks for: STOP / UNSUBSCRIBE and their Hindi equivalents opt out; START
// opts back in. Trimmed, case-insensitive, the whole text only ("please stop" is not a keyword).
enum class OptKeyword { kNone, kOptOut, kOptIn };
OptKeyword ClassifyInboundText(std::string_view text);

// customer_identifier ("919876543210", or with '+', spaces, dashes) -> "+919876543210";
// nullopt when it holds no digits.
std::optional<std::string> CustomerIdentifierToE164(std::string_view identifier);

}  // namespace notify
