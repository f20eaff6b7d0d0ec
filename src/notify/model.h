#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace notify {

// queued -> sending -> (queued again on a retry) -> sent -> delivered -> read; or -> failed.
// suppressed and skipped_rollout are final: the message was deliberately not sent.
enum class MessageStatus { kQueued, kSending, kSent, kDelivered, kRead, kFailed, kSuppressed, kSkippedRollout };

std::string_view ToString(MessageStatus status);
std::optional<MessageStatus> ParseMessageStatus(std::string_view text);

// viewer < operator < admin, each may do what the one below may. delivery stands apart: it may only
// record deliveries (POST /api/deliveries), and no route that needs viewer or more admits it.
enum class Role { kDelivery = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };

std::string_view ToString(Role role);
std::optional<Role> ParseRole(std::string_view text);

// The body of a template in one language (MyOperator approves one template per language under the
// same name; the message says which with "language").
struct TemplateVariant {
    std::string language;  // "en", "hi", ...
    std::string body;      // preview text with {{variable}} placeholders
};

struct Template {
    std::string name;
    std::string description;
    std::string language = "en";
    std::string provider_template_name;
    std::vector<std::string> variables;  // in the order the provider's template declares them
    std::string body;                    // preview text with {{variable}} placeholders
    std::string category;
    bool enabled = true;
    // Held by settings.quiet_hours (by default only delivery_reminder and payment_reminder).
    bool quiet_hours = false;
    // Every language it has, `language` and `body` above included (the default variant).
    std::vector<TemplateVariant> variants;
    TimeMs updated_at = 0;
};

struct Message {
    std::string id;     // public id, time-ordered
    std::string phone;  // E.164
    std::string message_type;
    // What we accepted is what we send: the template is rendered at enqueue time.
    std::string provider_template_name;
    std::string language;
    std::vector<std::string> parameters;  // body parameters "1", "2", ... in order
    // A free-text message (the help text answering a customer's reply inside the 24-hour window):
    // sent as data.type "text" with this body and no template.
    std::optional<std::string> text;
    std::string context_json;  // the caller's context, as given (values as text)
    MessageStatus status = MessageStatus::kQueued;
    std::string provider_message_id;
    int attempts = 0;
    std::string last_error;
    std::optional<std::string> idempotency_key;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
    std::optional<TimeMs> sent_at;
    std::optional<TimeMs> delivered_at;
    std::optional<TimeMs> read_at;
    std::optional<TimeMs> failed_at;
    std::optional<TimeMs> next_attempt_at;  // set while the message waits in the queue
    std::int64_t seq = 0;                   // store's insertion order; the history cursor
};

enum class AttemptOutcome { kAccepted, kRetryable, kPermanent };
std::string_view ToString(AttemptOutcome outcome);

struct Attempt {
    std::string message_id;
    int number = 0;  // 1 for the first attempt
    TimeMs started_at = 0;
    int latency_ms = 0;
    AttemptOutcome outcome = AttemptOutcome::kRetryable;
    int http_status = 0;
    std::string error;
    std::string provider_message_id;
    // Refused for a fault of the account, not of the message (sending is held): not counted
    // toward MAX_ATTEMPTS.
    bool stops_all_sending = false;
};

// A provider status report (webhook) about one message, as recorded for GET /messages/{id}.
// applied is false when it changed nothing on the message (late, repeated, or after delivery).
struct StatusEvent {
    std::string message_id;
    std::string event_id;
    MessageStatus status = MessageStatus::kSent;
    TimeMs occurred_at = 0;  // the provider's time for it (the receipt time when it gave none)
    TimeMs received_at = 0;
    bool applied = false;
    std::string note;  // why the status did not move, or the failure reason
};

// A daily window in each customer's own time zone, minutes after midnight; end <= start crosses
// midnight (21:00 to 07:00).
struct QuietHours {
    int start_minute = 0;
    int end_minute = 0;
    bool operator==(const QuietHours&) const = default;
};

// Price of one delivered message per WhatsApp pricing category, in ten-thousandths of a rupee
// (1300 = ₹0.13): Meta's rates have four decimals. See notify/cost.h.
using PriceTable = std::map<std::string, std::int64_t, std::less<>>;
// MyOperator's published prices for India (myoperator-api.md).
inline PriceTable DefaultPrices() {
    return {{"authentication", 1300}, {"marketing", 8600}, {"service", 0}, {"utility", 1300}};
}

struct Settings {
    bool enabled = true;                          // false: new messages are refused
    bool paused = false;                          // true: messages are accepted and queued, nothing is sent
    int rollout_percent = 100;                    // share of business events that send (staged rollout)
    int recipient_min_gap_seconds = 0;            // minimum gap between two messages to one recipient; 0 = off
    std::optional<QuietHours> quiet_hours;        // templates flagged quiet_hours wait while inside it
    int order_cutoff_minute = 22 * 60;            // replies after it act from the day after tomorrow
    PriceTable message_prices = DefaultPrices();  // for the estimated spend in statistics and metrics
    TimeMs updated_at = 0;
    std::string updated_by;
};

struct ApiToken {
    std::string name;
    Role role = Role::kViewer;
    std::string token_hash;  // hex SHA-256 of the token; the token itself is never stored
    TimeMs created_at = 0;
    std::optional<TimeMs> expires_at;    // refused from then on; none: until revoked
    std::optional<TimeMs> last_used_at;  // recorded at most about once a minute, not per request
};

struct HistoryQuery {
    std::optional<std::string> phone;  // E.164
    std::optional<MessageStatus> status;
    std::optional<std::string> message_type;
    std::optional<TimeMs> since;  // created_at >= since
    std::optional<TimeMs> until;  // created_at < until
    int limit = 50;
    std::optional<std::int64_t> before_seq;  // cursor: only messages older than this
};

struct HistoryPage {
    std::vector<Message> items;
    std::optional<std::int64_t> next_before_seq;
};

struct StatsQuery {
    std::optional<TimeMs> since;
    std::optional<TimeMs> until;
};

struct StatusCounts {
    std::int64_t total = 0;
    std::int64_t queued = 0;     // queued or sending
    std::int64_t sent = 0;       // accepted by the provider: sent, delivered or read
    std::int64_t delivered = 0;  // delivered or read
    std::int64_t read = 0;
    std::int64_t failed = 0;
    std::int64_t suppressed = 0;
    std::int64_t skipped_rollout = 0;
};

struct Statistics {
    StatusCounts all;
    std::map<std::string, StatusCounts> by_type;
};

}  // namespace notify
