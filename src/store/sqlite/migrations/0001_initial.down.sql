-- Undoes 0001: every table of the initial schema goes, with all its rows (schema_migrations, the
-- migrator's own table, stays).
DROP TABLE message_attempts;
DROP TABLE notifications_queue;
DROP TABLE notifications_log;
DROP TABLE notification_settings;
DROP TABLE api_tokens;
DROP TABLE notification_templates;
