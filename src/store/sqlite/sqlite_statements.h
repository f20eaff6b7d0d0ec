#pragma once

// Every SQL statement the SQLite store runs, in one place, by name. Values are always bound, never
// spliced in. Included only by src/store/sqlite/*.cpp.

namespace notify {

// synchronous = FULL: a commit reaches the disk (fsync of the WAL) before the caller is answered, so
// an accepted message survives a power cut as well as a crash. Group commit (below) shares that
// fsync among the writes that arrive together.
inline constexpr const char* kWriterPragmas =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
// query_only: a reader connection that tried to write would be a bug here, not a second writer.
inline constexpr const char* kReaderPragmas =
    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA query_only = ON;";
inline constexpr const char* kJournalMode = "PRAGMA journal_mode";

inline constexpr const char* kBegin = "BEGIN IMMEDIATE";
inline constexpr const char* kCommit = "COMMIT";
inline constexpr const char* kRollback = "ROLLBACK";
// Each write of a group runs inside its own savepoint, so that one that fails is undone alone.
inline constexpr const char* kSavepoint = "SAVEPOINT group_member";
inline constexpr const char* kReleaseSavepoint = "RELEASE group_member";
inline constexpr const char* kRollbackToSavepoint = "ROLLBACK TO group_member";

inline constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
inline constexpr const char* kMigrationsTableExists =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
inline constexpr const char* kSelectMigrations =
    "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";
inline constexpr const char* kMigrationApplied = "SELECT 1 FROM schema_migrations WHERE version = ?1";
inline constexpr const char* kInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";
inline constexpr const char* kDeleteMigration = "DELETE FROM schema_migrations WHERE version = ?1";

// Reads page 1, so a vanished or corrupt file fails here rather than later.
inline constexpr const char* kPing = "SELECT COUNT(*) FROM sqlite_master";

inline constexpr const char* kSelectTemplates =
    "SELECT name, description, language, provider_template_name, variables, body, category, enabled, updated_at,"
    " quiet_hours FROM notification_templates ORDER BY name";
inline constexpr const char* kSelectTemplate =
    "SELECT name, description, language, provider_template_name, variables, body, category, enabled, updated_at,"
    " quiet_hours FROM notification_templates WHERE name = ?1";
inline constexpr const char* kUpdateTemplate =
    "UPDATE notification_templates SET description = ?2, language = ?3, provider_template_name = ?4, variables = ?5,"
    " body = ?6, category = ?7, enabled = ?8, updated_at = ?9, quiet_hours = ?10 WHERE name = ?1";
// Migration 0010. The order here is only the primary key's; NormalizeVariants puts the default first.
inline constexpr const char* kSelectAllTemplateVariants =
    "SELECT template_name, language, body FROM notification_template_variants ORDER BY template_name, language";
inline constexpr const char* kSelectTemplateVariants =
    "SELECT template_name, language, body FROM notification_template_variants WHERE template_name = ?1"
    " ORDER BY language";
inline constexpr const char* kDeleteTemplateVariants =
    "DELETE FROM notification_template_variants WHERE template_name = ?1";
inline constexpr const char* kInsertTemplateVariant =
    "INSERT INTO notification_template_variants (template_name, language, body) VALUES (?1, ?2, ?3)";

inline constexpr const char* kSelectSettings =
    "SELECT enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at, updated_by,"
    " quiet_start_minute, quiet_end_minute, order_cutoff_minute, message_prices FROM notification_settings"
    " WHERE id = 1";
inline constexpr const char* kUpsertSettings =
    "INSERT INTO notification_settings"
    " (id, enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at, updated_by,"
    " quiet_start_minute, quiet_end_minute, order_cutoff_minute, message_prices)"
    " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, paused = excluded.paused,"
    " rollout_percent = excluded.rollout_percent, recipient_min_gap_seconds = excluded.recipient_min_gap_seconds,"
    " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
    " quiet_start_minute = excluded.quiet_start_minute, quiet_end_minute = excluded.quiet_end_minute,"
    " order_cutoff_minute = excluded.order_cutoff_minute, message_prices = excluded.message_prices";

inline constexpr const char* kInsertToken =
    "INSERT INTO api_tokens (name, role, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr const char* kSelectToken =
    "SELECT name, role, token_hash, created_at, expires_at, last_used_at FROM api_tokens WHERE token_hash = ?1";
inline constexpr const char* kListTokens =
    "SELECT name, role, token_hash, created_at, expires_at, last_used_at FROM api_tokens ORDER BY created_at, id";
inline constexpr const char* kDeleteTokensNamed = "DELETE FROM api_tokens WHERE name = ?1";
// Never moves last_used_at backwards (two nodes, or two requests, recording at once).
inline constexpr const char* kRecordTokenUse =
    "UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)";

// The columns ReadMessage expects, in this order; the queue join gives next_attempt_at.
inline constexpr const char* kSelectMessage =
    "SELECT l.seq, l.id, l.phone, l.message_type, l.provider_template_name, l.language, l.parameters, l.context,"
    " l.status, l.provider_message_id, l.attempts, l.last_error, l.idempotency_key, l.created_at, l.updated_at,"
    " l.sent_at, l.delivered_at, l.read_at, l.failed_at, q.next_attempt_at, l.text_body"
    " FROM notifications_log AS l LEFT JOIN notifications_queue AS q ON q.message_id = l.id";

// The conflict target makes a repeated idempotency key a no-op, while a repeated id stays an error.
// No RETURNING: SQLite runs it through a temporary table, which costs more than the insert itself;
// sqlite3_changes and sqlite3_last_insert_rowid tell the same.
inline constexpr const char* kInsertMessage =
    "INSERT INTO notifications_log (id, phone, message_type, provider_template_name, language, parameters, context,"
    " status, provider_message_id, attempts, last_error, idempotency_key, created_at, updated_at, sent_at,"
    " delivered_at, read_at, failed_at, text_body)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
    " ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING";
inline constexpr const char* kInsertQueueEntry =
    "INSERT INTO notifications_queue (message_id, next_attempt_at, lease_owner, lease_expires_at, enqueued_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
// Puts an entry back in line, free, whether or not it is still there.
inline constexpr const char* kUpsertQueueEntry =
    "INSERT INTO notifications_queue (message_id, next_attempt_at, lease_owner, lease_expires_at, enqueued_at)"
    " VALUES (?1, ?2, NULL, NULL, ?3)"
    " ON CONFLICT (message_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at, lease_owner = NULL,"
    " lease_expires_at = NULL";
inline constexpr const char* kDeleteQueueEntry = "DELETE FROM notifications_queue WHERE message_id = ?1";
// The ends of an attempt apply only while the caller still holds the entry's lease: if another
// worker has claimed it since (this one's lease expired) or finished it (the entry is gone),
// nothing changes, and recreating the entry would send the message twice.
inline constexpr const char* kRescheduleLeasedEntry =
    "UPDATE notifications_queue SET next_attempt_at = ?2, lease_owner = NULL, lease_expires_at = NULL"
    " WHERE message_id = ?1 AND lease_owner = ?3";
inline constexpr const char* kDeleteLeasedEntry =
    "DELETE FROM notifications_queue WHERE message_id = ?1 AND lease_owner = ?2";

inline constexpr const char* kSelectDue =
    "SELECT message_id FROM notifications_queue"
    " WHERE next_attempt_at <= ?1 AND (lease_owner IS NULL OR lease_expires_at <= ?1)"
    " ORDER BY next_attempt_at, enqueued_at LIMIT ?2";
// A forced pass (POST /process-queue?force=true) also takes retries whose time has not come, but not
// a message never attempted whose time has not come: quiet hours hold those until morning.
inline constexpr const char* kSelectDueForced =
    "SELECT q.message_id FROM notifications_queue AS q JOIN notifications_log AS l ON l.id = q.message_id"
    " WHERE (q.next_attempt_at <= ?1 OR l.attempts > 0) AND (q.lease_owner IS NULL OR q.lease_expires_at <= ?1)"
    " ORDER BY q.next_attempt_at, q.enqueued_at LIMIT ?2";
// A claim is set-based: the due entries are chosen once, then leased, marked sending and read back
// with one statement each, whatever their number; ?1 is the JSON array of the chosen ids.
inline constexpr const char* kLeaseEntries =
    "UPDATE notifications_queue SET lease_owner = ?2, lease_expires_at = ?3"
    " WHERE message_id IN (SELECT value FROM json_each(?1))";
// `+status`: found by id; without the + the planner walks the status index over every queued message.
inline constexpr const char* kMarkEntriesSending =
    "UPDATE notifications_log SET status = 'sending', updated_at = ?2"
    " WHERE id IN (SELECT value FROM json_each(?1)) AND +status IN ('queued', 'sending')";
// The claimed messages in the order chosen (json_each's key is the index in the array).
inline constexpr const char* kSelectClaimed =
    "SELECT l.seq, l.id, l.phone, l.message_type, l.provider_template_name, l.language, l.parameters, l.context,"
    " l.status, l.provider_message_id, l.attempts, l.last_error, l.idempotency_key, l.created_at, l.updated_at,"
    " l.sent_at, l.delivered_at, l.read_at, l.failed_at, q.next_attempt_at, l.text_body"
    " FROM json_each(?1) AS j JOIN notifications_log AS l ON l.id = j.value"
    " LEFT JOIN notifications_queue AS q ON q.message_id = l.id ORDER BY j.key";

inline constexpr const char* kInsertAttempt =
    "INSERT INTO message_attempts (message_id, number, started_at, latency_ms, outcome, http_status, error,"
    " provider_message_id, stops_all_sending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
// A status never moves backwards: a delivery webhook may have landed before the send was recorded.
inline constexpr const char* kApplyAttempt =
    "UPDATE notifications_log SET"
    " attempts = MAX(attempts, ?2),"
    " last_error = ?3,"
    " status = CASE WHEN status IN ('sent', 'delivered', 'read') THEN status ELSE ?4 END,"
    " provider_message_id = COALESCE(?5, provider_message_id),"
    " sent_at = CASE WHEN ?4 = 'sent' THEN COALESCE(sent_at, ?6) ELSE sent_at END,"
    " failed_at = CASE WHEN ?4 = 'failed' AND status NOT IN ('sent', 'delivered', 'read') THEN ?6 ELSE failed_at END,"
    " updated_at = ?6"
    " WHERE id = ?1";
inline constexpr const char* kSelectAttempts =
    "SELECT message_id, number, started_at, latency_ms, outcome, http_status, error, provider_message_id,"
    " stops_all_sending FROM message_attempts WHERE message_id = ?1 ORDER BY number, id";

inline constexpr const char* kReleaseLease =
    "UPDATE notifications_queue SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = ?3"
    " WHERE message_id = ?1 AND lease_owner = ?2";
inline constexpr const char* kMarkQueued =
    "UPDATE notifications_log SET status = 'queued' WHERE id = ?1 AND status = 'sending'";

inline constexpr const char* kRequeueFailed =
    "UPDATE notifications_log SET status = 'queued', failed_at = NULL, updated_at = ?2"
    " WHERE id = ?1 AND status = 'failed'";

// Statistics (migrations 0004 and 0005): counters per hour, per day and for all time of
// (message type, current status), and for the partial hours at the ends of a range the covering
// index on (created_at, message_type, status). The counter rows are summed here, not by SQL:
// they come in key order and a GROUP BY would sort them first.
// The group's summed counter changes (SumCounterChanges), one upsert per counter row.
inline constexpr const char* kAddHourlyCount =
    "INSERT INTO stats_hourly (hour, message_type, status, count) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (hour, message_type, status) DO UPDATE SET count = count + excluded.count";
inline constexpr const char* kAddDailyCount =
    "INSERT INTO stats_daily (day, message_type, status, count) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (day, message_type, status) DO UPDATE SET count = count + excluded.count";
inline constexpr const char* kAddTotalCount =
    "INSERT INTO stats_total (message_type, status, count) VALUES (?2, ?3, ?4)"
    " ON CONFLICT (message_type, status) DO UPDATE SET count = count + excluded.count";
// What a message is counted under, read before a status change the store did not load it for.
inline constexpr const char* kSelectCounterKey =
    "SELECT status, created_at, message_type FROM notifications_log WHERE id = ?1";

inline constexpr const char* kStatsFromLog =
    "SELECT message_type, status, COUNT(*) FROM notifications_log"
    " WHERE created_at >= ?1 AND created_at < ?2 GROUP BY message_type, status";
inline constexpr const char* kStatsHourly =
    "SELECT message_type, status, count FROM stats_hourly WHERE hour >= ?1 AND hour < ?2";
inline constexpr const char* kStatsDaily =
    "SELECT message_type, status, count FROM stats_daily WHERE day >= ?1 AND day < ?2";
inline constexpr const char* kStatsTotal = "SELECT message_type, status, count FROM stats_total";
// The days that hold messages, first and last (each subquery is one look-up at an end of the key).
inline constexpr const char* kStatsDays =
    "SELECT (SELECT MIN(day) FROM stats_daily), (SELECT MAX(day) FROM stats_daily)";
// A read that runs several statements sees one snapshot between these two.
inline constexpr const char* kBeginRead = "BEGIN DEFERRED";

// The primary key decides duplicates: a repeated event_id inserts nothing (sqlite3_changes 0).
inline constexpr const char* kInsertWebhookEvent =
    "INSERT INTO webhook_events (event_id, event_type, received_at, occurred_at, provider_message_id, outcome)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_id) DO NOTHING";
// The columns ApplyStatusReport writes: the message as ApplyProviderStatus left it.
inline constexpr const char* kApplyStatusReport =
    "UPDATE notifications_log SET status = ?2, sent_at = ?3, delivered_at = ?4, read_at = ?5, failed_at = ?6,"
    " last_error = ?7, updated_at = ?8 WHERE id = ?1";
inline constexpr const char* kInsertStatusEvent =
    "INSERT INTO message_status_events (message_id, event_id, status, occurred_at, received_at, applied, note)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
inline constexpr const char* kSelectStatusEvents =
    "SELECT message_id, event_id, status, occurred_at, received_at, applied, note"
    " FROM message_status_events WHERE message_id = ?1 ORDER BY id";

// Only a change at least as recent as the one in force replaces it (STOP and START out of order).
inline constexpr const char* kUpsertOptOut =
    "INSERT INTO opt_outs (phone, opted_out, opted_out_at, updated_at)"
    " VALUES (?1, ?2, CASE WHEN ?2 = 1 THEN ?3 END, ?3)"
    " ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out,"
    " opted_out_at = CASE WHEN excluded.opted_out = 1 THEN excluded.updated_at ELSE opt_outs.opted_out_at END,"
    " updated_at = excluded.updated_at"
    " WHERE excluded.updated_at >= opt_outs.updated_at";
// Retention. Final statuses only (a queued or sending message has a queue entry and is never
// purged); the created_at index holds the status, so the oldest are found without the table.
// Attempts and status reports go with their message (ON DELETE CASCADE).
inline constexpr const char* kPurgeMessages =
    "DELETE FROM notifications_log WHERE seq IN (SELECT seq FROM notifications_log"
    " WHERE created_at < ?1 AND status IN ('sent', 'delivered', 'read', 'failed', 'suppressed', 'skipped_rollout')"
    " ORDER BY created_at LIMIT ?2)";
inline constexpr const char* kPurgeWebhookEvents =
    "DELETE FROM webhook_events WHERE event_id IN (SELECT event_id FROM webhook_events WHERE received_at < ?1"
    " ORDER BY received_at LIMIT ?2)";

inline constexpr const char* kSelectOptOut = "SELECT opted_out FROM opt_outs WHERE phone = ?1";

inline constexpr const char* kMarkSuppressed =
    "UPDATE notifications_log SET status = 'suppressed', last_error = ?3, updated_at = ?2"
    " WHERE id = ?1 AND status IN ('queued', 'sending')";

// From the all-time counters, whose 'queued' rows count queued and sending messages: exactly the
// messages with a queue entry. A few rows (one per message type) however long the queue is; a
// COUNT(*) of the queue read every entry, and /health asks for this on every call.
inline constexpr const char* kQueueDepth = "SELECT COALESCE(SUM(count), 0) FROM stats_total WHERE status = 'queued'";
// A leased entry becomes claimable when its lease expires (if it is due by then): that is when the
// processor must look again, in case its worker died.
inline constexpr const char* kNextDue =
    "SELECT MIN(due) FROM ("
    " SELECT next_attempt_at AS due FROM (SELECT next_attempt_at FROM notifications_queue"
    "  WHERE lease_owner IS NULL ORDER BY next_attempt_at LIMIT 1)"
    " UNION ALL"
    " SELECT MAX(next_attempt_at, lease_expires_at) FROM notifications_queue WHERE lease_owner IS NOT NULL)";

}  // namespace notify
