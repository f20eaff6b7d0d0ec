#pragma once

// Rows <-> model types for the PostgreSQL store, and the routines several of its methods share.
// Included only by src/store/postgres/*.cpp.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/enqueue_rules.h"
#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace notify {

// A list of strings as a JSON array (a JSONB column), and back.
std::string PgJsonArray(const std::vector<std::string>& values);
std::vector<std::string> PgFromJsonArray(const std::string& text, std::string_view what);

// The columns of kPgSelectMessage, in order (the queue join gives next_attempt_at). Without
// `payload`, parameters, context_json and text stay empty (history lists do not show them).
inline constexpr const char* kPgMessageColumns =
    "l.seq, l.id, l.phone, l.message_type, l.provider_template_name, l.language, l.parameters, l.context,"
    " l.status, l.provider_message_id, l.attempts, l.last_error, l.idempotency_key, l.created_at, l.updated_at,"
    " l.sent_at, l.delivered_at, l.read_at, l.failed_at, q.next_attempt_at, l.text_body";
Message PgReadMessage(const PgResult& result, int row, bool payload = true);

std::optional<Message> PgLoadMessage(PgConnection& c, std::string_view id, std::string_view operation);

// The columns notifications_log is written with, in the order of PgMessageRow's values.
inline constexpr const char* kPgMessageInsertColumns =
    "id, phone, message_type, provider_template_name, language, parameters, context, status,"
    " provider_message_id, attempts, last_error, idempotency_key, created_at, updated_at, sent_at,"
    " delivered_at, read_at, failed_at, text_body";
// The values of kPgMessageInsertColumns for a message, as PgParams sends them (nullopt is NULL).
std::vector<std::optional<std::string>> PgMessageRow(const Message& stored);

// Applies DecideEnqueue to the message about to be stored (its status, updated_at defaulting to
// created_at, no next_attempt_at until a queue entry is made) and returns the decision.
EnqueueDecision PgDecideStored(Message& stored, bool opted_out, bool claim);

// Stores one message inside the caller's transaction, by the rules of Store::Enqueue (opt-out read
// in the same transaction, DecideEnqueue, a repeated idempotency key returns the first message),
// its counter changes added to c.counters(). The one routine of Enqueue, EnqueueBatch and the
// business writes' outbox.
EnqueueResult PgEnqueueOne(PgConnection& c, const Message& message, TimeMs next_attempt_at,
                           const std::optional<Lease>& claim, std::string_view operation);

// Stores many messages inside the caller's transaction by the rules of Store::EnqueueBatch, with a
// few set-based statements whatever their number: one opt-out read, one insert of the messages (in
// input order, so their seq ascend with it), one read of the messages holding keys the insert found
// taken, one insert of the queue entries. Results and counter changes as PgEnqueueOne's per item.
std::vector<EnqueueResult> PgEnqueueMany(PgConnection& c, const std::vector<Message>& messages, TimeMs next_attempt_at,
                                         std::string_view operation);

// Records the event; false when its event_id was recorded before (nothing written then).
bool PgInsertWebhookEvent(PgConnection& c, const WebhookEventRecord& event, std::string_view provider_message_id,
                          std::string_view outcome, std::string_view operation);
// False when a later change for the phone is already recorded (nothing written then).
bool PgUpsertOptOut(PgConnection& c, std::string_view phone, bool opted_out, TimeMs at, std::string_view operation);
bool PgPhoneOptedOut(PgConnection& c, std::string_view phone, std::string_view operation);

}  // namespace notify
