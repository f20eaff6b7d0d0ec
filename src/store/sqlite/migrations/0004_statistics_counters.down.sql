-- Undoes 0004: statistics are counted from notifications_log again.
DROP TRIGGER stats_hourly_on_insert;
DROP TRIGGER stats_hourly_on_status;
DROP TRIGGER stats_hourly_on_delete;
DROP TABLE stats_hourly;
