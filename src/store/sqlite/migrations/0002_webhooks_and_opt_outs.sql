-- MyOperator webhooks and opt-outs. Every time is INTEGER milliseconds since the Unix epoch, UTC.

-- Every webhook event received, once: MyOperator retries deliveries for up to a day, and the
-- primary key turns a repeated event_id into a no-op inside the transaction that applies it.
CREATE TABLE webhook_events (
    event_id            TEXT PRIMARY KEY NOT NULL,
    event_type          TEXT NOT NULL DEFAULT '',
    received_at         INTEGER NOT NULL,
    occurred_at         INTEGER,                 -- the event's own timestamp, when it had one
    provider_message_id TEXT,                    -- status events
    outcome             TEXT NOT NULL CHECK (outcome IN ('applied', 'unknown_message'))
) WITHOUT ROWID;

-- For pruning old events by age.
CREATE INDEX webhook_events_received ON webhook_events (received_at);

-- Each message's provider status reports, in arrival order, also those that did not move it
-- (a late delivered after read, a failure after delivery), for GET /messages/{id}.
CREATE TABLE message_status_events (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES notifications_log (id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    applied     INTEGER NOT NULL CHECK (applied IN (0, 1)),
    note        TEXT NOT NULL DEFAULT ''
);

CREATE INDEX message_status_events_message ON message_status_events (message_id, id);

-- Recipients who wrote STOP (opted_out = 1) or START again (0). The row stays after START so that
-- a STOP delivered late (older than updated_at) cannot opt the customer out again.
CREATE TABLE opt_outs (
    phone        TEXT PRIMARY KEY NOT NULL,  -- E.164
    opted_out    INTEGER NOT NULL CHECK (opted_out IN (0, 1)),
    opted_out_at INTEGER,                    -- the latest opt-out
    updated_at   INTEGER NOT NULL            -- the time of the change in force
) WITHOUT ROWID;
