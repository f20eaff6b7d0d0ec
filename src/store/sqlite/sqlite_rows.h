#pragma once

// Rows <-> model types for the SQLite store, and the few look-ups several Store methods share.
// Included only by src/store/sqlite/*.cpp.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "store/store.h"

namespace notify {

// A list of strings as a JSON array column, and back (a stored value that is not one is a
// damaged database: StoreUnavailable naming `what`).
std::string ToJsonArray(const std::vector<std::string>& values);
std::vector<std::string> FromJsonArray(const std::string& text, std::string_view what);

std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view text);

// The columns of kSelectTemplates; the variants are read apart (kSelectTemplateVariants).
Template ReadTemplate(const Statement& row);
// The columns of kSelectMessage. Without `payload`, parameters, context_json and text stay empty:
// lists (GET /history) do not show them, and parsing the parameters' JSON was a good part of
// reading a row.
Message ReadMessage(const Statement& row, bool payload = true);
// The columns of kSelectAttempts.
Attempt ReadAttempt(const Statement& row, std::string_view operation);
// The columns of kSelectStatusEvents.
StatusEvent ReadStatusEvent(const Statement& row, std::string_view operation);

std::optional<Message> LoadMessage(SqliteConnection& connection, std::string_view id, std::string_view operation);
// The oldest message with that provider id, should the provider ever reuse one.
std::optional<Message> LoadMessageByProviderId(SqliteConnection& connection, std::string_view provider_message_id,
                                               std::string_view operation);
std::optional<Message> LoadMessageByKey(SqliteConnection& connection, std::string_view key, std::string_view operation);

// Records the event; false when its event_id was recorded before (nothing written then).
bool InsertWebhookEvent(SqliteConnection& connection, const WebhookEventRecord& event,
                        std::string_view provider_message_id, std::string_view outcome, std::string_view operation);
// False when a later change for the phone is already recorded (nothing written then).
bool UpsertOptOut(SqliteConnection& connection, std::string_view phone, bool opted_out, TimeMs at,
                  std::string_view operation);
bool PhoneOptedOut(SqliteConnection& connection, std::string_view phone, std::string_view operation);

}  // namespace notify
