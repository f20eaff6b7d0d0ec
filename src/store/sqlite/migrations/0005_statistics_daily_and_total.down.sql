-- Undoes 0005: the daily and all-time counters go, and the hourly ones are counted again from
-- notifications_log with 'sending' apart from 'queued' (as 0004 kept them), under 0004's triggers.
DROP TRIGGER stats_on_insert;
DROP TRIGGER stats_on_update;
DROP TRIGGER stats_on_delete;
DROP TABLE stats_daily;
DROP TABLE stats_total;

DELETE FROM stats_hourly;
INSERT INTO stats_hourly (hour, message_type, status, count)
SELECT created_at / 3600000, message_type, status, COUNT(*) FROM notifications_log GROUP BY 1, 2, 3;

CREATE TRIGGER stats_hourly_on_insert AFTER INSERT ON notifications_log
BEGIN
    INSERT INTO stats_hourly (hour, message_type, status, count)
    VALUES (NEW.created_at / 3600000, NEW.message_type, NEW.status, 1)
    ON CONFLICT (hour, message_type, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER stats_hourly_on_status AFTER UPDATE OF status ON notifications_log
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE stats_hourly SET count = count - 1
    WHERE hour = OLD.created_at / 3600000 AND message_type = OLD.message_type AND status = OLD.status;
    INSERT INTO stats_hourly (hour, message_type, status, count)
    VALUES (NEW.created_at / 3600000, NEW.message_type, NEW.status, 1)
    ON CONFLICT (hour, message_type, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER stats_hourly_on_delete AFTER DELETE ON notifications_log
BEGIN
    UPDATE stats_hourly SET count = count - 1
    WHERE hour = OLD.created_at / 3600000 AND message_type = OLD.message_type AND status = OLD.status;
END;
