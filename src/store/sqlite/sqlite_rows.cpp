#include "store/sqlite/sqlite_rows.h"

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace notify {

std::string ToJsonArray(const std::vector<std::string>& values) {
    // replace: a stray invalid UTF-8 byte must not make the message unstorable.
    return nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> FromJsonArray(const std::string& text, std::string_view what) {
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_array()) ThrowUnavailable(what, "stored value is not a JSON array");
    std::vector<std::string> values;
    values.reserve(json.size());
    for (const auto& item : json) {
        if (!item.is_string()) ThrowUnavailable(what, "stored array holds a non-string");
        values.push_back(item.get<std::string>());
    }
    return values;
}

namespace {

std::string Join(std::string_view a, std::string_view b) {
    std::string out(a);
    out += b;
    return out;
}

}  // namespace

std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view text) {
    for (AttemptOutcome outcome : {AttemptOutcome::kAccepted, AttemptOutcome::kRetryable, AttemptOutcome::kPermanent}) {
        if (ToString(outcome) == text) return outcome;
    }
    return std::nullopt;
}

Template ReadTemplate(const Statement& row) {
    Template tmpl;
    tmpl.name = row.Text(0);
    tmpl.description = row.Text(1);
    tmpl.language = row.Text(2);
    tmpl.provider_template_name = row.Text(3);
    tmpl.variables = FromJsonArray(row.Text(4), "read template " + tmpl.name);
    tmpl.body = row.Text(5);
    tmpl.category = row.Text(6);
    tmpl.enabled = row.Int(7) != 0;
    tmpl.updated_at = row.Int(8);
    tmpl.quiet_hours = row.Int(9) != 0;
    return tmpl;
}

Message ReadMessage(const Statement& row, bool payload) {
    Message m;
    m.seq = row.Int(0);
    m.id = row.Text(1);
    m.phone = row.Text(2);
    m.message_type = row.Text(3);
    m.provider_template_name = row.Text(4);
    m.language = row.Text(5);
    if (payload) {
        m.parameters = FromJsonArray(row.Text(6), "read message " + m.id);
        m.context_json = row.Text(7);
        m.text = row.OptText(20);
    }
    const std::string_view status = row.View(8);
    const auto parsed = ParseMessageStatus(status);
    if (!parsed) ThrowUnavailable("read message " + m.id, "unknown status '" + std::string(status) + "'");
    m.status = *parsed;
    m.provider_message_id = row.Text(9);
    m.attempts = static_cast<int>(row.Int(10));
    m.last_error = row.Text(11);
    m.idempotency_key = row.OptText(12);
    m.created_at = row.Int(13);
    m.updated_at = row.Int(14);
    m.sent_at = row.OptInt(15);
    m.delivered_at = row.OptInt(16);
    m.read_at = row.OptInt(17);
    m.failed_at = row.OptInt(18);
    m.next_attempt_at = row.OptInt(19);
    return m;
}

std::optional<Message> LoadMessage(SqliteConnection& connection, std::string_view id, std::string_view operation) {
    static const std::string kSql = Join(kSelectMessage, " WHERE l.id = ?1");
    Statement select(connection, kSql, operation);
    select.BindText(1, id);
    if (!select.Step()) return std::nullopt;
    return ReadMessage(select);
}

std::optional<Message> LoadMessageByProviderId(SqliteConnection& connection, std::string_view provider_message_id,
                                               std::string_view operation) {
    static const std::string kSql = Join(kSelectMessage, " WHERE l.provider_message_id = ?1 ORDER BY l.seq LIMIT 1");
    Statement select(connection, kSql, operation);
    select.BindText(1, provider_message_id);
    if (!select.Step()) return std::nullopt;
    return ReadMessage(select);
}

bool InsertWebhookEvent(SqliteConnection& connection, const WebhookEventRecord& event,
                        std::string_view provider_message_id, std::string_view outcome, std::string_view operation) {
    Statement insert(connection, kInsertWebhookEvent, operation);
    insert.BindText(1, event.event_id);
    insert.BindText(2, event.event_type);
    insert.BindInt(3, event.received_at);
    insert.BindOptInt(4, event.occurred_at);
    insert.BindTextOrNull(5, provider_message_id);
    insert.BindText(6, outcome);
    insert.Run();
    return sqlite3_changes(connection.db()) > 0;
}

bool UpsertOptOut(SqliteConnection& connection, std::string_view phone, bool opted_out, TimeMs at,
                  std::string_view operation) {
    Statement upsert(connection, kUpsertOptOut, operation);
    upsert.BindText(1, phone);
    upsert.BindInt(2, opted_out ? 1 : 0);
    upsert.BindInt(3, at);
    upsert.Run();
    return sqlite3_changes(connection.db()) > 0;
}

bool PhoneOptedOut(SqliteConnection& connection, std::string_view phone, std::string_view operation) {
    Statement select(connection, kSelectOptOut, operation);
    select.BindText(1, phone);
    return select.Step() && select.Int(0) != 0;
}

std::optional<Message> LoadMessageByKey(SqliteConnection& connection, std::string_view key,
                                        std::string_view operation) {
    static const std::string kSql = Join(kSelectMessage, " WHERE l.idempotency_key = ?1");
    Statement select(connection, kSql, operation);
    select.BindText(1, key);
    if (!select.Step()) return std::nullopt;
    return ReadMessage(select);
}

Attempt ReadAttempt(const Statement& row, std::string_view operation) {
    Attempt attempt;
    attempt.message_id = row.Text(0);
    attempt.number = static_cast<int>(row.Int(1));
    attempt.started_at = row.Int(2);
    attempt.latency_ms = static_cast<int>(row.Int(3));
    const std::string_view outcome = row.View(4);
    const auto parsed = ParseAttemptOutcome(outcome);
    if (!parsed) ThrowUnavailable(operation, "unknown attempt outcome '" + std::string(outcome) + "'");
    attempt.outcome = *parsed;
    attempt.http_status = static_cast<int>(row.Int(5));
    attempt.error = row.Text(6);
    attempt.provider_message_id = row.Text(7);
    attempt.stops_all_sending = row.Int(8) != 0;
    return attempt;
}

StatusEvent ReadStatusEvent(const Statement& row, std::string_view operation) {
    StatusEvent event;
    event.message_id = row.Text(0);
    event.event_id = row.Text(1);
    const std::string_view status = row.View(2);
    const auto parsed = ParseMessageStatus(status);
    if (!parsed) ThrowUnavailable(operation, "unknown status '" + std::string(status) + "'");
    event.status = *parsed;
    event.occurred_at = row.Int(3);
    event.received_at = row.Int(4);
    event.applied = row.Int(5) != 0;
    event.note = row.Text(6);
    return event;
}

}  // namespace notify
