-- Coarser statistics counters beside the hourly ones of 0004: one row per (day of creation,
-- message type, current status) and one per (message type, status) for all time. A range is then
-- counted from whole days, whole hours at its ends and the partial hours from the index, or as
-- the all-time total less what lies outside it, whichever touches fewer rows; so GET /statistics
-- reads tens of counter rows however long the history is. Hours and days are UTC, counted from
-- the epoch (created_at / 3600000 and created_at / 86400000; created_at is never negative).
--
-- One trigger per kind of write keeps all three tables in step with notifications_log, in the
-- same transaction as the write; they replace the hourly triggers of 0004.
CREATE TABLE stats_daily (
    day          INTEGER NOT NULL,  -- created_at / 86400000
    message_type TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (day, message_type, status)
) WITHOUT ROWID;

CREATE TABLE stats_total (
    message_type TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (message_type, status)
) WITHOUT ROWID;

-- Counters keep 'sending' under 'queued': statistics report them together, and claiming a message
-- for a send (queued -> sending) is then no counter write at all, which is half of the counter
-- writes of sending a message. The hourly counters of 0004 are folded the same way first.
INSERT INTO stats_hourly (hour, message_type, status, count)
SELECT hour, message_type, 'queued', count FROM stats_hourly WHERE status = 'sending'
ON CONFLICT (hour, message_type, status) DO UPDATE SET count = count + excluded.count;
DELETE FROM stats_hourly WHERE status = 'sending';

-- Filled from the hourly counters, which the triggers of 0004 have kept exact: a few thousand
-- rows for a month of messages instead of every message, so the migration holds the write lock
-- for milliseconds. (hour / 24 is created_at / 86400000: both divisions truncate.)
INSERT INTO stats_daily (day, message_type, status, count)
SELECT hour / 24, message_type, status, SUM(count) FROM stats_hourly GROUP BY 1, 2, 3;

INSERT INTO stats_total (message_type, status, count)
SELECT message_type, status, SUM(count) FROM stats_hourly GROUP BY 1, 2;

DROP TRIGGER stats_hourly_on_insert;
DROP TRIGGER stats_hourly_on_status;
DROP TRIGGER stats_hourly_on_delete;

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

-- Only status changes today, but a change of type or creation time would move the message
-- between counters just the same.
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

CREATE TRIGGER stats_on_delete AFTER DELETE ON notifications_log
BEGIN
    UPDATE stats_hourly SET count = count - 1
    WHERE hour = OLD.created_at / 3600000 AND message_type = OLD.message_type AND status = CASE OLD.status WHEN 'sending' THEN 'queued' ELSE OLD.status END;
    UPDATE stats_daily SET count = count - 1
    WHERE day = OLD.created_at / 86400000 AND message_type = OLD.message_type AND status = CASE OLD.status WHEN 'sending' THEN 'queued' ELSE OLD.status END;
    UPDATE stats_total SET count = count - 1
    WHERE message_type = OLD.message_type AND status = CASE OLD.status WHEN 'sending' THEN 'queued' ELSE OLD.status END;
END;
