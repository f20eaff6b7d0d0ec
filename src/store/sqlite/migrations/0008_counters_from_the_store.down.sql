-- Undoes 0008: the triggers of 0005 keep the statistics counters again, on every insert and
-- status change.
DROP TRIGGER stats_on_update;

CREATE TRIGGER stats_on_insert AFTER INSERT ON notifications_log
BEGIN
    INSERT INTO stats_hourly (hour, message_type, status, count)
    VALUES (NEW.created_at / 3600000, NEW.message_type, CASE NEW.status WHEN 'sending' THEN 'queued' ELSE NEW.status END, 1)
    ON CONFLICT (hour, message_type, status) DO UPDATE SET count = count + 1;
    INSERT INTO stats_daily (day, message_type, status, count)
    VALUES (NEW.created_at / 86400000, NEW.message_type, CASE NEW.status WHEN 'sending' THEN 'queued' ELSE NEW.status END, 1)
    ON CONFLICT (day, message_type, status) DO UPDATE SET count = count + 1;
    INSERT INTO stats_total (message_type, status, count)
    VALUES (NEW.message_type, CASE NEW.status WHEN 'sending' THEN 'queued' ELSE NEW.status END, 1)
    ON CONFLICT (message_type, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER stats_on_update AFTER UPDATE OF status, message_type, created_at ON notifications_log
WHEN CASE OLD.status WHEN 'sending' THEN 'queued' ELSE OLD.status END IS NOT CASE NEW.status WHEN 'sending' THEN 'queued' ELSE NEW.status END
    OR OLD.message_type IS NOT NEW.message_type
    OR OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE stats_hourly SET count = count - 1
    WHERE hour = OLD.created_at / 3600000 AND message_type = OLD.message_type AND status = CASE OLD.status WHEN 'sending' THEN 'queued' ELSE OLD.status END;
    INSERT INTO stats_hourly (hour, message_type, status, count)
    VALUES (NEW.created_at / 3600000, NEW.message_type, CASE NEW.status WHEN 'sending' THEN 'queued' ELSE NEW.status END, 1)
    ON CONFLICT (hour, message_type, status) DO UPDATE SET count = count + 1;
    UPDATE stats_daily SET count = count - 1
    WHERE day = OLD.created_at / 86400000 AND message_type = OLD.message_type AND status = CASE OLD.status WHEN 'sending' THEN 'queued' ELSE OLD.status END;
    INSERT INTO stats_daily (day, message_type, status, count)
    VALUES (NEW.created_at / 86400000, NEW.message_type, CASE NEW.status WHEN 'sending' THEN 'queued' ELSE NEW.status END, 1)
    ON CONFLICT (day, message_type, status) DO UPDATE SET count = count + 1;
    UPDATE stats_total SET count = count - 1
    WHERE message_type = OLD.message_type AND status = CASE OLD.status WHEN 'sending' THEN 'queued' ELSE OLD.status END;
    INSERT INTO stats_total (message_type, status, count)
    VALUES (NEW.message_type, CASE NEW.status WHEN 'sending' THEN 'queued' ELSE NEW.status END, 1)
    ON CONFLICT (message_type, status) DO UPDATE SET count = count + 1;
END;
