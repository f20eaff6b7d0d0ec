#pragma once

// Every SQL statement of the PostgreSQL store's Store methods, in one place, by name; each is
// prepared once per connection (PgConnection::Run). Values are always bound, never spliced in.
// Text is ordered COLLATE "C" (by bytes), as SQLite orders it, whatever the database's locale.
// The business rows' statements are in pg_business.cpp, the statistics' in pg_stats.cpp.
// Included only by src/store/postgres/*.cpp.

#include <string>

#include "store/postgres/pg_rows.h"

namespace notify {

inline constexpr const char* kPgCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
inline constexpr const char* kPgMigrationsTableExists = "SELECT to_regclass('schema_migrations') IS NOT NULL";
inline constexpr const char* kPgSelectMigrations =
    "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";
inline constexpr const char* kPgMigrationApplied = "SELECT 1 FROM schema_migrations WHERE version = $1";
inline constexpr const char* kPgInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
inline constexpr const char* kPgDeleteMigration = "DELETE FROM schema_migrations WHERE version = $1";
inline constexpr const char* kPgMigrationLock = "SELECT pg_advisory_lock($1)";
inline constexpr const char* kPgMigrationUnlock = "SELECT pg_advisory_unlock($1)";

inline constexpr const char* kPgPing = "SELECT 1";

inline constexpr const char* kPgSelectTemplates =
    "SELECT name, description, language, provider_template_name, variables, body, category, enabled, updated_at,"
    " quiet_hours FROM notification_templates ORDER BY name COLLATE \"C\"";
inline constexpr const char* kPgSelectTemplate =
    "SELECT name, description, language, provider_template_name, variables, body, category, enabled, updated_at,"
    " quiet_hours FROM notification_templates WHERE name = $1";
inline constexpr const char* kPgUpdateTemplate =
    "UPDATE notification_templates SET description = $2, language = $3, provider_template_name = $4,"
    " variables = $5, body = $6, category = $7, enabled = $8, updated_at = $9, quiet_hours = $10 WHERE name = $1";
inline constexpr const char* kPgSelectAllTemplateVariants =
    "SELECT template_name, language, body FROM notification_template_variants"
    " ORDER BY template_name COLLATE \"C\", language COLLATE \"C\"";
inline constexpr const char* kPgSelectTemplateVariants =
    "SELECT template_name, language, body FROM notification_template_variants WHERE template_name = $1"
    " ORDER BY language COLLATE \"C\"";
inline constexpr const char* kPgDeleteTemplateVariants =
    "DELETE FROM notification_template_variants WHERE template_name = $1";
inline constexpr const char* kPgInsertTemplateVariant =
    "INSERT INTO notification_template_variants (template_name, language, body) VALUES ($1, $2, $3)";

inline constexpr const char* kPgSelectSettings =
    "SELECT enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at, updated_by,"
    " quiet_start_minute, quiet_end_minute, order_cutoff_minute, message_prices FROM notification_settings"
    " WHERE id = 1";
inline constexpr const char* kPgUpsertSettings =
    "INSERT INTO notification_settings"
    " (id, enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at, updated_by,"
    " quiet_start_minute, quiet_end_minute, order_cutoff_minute, message_prices)"
    " VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    " ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, paused = excluded.paused,"
    " rollout_percent = excluded.rollout_percent, recipient_min_gap_seconds = excluded.recipient_min_gap_seconds,"
    " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
    " quiet_start_minute = excluded.quiet_start_minute, quiet_end_minute = excluded.quiet_end_minute,"
    " order_cutoff_minute = excluded.order_cutoff_minute, message_prices = excluded.message_prices";

inline constexpr const char* kPgInsertToken =
    "INSERT INTO api_tokens (name, role, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
inline constexpr const char* kPgSelectToken =
    "SELECT name, role, token_hash, created_at, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1";
inline constexpr const char* kPgListTokens =
    "SELECT name, role, token_hash, created_at, expires_at, last_used_at FROM api_tokens ORDER BY created_at, id";
inline constexpr const char* kPgDeleteTokensNamed = "DELETE FROM api_tokens WHERE name = $1";
// Never moves last_used_at backwards (two nodes, or two requests, recording at once).
inline constexpr const char* kPgRecordTokenUse =
    "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND (last_used_at IS NULL OR last_used_at < $2)";

// Puts an entry back in line, free, whether or not it is still there.
inline constexpr const char* kPgUpsertQueueEntry =
    "INSERT INTO notifications_queue (message_id, next_attempt_at, lease_owner, lease_expires_at, enqueued_at)"
    " VALUES ($1, $2, NULL, NULL, $3)"
    " ON CONFLICT (message_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at, lease_owner = NULL,"
    " lease_expires_at = NULL";
inline constexpr const char* kPgDeleteQueueEntry = "DELETE FROM notifications_queue WHERE message_id = $1";
// The ends of an attempt apply only while the caller still holds the entry's lease.
inline constexpr const char* kPgRescheduleLeasedEntry =
    "UPDATE notifications_queue SET next_attempt_at = $2, lease_owner = NULL, lease_expires_at = NULL"
    " WHERE message_id = $1 AND lease_owner = $3";
inline constexpr const char* kPgDeleteLeasedEntry =
    "DELETE FROM notifications_queue WHERE message_id = $1 AND lease_owner = $2";

// SKIP LOCKED: several processes claim from one queue without waiting for, or taking, each other's.
inline constexpr const char* kPgSelectDue =
    "SELECT message_id FROM notifications_queue"
    " WHERE next_attempt_at <= $1 AND (lease_owner IS NULL OR lease_expires_at <= $1)"
    " ORDER BY next_attempt_at, enqueued_at LIMIT $2 FOR UPDATE SKIP LOCKED";
// A forced pass also takes retries whose time has not come, not a message never attempted (quiet
// hours hold those until the morning). Only the queue rows are locked.
inline constexpr const char* kPgSelectDueForced =
    "SELECT q.message_id FROM notifications_queue AS q JOIN notifications_log AS l ON l.id = q.message_id"
    " WHERE (q.next_attempt_at <= $1 OR l.attempts > 0) AND (q.lease_owner IS NULL OR q.lease_expires_at <= $1)"
    " ORDER BY q.next_attempt_at, q.enqueued_at LIMIT $2 FOR UPDATE OF q SKIP LOCKED";
// $1 is the JSON array of the chosen ids.
// `= ANY (ARRAY(...))`, not `IN (SELECT ...)`: the set-returning function is guessed at 100 rows,
// and against that guess the semi-join read the whole queue (a sequential scan per claim, the
// bottleneck of dispatch); an array from an init plan is looked up in the key's index.
// kPgMarkEntriesSending's status test is wrapped in IS TRUE so that it stays a filter on the rows
// found by id: a backlog queued faster than autovacuum re-analyses the table made the planner
// also read the status index, every queued message of it, per claim.
inline constexpr const char* kPgLeaseEntries =
    "UPDATE notifications_queue SET lease_owner = $2, lease_expires_at = $3"
    " WHERE message_id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))";
inline constexpr const char* kPgMarkEntriesSending =
    "UPDATE notifications_log SET status = 'sending', updated_at = $2"
    " WHERE id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))"
    " AND (status IN ('queued', 'sending')) IS TRUE";
// The claimed messages in the order chosen.
inline const std::string kPgSelectClaimed =
    std::string("SELECT ") + kPgMessageColumns +
    " FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS j (id, position)"
    " JOIN notifications_log AS l ON l.id = j.id LEFT JOIN notifications_queue AS q ON q.message_id = l.id"
    " ORDER BY j.position";

inline constexpr const char* kPgInsertAttempt =
    "INSERT INTO message_attempts (message_id, number, started_at, latency_ms, outcome, http_status, error,"
    " provider_message_id, stops_all_sending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
// What a message is counted under, locked for the status change that follows.
inline constexpr const char* kPgSelectCounterKeyForUpdate =
    "SELECT status, created_at, message_type FROM notifications_log WHERE id = $1 FOR UPDATE";
// A status never moves backwards: a delivery webhook may have landed before the send was recorded.
inline constexpr const char* kPgApplyAttempt =
    "UPDATE notifications_log SET"
    " attempts = GREATEST(attempts, $2),"
    " last_error = $3,"
    " status = CASE WHEN status IN ('sent', 'delivered', 'read') THEN status ELSE $4 END,"
    " provider_message_id = COALESCE($5, provider_message_id),"
    " sent_at = CASE WHEN $4 = 'sent' THEN COALESCE(sent_at, $6) ELSE sent_at END,"
    " failed_at = CASE WHEN $4 = 'failed' AND status NOT IN ('sent', 'delivered', 'read') THEN $6 ELSE failed_at"
    " END,"
    " updated_at = $6"
    " WHERE id = $1";
inline constexpr const char* kPgSelectAttempts =
    "SELECT message_id, number, started_at, latency_ms, outcome, http_status, error, provider_message_id,"
    " stops_all_sending FROM message_attempts WHERE message_id = $1 ORDER BY number, id";

inline constexpr const char* kPgReleaseLease =
    "UPDATE notifications_queue SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = $3"
    " WHERE message_id = $1 AND lease_owner = $2";
inline constexpr const char* kPgMarkQueued =
    "UPDATE notifications_log SET status = 'queued' WHERE id = $1 AND status = 'sending'";
inline constexpr const char* kPgRequeueFailed =
    "UPDATE notifications_log SET status = 'queued', failed_at = NULL, updated_at = $2"
    " WHERE id = $1 AND status = 'failed' RETURNING created_at, message_type";

// The oldest message with that provider id, locked for the status change that follows.
inline const std::string kPgSelectMessageByProviderIdForUpdate =
    std::string("SELECT ") + kPgMessageColumns +
    " FROM notifications_log AS l LEFT JOIN notifications_queue AS q ON q.message_id = l.id"
    " WHERE l.provider_message_id = $1 ORDER BY l.seq LIMIT 1 FOR UPDATE OF l";
inline constexpr const char* kPgApplyStatusReport =
    "UPDATE notifications_log SET status = $2, sent_at = $3, delivered_at = $4, read_at = $5, failed_at = $6,"
    " last_error = $7, updated_at = $8 WHERE id = $1";
inline constexpr const char* kPgInsertStatusEvent =
    "INSERT INTO message_status_events (message_id, event_id, status, occurred_at, received_at, applied, note)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)";
inline constexpr const char* kPgSelectStatusEvents =
    "SELECT message_id, event_id, status, occurred_at, received_at, applied, note"
    " FROM message_status_events WHERE message_id = $1 ORDER BY id";

inline constexpr const char* kPgMarkSuppressed =
    "UPDATE notifications_log SET status = 'suppressed', last_error = $3, updated_at = $2"
    " WHERE id = $1 AND status IN ('queued', 'sending') RETURNING created_at, message_type";

// Retention: final statuses only, oldest first; rows another transaction holds are left for the
// next batch (SKIP LOCKED) rather than waited for. Attempts and status reports go with their
// message (ON DELETE CASCADE), and the delete trigger takes them out of the counters.
inline constexpr const char* kPgPurgeMessages =
    "DELETE FROM notifications_log WHERE seq IN (SELECT seq FROM notifications_log"
    " WHERE created_at < $1 AND status IN ('sent', 'delivered', 'read', 'failed', 'suppressed', 'skipped_rollout')"
    " ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)";
inline constexpr const char* kPgPurgeWebhookEvents =
    "DELETE FROM webhook_events WHERE event_id IN (SELECT event_id FROM webhook_events WHERE received_at < $1"
    " ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)";

// From the all-time counters, whose 'queued' rows count queued and sending messages.
inline constexpr const char* kPgQueueDepth =
    "SELECT COALESCE(SUM(count), 0)::BIGINT FROM stats_total WHERE status = 'queued'";
// A leased entry becomes claimable when its lease expires (if it is due by then).
inline constexpr const char* kPgNextDue =
    "SELECT MIN(due) FROM ("
    " (SELECT next_attempt_at AS due FROM notifications_queue WHERE lease_owner IS NULL"
    "  ORDER BY next_attempt_at LIMIT 1)"
    " UNION ALL"
    " SELECT GREATEST(next_attempt_at, lease_expires_at) FROM notifications_queue WHERE lease_owner IS NOT NULL)"
    " AS d";

}  // namespace notify
