-- The initial notifyd schema. Every time is INTEGER milliseconds since the Unix epoch, UTC.
-- The migrator runs this file in one transaction and records it in schema_migrations.

-- The message templates, keyed by the message_type callers send.
CREATE TABLE notification_templates (
    name                   TEXT PRIMARY KEY NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    language               TEXT NOT NULL DEFAULT 'en',
    provider_template_name TEXT NOT NULL,
    -- JSON array of variable names, in the order of the provider template's body parameters.
    variables              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(variables) AND json_type(variables) = 'array'),
    body                   TEXT NOT NULL DEFAULT '',
    category               TEXT NOT NULL DEFAULT '',
    enabled                INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    updated_at             INTEGER NOT NULL
);

-- Every message ever accepted, with its current status. seq is the history cursor; AUTOINCREMENT so
-- that it is never reused, even after the newest rows are deleted.
CREATE TABLE notifications_log (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
    id                     TEXT NOT NULL UNIQUE,
    phone                  TEXT NOT NULL,
    message_type           TEXT NOT NULL,
    provider_template_name TEXT NOT NULL,
    language               TEXT NOT NULL,
    parameters             TEXT NOT NULL DEFAULT '[]',  -- JSON array of the body parameters, in order
    context                TEXT NOT NULL DEFAULT '{}',  -- the caller's context as given (JSON object)
    status                 TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read',
                                                           'failed', 'suppressed', 'skipped_rollout')),
    provider_message_id    TEXT,                        -- NULL until the provider accepts the message
    attempts               INTEGER NOT NULL DEFAULT 0,
    last_error             TEXT NOT NULL DEFAULT '',
    idempotency_key        TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    sent_at                INTEGER,
    delivered_at           INTEGER,
    read_at                INTEGER,
    failed_at              INTEGER
);

-- History: newest first (seq DESC), optionally by phone, status or type. seq is the rowid, so these
-- indexes also give the order.
CREATE INDEX notifications_log_phone ON notifications_log (phone, seq);
CREATE INDEX notifications_log_status ON notifications_log (status, seq);
CREATE INDEX notifications_log_type ON notifications_log (message_type, seq);
-- since/until ranges; covering for the statistics query (created_at range, grouped by type, by status).
CREATE INDEX notifications_log_created ON notifications_log (created_at, message_type, status);
-- Idempotency: a repeated key conflicts here. NULLs are distinct, so messages without a key never do.
CREATE UNIQUE INDEX notifications_log_idempotency ON notifications_log (idempotency_key);
-- Webhooks find the message by the provider's id.
CREATE INDEX notifications_log_provider_message ON notifications_log (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- What still waits to be sent. A lease (owner and expiry) marks an entry a worker is sending now.
CREATE TABLE notifications_queue (
    message_id       TEXT PRIMARY KEY NOT NULL REFERENCES notifications_log (id) ON DELETE CASCADE,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    enqueued_at      INTEGER NOT NULL,
    CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
) WITHOUT ROWID;

-- Due entries, oldest due first.
CREATE INDEX notifications_queue_due ON notifications_queue (next_attempt_at, enqueued_at);
-- The few leased entries, for the processor's next wake-up time.
CREATE INDEX notifications_queue_leased ON notifications_queue (lease_expires_at) WHERE lease_owner IS NOT NULL;

-- One row per provider call, for GET /messages/{id} and for diagnosing a provider.
CREATE TABLE message_attempts (
    id                  INTEGER PRIMARY KEY,
    message_id          TEXT NOT NULL REFERENCES notifications_log (id) ON DELETE CASCADE,
    number              INTEGER NOT NULL,
    started_at          INTEGER NOT NULL,
    latency_ms          INTEGER NOT NULL DEFAULT 0,
    outcome             TEXT NOT NULL CHECK (outcome IN ('accepted', 'retryable', 'permanent')),
    http_status         INTEGER NOT NULL DEFAULT 0,
    error               TEXT NOT NULL DEFAULT '',
    provider_message_id TEXT NOT NULL DEFAULT ''
);

CREATE INDEX message_attempts_message ON message_attempts (message_id, number);

-- The operator's switches: exactly one row, typed columns so that bad values cannot be stored.
CREATE TABLE notification_settings (
    id                        INTEGER PRIMARY KEY CHECK (id = 1),
    enabled                   INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    paused                    INTEGER NOT NULL CHECK (paused IN (0, 1)),
    rollout_percent           INTEGER NOT NULL CHECK (rollout_percent BETWEEN 0 AND 100),
    recipient_min_gap_seconds INTEGER NOT NULL CHECK (recipient_min_gap_seconds >= 0),
    updated_at                INTEGER NOT NULL,
    updated_by                TEXT NOT NULL DEFAULT ''
);

-- The defaults of notify::Settings, so that the table shows what is in force.
INSERT INTO notification_settings (id, enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at,
                                   updated_by)
VALUES (1, 1, 0, 100, 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'migration');

-- Bearer tokens, stored as the hex SHA-256 of the token only.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- The ten templates of the contract. provider_template_name is the name of the approved MyOperator
-- template; variables are its body parameters "1", "2", ... in this order.
INSERT INTO notification_templates
    (name, description, language, provider_template_name, variables, body, category, enabled, updated_at)
VALUES
    ('welcome', 'Greets a new customer after sign-up.', 'en', 'welcome',
     '["customer_name"]',
     'Welcome, {{customer_name}}! Fresh milk and daily groceries will now reach your doorstep every morning.',
     'account', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('order_confirmation', 'Confirms an order with its delivery date and amount.', 'en', 'order_confirmation',
     '["customer_name","order_id","delivery_date","amount"]',
     'Hi {{customer_name}}, order {{order_id}} is confirmed for {{delivery_date}}. Amount: ₹{{amount}}.',
     'order', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('delivery_reminder', 'Tells the customer that the day''s delivery is on its way.', 'en', 'delivery_reminder',
     '["customer_name","delivery_date","area"]',
     'Hi {{customer_name}}, your delivery for {{delivery_date}} in {{area}} is on its way.',
     'delivery', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('delivery_completed', 'Confirms that a delivery was made.', 'en', 'delivery_completed',
     '["customer_name","delivery_date"]',
     'Hi {{customer_name}}, your delivery for {{delivery_date}} has been left at your door. Thank you!',
     'delivery', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('delivery_missed', 'Explains why a delivery could not be made.', 'en', 'delivery_missed',
     '["customer_name","delivery_date","reason"]',
     'Hi {{customer_name}}, we could not deliver on {{delivery_date}}: {{reason}}. Reply here to reschedule.',
     'delivery', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('subscription_created', 'Confirms a new subscription plan and its start date.', 'en', 'subscription_created',
     '["customer_name","plan","start_date"]',
     'Hi {{customer_name}}, your {{plan}} subscription is active. Your first delivery arrives on {{start_date}}.',
     'subscription', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('subscription_paused', 'Confirms a pause in deliveries.', 'en', 'subscription_paused',
     '["customer_name","pause_from","pause_until"]',
     'Hi {{customer_name}}, your deliveries are paused from {{pause_from}} until {{pause_until}}.',
     'subscription', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('subscription_resumed', 'Confirms that deliveries start again.', 'en', 'subscription_resumed',
     '["customer_name","resume_date"]',
     'Welcome back, {{customer_name}}! Your deliveries resume on {{resume_date}}.',
     'subscription', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('payment_received', 'Acknowledges a payment.', 'en', 'payment_received',
     '["customer_name","amount","payment_id"]',
     'Hi {{customer_name}}, we have received your payment of ₹{{amount}} (ref. {{payment_id}}). Thank you!',
     'payment', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000),
    ('payment_reminder', 'Reminds the customer of an amount due.', 'en', 'payment_reminder',
     '["customer_name","amount_due","due_date"]',
     'Hi {{customer_name}}, ₹{{amount_due}} is due on {{due_date}}. Please pay to keep your deliveries coming.',
     'payment', 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
