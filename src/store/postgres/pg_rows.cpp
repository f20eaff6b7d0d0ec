#include "store/postgres/pg_rows.h"

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "notify/counters.h"
#include "notify/enqueue_rules.h"

namespace notify {
namespace {

const std::string kSelectMessageById = std::string("SELECT ") + kPgMessageColumns +
                                       " FROM notifications_log AS l LEFT JOIN notifications_queue AS q"
                                       " ON q.message_id = l.id WHERE l.id = $1";
const std::string kSelectMessageByKey = std::string("SELECT ") + kPgMessageColumns +
                                        " FROM notifications_log AS l LEFT JOIN notifications_queue AS q"
                                        " ON q.message_id = l.id WHERE l.idempotency_key = $1";

// A repeated idempotency key is a no-op; a repeated id stays an error (a unique violation).
const std::string kInsertMessage =
    std::string("INSERT INTO notifications_log (") + kPgMessageInsertColumns +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    " ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING seq";
constexpr const char* kInsertQueueEntry =
    "INSERT INTO notifications_queue (message_id, next_attempt_at, lease_owner, lease_expires_at, enqueued_at)"
    " VALUES ($1, $2, $3, $4, $5)";
constexpr const char* kInsertWebhookEvent =
    "INSERT INTO webhook_events (event_id, event_type, received_at, occurred_at, provider_message_id, outcome)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING";
// Only a change at least as recent as the one in force replaces it (STOP and START out of order).
constexpr const char* kUpsertOptOut =
    "INSERT INTO opt_outs (phone, opted_out, opted_out_at, updated_at)"
    " VALUES ($1, $2, CASE WHEN $2::boolean THEN $3::bigint END, $3)"
    " ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out,"
    " opted_out_at = CASE WHEN excluded.opted_out THEN excluded.updated_at ELSE opt_outs.opted_out_at END,"
    " updated_at = excluded.updated_at"
    " WHERE excluded.updated_at >= opt_outs.updated_at";
constexpr const char* kSelectOptOut = "SELECT opted_out FROM opt_outs WHERE phone = $1";

}  // namespace

std::string PgJsonArray(const std::vector<std::string>& values) {
    // replace: a stray invalid UTF-8 byte must not make the message unstorable.
    return nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> PgFromJsonArray(const std::string& text, std::string_view what) {
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_array()) ThrowPgUnavailable(what, "stored value is not a JSON array");
    std::vector<std::string> values;
    values.reserve(json.size());
    for (const auto& item : json) {
        if (!item.is_string()) ThrowPgUnavailable(what, "stored array holds a non-string");
        values.push_back(item.get<std::string>());
    }
    return values;
}

Message PgReadMessage(const PgResult& r, int row, bool payload) {
    Message m;
    m.seq = r.Int(row, 0);
    m.id = r.Text(row, 1);
    m.phone = r.Text(row, 2);
    m.message_type = r.Text(row, 3);
    m.provider_template_name = r.Text(row, 4);
    m.language = r.Text(row, 5);
    if (payload) {
        m.parameters = PgFromJsonArray(r.Text(row, 6), "read message " + m.id);
        m.context_json = r.Text(row, 7);
        m.text = r.OptText(row, 20);
    }
    const std::string_view status = r.View(row, 8);
    const auto parsed = ParseMessageStatus(status);
    if (!parsed) ThrowPgUnavailable("read message " + m.id, "unknown status '" + std::string(status) + "'");
    m.status = *parsed;
    m.provider_message_id = r.Text(row, 9);
    m.attempts = static_cast<int>(r.Int(row, 10));
    m.last_error = r.Text(row, 11);
    m.idempotency_key = r.OptText(row, 12);
    m.created_at = r.Int(row, 13);
    m.updated_at = r.Int(row, 14);
    m.sent_at = r.OptInt(row, 15);
    m.delivered_at = r.OptInt(row, 16);
    m.read_at = r.OptInt(row, 17);
    m.failed_at = r.OptInt(row, 18);
    m.next_attempt_at = r.OptInt(row, 19);
    return m;
}

std::optional<Message> PgLoadMessage(PgConnection& c, std::string_view id, std::string_view operation) {
    const PgResult r = c.Run(kSelectMessageById.c_str(), PgParams().Text(id), operation);
    if (r.Rows() == 0) return std::nullopt;
    return PgReadMessage(r, 0);
}

EnqueueDecision PgDecideStored(Message& stored, bool opted_out, bool claim) {
    const EnqueueDecision decision = DecideEnqueue(stored.status, opted_out, claim);
    stored.status = decision.status;
    if (stored.updated_at == 0) stored.updated_at = stored.created_at;
    stored.next_attempt_at.reset();
    return decision;
}

std::vector<std::optional<std::string>> PgMessageRow(const Message& stored) {
    const auto text = [](std::string_view value) { return std::optional<std::string>(std::string(value)); };
    const auto integer = [](std::optional<std::int64_t> value) {
        return value ? std::optional<std::string>(std::to_string(*value)) : std::nullopt;
    };
    return {text(stored.id),
            text(stored.phone),
            text(stored.message_type),
            text(stored.provider_template_name),
            text(stored.language),
            text(PgJsonArray(stored.parameters)),
            text(stored.context_json),
            text(ToString(stored.status)),
            stored.provider_message_id.empty() ? std::nullopt : text(stored.provider_message_id),
            integer(stored.attempts),
            text(stored.last_error),
            stored.idempotency_key,
            integer(stored.created_at),
            integer(stored.updated_at),
            integer(stored.sent_at),
            integer(stored.delivered_at),
            integer(stored.read_at),
            integer(stored.failed_at),
            stored.text};
}

EnqueueResult PgEnqueueOne(PgConnection& c, const Message& message, TimeMs next_attempt_at,
                           const std::optional<Lease>& claim, std::string_view operation) {
    Message stored = message;
    // Read in the transaction that stores the message: a STOP recorded before it is never missed.
    const bool opted_out = NeedsQueueEntry(stored.status) && PgPhoneOptedOut(c, stored.phone, operation);
    const EnqueueDecision decision = PgDecideStored(stored, opted_out, claim.has_value());

    PgParams params;
    for (const std::optional<std::string>& value : PgMessageRow(stored)) params.OptText(value);
    const PgResult inserted = c.Run(kInsertMessage.c_str(), params, operation);
    if (inserted.Rows() == 0) {
        // The idempotency key is taken (by an earlier message, or one committed meanwhile).
        std::optional<Message> first;
        if (message.idempotency_key) {
            const PgResult r = c.Run(kSelectMessageByKey.c_str(), PgParams().Text(*message.idempotency_key), operation);
            if (r.Rows() > 0) first = PgReadMessage(r, 0);
        }
        if (!first) ThrowPgUnavailable(operation, "insert ignored but no message holds its idempotency key");
        return EnqueueResult{std::move(*first), false};
    }
    stored.seq = inserted.Int(0, 0);
    if (decision.queue_entry) {
        PgParams queue;
        queue.Text(stored.id).Int(next_attempt_at);
        if (decision.leased) {
            queue.Text(claim->owner).Int(claim->expires_at);
        } else {
            queue.Null().Null();
        }
        queue.Int(stored.created_at);
        c.Run(kInsertQueueEntry, queue, operation);
        stored.next_attempt_at = next_attempt_at;
    }
    c.AddCounters(CounterChangesForInsert(stored.created_at, stored.message_type, stored.status));
    return EnqueueResult{std::move(stored), true};
}

bool PgInsertWebhookEvent(PgConnection& c, const WebhookEventRecord& event, std::string_view provider_message_id,
                          std::string_view outcome, std::string_view operation) {
    PgParams params;
    params.Text(event.event_id)
        .Text(event.event_type)
        .Int(event.received_at)
        .OptInt(event.occurred_at)
        .TextOrNull(provider_message_id)
        .Text(outcome);
    return c.Run(kInsertWebhookEvent, params, operation).Affected() > 0;
}

bool PgUpsertOptOut(PgConnection& c, std::string_view phone, bool opted_out, TimeMs at, std::string_view operation) {
    return c.Run(kUpsertOptOut, PgParams().Text(phone).Bool(opted_out).Int(at), operation).Affected() > 0;
}

bool PgPhoneOptedOut(PgConnection& c, std::string_view phone, std::string_view operation) {
    const PgResult r = c.Run(kSelectOptOut, PgParams().Text(phone), operation);
    return r.Rows() > 0 && r.Bool(0, 0);
}

}  // namespace notify
