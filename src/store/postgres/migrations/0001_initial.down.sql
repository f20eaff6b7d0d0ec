-- Undoes 0001: every table, trigger and function of the schema goes, with all its rows
-- (schema_migrations, the migrator's own table, stays). Children before their parents.
DROP TABLE inbox_messages;
DROP TABLE deliveries;
DROP TABLE payments;
DROP TABLE subscriptions;
DROP TABLE orders;
DROP TABLE customers;
DROP TABLE opt_outs;
DROP TABLE message_status_events;
DROP TABLE webhook_events;
DROP TABLE message_attempts;
DROP TABLE notifications_queue;
DROP TABLE notifications_log;  -- and its triggers stats_on_delete, stats_on_update
DROP FUNCTION stats_on_update();
DROP FUNCTION stats_on_delete();
DROP FUNCTION stats_add(BIGINT, TEXT, TEXT, BIGINT);
DROP TABLE stats_total;
DROP TABLE stats_daily;
DROP TABLE stats_hourly;
DROP TABLE api_tokens;
DROP TABLE notification_settings;
DROP TABLE notification_template_variants;
DROP TABLE notification_templates;
