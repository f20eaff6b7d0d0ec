-- What several nodes on one database share. The pacing of provider calls (src/queue/send_pacing.h),
-- so that three nodes at 80 messages/s send 80/s together, a provider's Retry-After and the hold
-- after a stop-all fault stop every node, and the per-recipient gap holds across nodes.

-- One row: the rate limit's bucket (1000 units a token; never used: refilled_at 0, full at first
-- use), the Retry-After, and the hold (fault_error set while sending is held).
CREATE TABLE send_pacing (
    id                 SMALLINT PRIMARY KEY CHECK (id = 1),
    bucket_units       BIGINT NOT NULL DEFAULT 0,
    bucket_refilled_at BIGINT NOT NULL DEFAULT 0,
    throttled_until    BIGINT NOT NULL DEFAULT 0,
    fault_error        TEXT,
    fault_since        BIGINT NOT NULL DEFAULT 0,
    next_probe_at      BIGINT NOT NULL DEFAULT 0
);
INSERT INTO send_pacing (id) VALUES (1);

-- Each recipient's last send, while it can still hold the next one back.
CREATE TABLE recipient_last_sends (
    phone   TEXT PRIMARY KEY,
    sent_at BIGINT NOT NULL
);
CREATE INDEX recipient_last_sends_by_time ON recipient_last_sends (sent_at);

-- A new queue entry wakes the idle nodes (LISTEN notifyd_new_work; PostgresStore::WatchNewWork)
-- at its commit, instead of their next poll. One notification per statement: a batch is one.
CREATE FUNCTION notifyd_notify_new_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notifyd_new_work', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER notifications_queue_new_work AFTER INSERT ON notifications_queue
    FOR EACH STATEMENT EXECUTE FUNCTION notifyd_notify_new_work();
