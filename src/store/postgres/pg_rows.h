#pragma once

// Rows <-> model types for the PostgreSQL store, and the routines several of its methods share.
// Included only by src/store/postgres/*.cpp.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Stores one message inside the caller's transaction, by the rules of Store::Enqueue (opt-out read
// in the same transaction, DecideEnqueue, a repeated idempotency key returns the first message),
// its counter changes added to c.counters(). The one routine of Enqueue, EnqueueBatch and the
// business writes' outbox.
EnqueueResult PgEnqueueOne(PgConnection& c, const Message& message, TimeMs next_attempt_at,
                           const std::optional<Lease>& claim, std::string_view operation);

// Records the event; false when its event_id was recorded before (nothing written then).
bool PgInsertWebhookEvent(PgConnection& c, const WebhookEventRecord& event, std::string_view provider_message_id,
                          std::string_view outcome, std::string_view operation);
// False when a later change for the phone is already recorded (nothing written then).
bool PgUpsertOptOut(PgConnection& c, std::string_view phone, bool opted_out, TimeMs at, std::string_view operation);
bool PgPhoneOptedOut(PgConnection& c, std::string_view phone, std::string_view operation);

}  // namespace notify
