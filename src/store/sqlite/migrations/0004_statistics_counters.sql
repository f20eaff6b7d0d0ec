-- Statistics from counters: one row per (hour of creation, message type, current status), kept
-- in step with notifications_log by triggers in the same transaction as every write, so
-- GET /statistics reads a few hundred rows instead of one index entry per message.
CREATE TABLE stats_hourly (
    hour         INTEGER NOT NULL,  -- created_at / 3600000
    message_type TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (hour, message_type, status)
) WITHOUT ROWID;

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
