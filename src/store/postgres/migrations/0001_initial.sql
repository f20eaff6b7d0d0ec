-- The notifyd schema in PostgreSQL's dialect: where SQLite's migrations 0001-0012 leave it, in one
-- file (no PostgreSQL database predates this store). Every time is BIGINT milliseconds since the
-- Unix epoch, UTC. The migrator runs this file in one transaction and records it in
-- schema_migrations.

CREATE TABLE notification_templates (
    name                   TEXT PRIMARY KEY,
    description            TEXT NOT NULL DEFAULT '',
    language               TEXT NOT NULL DEFAULT 'en',
    provider_template_name TEXT NOT NULL,
    -- Variable names, in the order of the provider template's body parameters.
    variables              JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(variables) = 'array'),
    body                   TEXT NOT NULL DEFAULT '',
    category               TEXT NOT NULL DEFAULT '',
    enabled                BOOLEAN NOT NULL DEFAULT TRUE,
    -- Waits in the queue while settings' quiet hours say it is night where the customer is.
    quiet_hours            BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at             BIGINT NOT NULL
);

-- One body per language; the template's own (language, body) is kept here too.
CREATE TABLE notification_template_variants (
    template_name TEXT NOT NULL REFERENCES notification_templates (name),
    language      TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (template_name, language)
);

-- Every message ever accepted, with its current status. seq is the history cursor, never reused.
-- context is TEXT, not JSON: it is returned byte for byte as the caller gave it.
CREATE TABLE notifications_log (
    seq                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                     TEXT NOT NULL UNIQUE,
    phone                  TEXT NOT NULL,
    message_type           TEXT NOT NULL,
    provider_template_name TEXT NOT NULL,
    language               TEXT NOT NULL,
    parameters             JSONB NOT NULL DEFAULT '[]',
    context                TEXT NOT NULL DEFAULT '{}',
    status                 TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read',
                                                           'failed', 'suppressed', 'skipped_rollout')),
    provider_message_id    TEXT,
    attempts               INTEGER NOT NULL DEFAULT 0,
    last_error             TEXT NOT NULL DEFAULT '',
    idempotency_key        TEXT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    sent_at                BIGINT,
    delivered_at           BIGINT,
    read_at                BIGINT,
    failed_at              BIGINT,
    text_body              TEXT  -- a free-text message's body; NULL for a template message
);

CREATE INDEX notifications_log_phone ON notifications_log (phone, seq);
CREATE INDEX notifications_log_status ON notifications_log (status, seq);
CREATE INDEX notifications_log_type ON notifications_log (message_type, seq);
CREATE INDEX notifications_log_created ON notifications_log (created_at, message_type, status);
CREATE UNIQUE INDEX notifications_log_idempotency ON notifications_log (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX notifications_log_provider_message ON notifications_log (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- What still waits to be sent. A lease (owner and expiry) marks an entry a worker is sending now.
CREATE TABLE notifications_queue (
    message_id       TEXT PRIMARY KEY REFERENCES notifications_log (id) ON DELETE CASCADE,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    enqueued_at      BIGINT NOT NULL,
    CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
);
CREATE INDEX notifications_queue_due ON notifications_queue (next_attempt_at, enqueued_at);
CREATE INDEX notifications_queue_leased ON notifications_queue (lease_expires_at) WHERE lease_owner IS NOT NULL;

CREATE TABLE message_attempts (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id          TEXT NOT NULL REFERENCES notifications_log (id) ON DELETE CASCADE,
    number              INTEGER NOT NULL,
    started_at          BIGINT NOT NULL,
    latency_ms          INTEGER NOT NULL DEFAULT 0,
    outcome             TEXT NOT NULL CHECK (outcome IN ('accepted', 'retryable', 'permanent')),
    http_status         INTEGER NOT NULL DEFAULT 0,
    error               TEXT NOT NULL DEFAULT '',
    provider_message_id TEXT NOT NULL DEFAULT '',
    -- A fault of the provider account: on record, but not counted toward MAX_ATTEMPTS.
    stops_all_sending   BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX message_attempts_message ON message_attempts (message_id, number);

-- The operator's switches: exactly one row.
CREATE TABLE notification_settings (
    id                        INTEGER PRIMARY KEY CHECK (id = 1),
    enabled                   BOOLEAN NOT NULL,
    paused                    BOOLEAN NOT NULL,
    rollout_percent           INTEGER NOT NULL CHECK (rollout_percent BETWEEN 0 AND 100),
    recipient_min_gap_seconds INTEGER NOT NULL CHECK (recipient_min_gap_seconds >= 0),
    updated_at                BIGINT NOT NULL,
    updated_by                TEXT NOT NULL DEFAULT '',
    quiet_start_minute        INTEGER CHECK (quiet_start_minute BETWEEN 0 AND 1439),
    quiet_end_minute          INTEGER CHECK (quiet_end_minute BETWEEN 0 AND 1439),
    order_cutoff_minute       INTEGER NOT NULL DEFAULT 1320 CHECK (order_cutoff_minute BETWEEN 0 AND 1439),
    -- category -> price of one delivered message in ten-thousandths of a rupee.
    message_prices            JSONB NOT NULL
        DEFAULT '{"authentication":1300,"marketing":8600,"service":0,"utility":1300}'
        CHECK (jsonb_typeof(message_prices) = 'object')
);

INSERT INTO notification_settings (id, enabled, paused, rollout_percent, recipient_min_gap_seconds, updated_at,
                                   updated_by)
VALUES (1, TRUE, FALSE, 100, 0, floor(extract(epoch FROM now()))::BIGINT * 1000, 'migration');

-- Bearer tokens, stored as the hex SHA-256 of the token only.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('delivery', 'viewer', 'operator', 'admin')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_name ON api_tokens (name);

-- Every webhook event received, once: the primary key makes a repeated event_id a no-op.
CREATE TABLE webhook_events (
    event_id            TEXT PRIMARY KEY,
    event_type          TEXT NOT NULL DEFAULT '',
    received_at         BIGINT NOT NULL,
    occurred_at         BIGINT,
    provider_message_id TEXT,
    outcome             TEXT NOT NULL CHECK (outcome IN ('applied', 'unknown_message'))
);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

CREATE TABLE message_status_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES notifications_log (id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    applied     BOOLEAN NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_status_events_message ON message_status_events (message_id, id);

-- STOP (opted_out) and START; the row stays so that a late STOP cannot opt the customer out again.
CREATE TABLE opt_outs (
    phone        TEXT PRIMARY KEY,
    opted_out    BOOLEAN NOT NULL,
    opted_out_at BIGINT,
    updated_at   BIGINT NOT NULL
);

-- Statistics counters per (hour, day, all time) x (message type, status), 'sending' counted under
-- 'queued'. The store writes them in the transaction of each write (src/notify/counters.h); the
-- triggers below follow what no code path does (a delete, a hand edit of type or creation time).
CREATE TABLE stats_hourly (
    hour         BIGINT NOT NULL,  -- created_at / 3600000
    message_type TEXT NOT NULL,
    status       TEXT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (hour, message_type, status)
);
CREATE TABLE stats_daily (
    day          BIGINT NOT NULL,  -- created_at / 86400000
    message_type TEXT NOT NULL,
    status       TEXT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (day, message_type, status)
);
CREATE TABLE stats_total (
    message_type TEXT NOT NULL,
    status       TEXT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (message_type, status)
);

CREATE FUNCTION stats_add(p_created_at BIGINT, p_type TEXT, p_status TEXT, p_delta BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO stats_hourly (hour, message_type, status, count)
    VALUES (p_created_at / 3600000, p_type, CASE p_status WHEN 'sending' THEN 'queued' ELSE p_status END, p_delta)
    ON CONFLICT (hour, message_type, status) DO UPDATE SET count = stats_hourly.count + excluded.count;
    INSERT INTO stats_daily (day, message_type, status, count)
    VALUES (p_created_at / 86400000, p_type, CASE p_status WHEN 'sending' THEN 'queued' ELSE p_status END, p_delta)
    ON CONFLICT (day, message_type, status) DO UPDATE SET count = stats_daily.count + excluded.count;
    INSERT INTO stats_total (message_type, status, count)
    VALUES (p_type, CASE p_status WHEN 'sending' THEN 'queued' ELSE p_status END, p_delta)
    ON CONFLICT (message_type, status) DO UPDATE SET count = stats_total.count + excluded.count;
$$;

CREATE FUNCTION stats_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stats_add(OLD.created_at, OLD.message_type, OLD.status, -1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_on_delete AFTER DELETE ON notifications_log
    FOR EACH ROW EXECUTE FUNCTION stats_on_delete();

CREATE FUNCTION stats_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stats_add(OLD.created_at, OLD.message_type, OLD.status, -1);
    PERFORM stats_add(NEW.created_at, NEW.message_type, NEW.status, 1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER stats_on_update AFTER UPDATE OF message_type, created_at ON notifications_log
    FOR EACH ROW WHEN (OLD.message_type IS DISTINCT FROM NEW.message_type OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION stats_on_update();

-- The business API (business-api.md). Dates of the business are 'YYYY-MM-DD' text in the
-- customer's time zone (as the store reads and writes them); money is BIGINT paise.
CREATE TABLE customers (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,
    area            TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT 'en',
    whatsapp_opt_in BOOLEAN NOT NULL,
    time_zone       TEXT NOT NULL DEFAULT 'Asia/Kolkata',
    source          TEXT NOT NULL CHECK (source IN ('api', 'event')),
    notification_id TEXT,
    created_at      BIGINT NOT NULL,
    CONSTRAINT customers_phone_unique UNIQUE (phone)
);

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    items           JSONB NOT NULL CHECK (jsonb_typeof(items) = 'array'),  -- [{"name", "quantity", "unit_price"}]
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    delivery_date   TEXT NOT NULL,
    notification_id TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, created_at);

CREATE TABLE subscriptions (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    plan            TEXT NOT NULL,
    start_date      TEXT NOT NULL,
    pause_from      TEXT,
    pause_until     TEXT,
    notification_id TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK ((pause_from IS NULL) = (pause_until IS NULL))
);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, created_at);

CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    kind            TEXT NOT NULL CHECK (kind IN ('received', 'due')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    method          TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL DEFAULT '',
    due_date        TEXT,
    notification_id TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX payments_customer ON payments (customer_id, created_at);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    order_id        TEXT REFERENCES orders (id),
    date            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('delivered', 'missed')),
    reason          TEXT NOT NULL DEFAULT '',
    notification_id TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX deliveries_customer ON deliveries (customer_id, created_at);

CREATE TABLE inbox_messages (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- arrival order; the inbox cursor
    id              TEXT NOT NULL UNIQUE,
    event_id        TEXT NOT NULL UNIQUE,
    phone           TEXT NOT NULL,
    customer_id     TEXT,
    text            TEXT NOT NULL DEFAULT '',
    command         TEXT NOT NULL,
    action          TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '',
    notification_id TEXT,
    received_at     BIGINT NOT NULL
);
CREATE INDEX inbox_messages_received ON inbox_messages (received_at);

-- The ten templates of the contract, as SQLite's migrations leave them (amounts carry their own
-- rupee sign since 0011; the two reminders wait out quiet hours).
INSERT INTO notification_templates
    (name, description, language, provider_template_name, variables, body, category, enabled, quiet_hours, updated_at)
VALUES
    ('welcome', 'Greets a new customer after sign-up.', 'en', 'welcome',
     '["customer_name"]',
     'Welcome, {{customer_name}}! Fresh milk and daily groceries will now reach your doorstep every morning.',
     'account', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('order_confirmation', 'Confirms an order with its delivery date and amount.', 'en', 'order_confirmation',
     '["customer_name","order_id","delivery_date","amount"]',
     'Hi {{customer_name}}, order {{order_id}} is confirmed for {{delivery_date}}. Amount: {{amount}}.',
     'order', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('delivery_reminder', 'Tells the customer that the day''s delivery is on its way.', 'en', 'delivery_reminder',
     '["customer_name","delivery_date","area"]',
     'Hi {{customer_name}}, your delivery for {{delivery_date}} in {{area}} is on its way.',
     'delivery', TRUE, TRUE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('delivery_completed', 'Confirms that a delivery was made.', 'en', 'delivery_completed',
     '["customer_name","delivery_date"]',
     'Hi {{customer_name}}, your delivery for {{delivery_date}} has been left at your door. Thank you!',
     'delivery', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('delivery_missed', 'Explains why a delivery could not be made.', 'en', 'delivery_missed',
     '["customer_name","delivery_date","reason"]',
     'Hi {{customer_name}}, we could not deliver on {{delivery_date}}: {{reason}}. Reply here to reschedule.',
     'delivery', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('subscription_created', 'Confirms a new subscription plan and its start date.', 'en', 'subscription_created',
     '["customer_name","plan","start_date"]',
     'Hi {{customer_name}}, your {{plan}} subscription is active. Your first delivery arrives on {{start_date}}.',
     'subscription', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('subscription_paused', 'Confirms a pause in deliveries.', 'en', 'subscription_paused',
     '["customer_name","pause_from","pause_until"]',
     'Hi {{customer_name}}, your deliveries are paused from {{pause_from}} until {{pause_until}}.',
     'subscription', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('subscription_resumed', 'Confirms that deliveries start again.', 'en', 'subscription_resumed',
     '["customer_name","resume_date"]',
     'Welcome back, {{customer_name}}! Your deliveries resume on {{resume_date}}.',
     'subscription', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('payment_received', 'Acknowledges a payment.', 'en', 'payment_received',
     '["customer_name","amount","payment_id"]',
     'Hi {{customer_name}}, we have received your payment of {{amount}} (ref. {{payment_id}}). Thank you!',
     'payment', TRUE, FALSE, floor(extract(epoch FROM now()))::BIGINT * 1000),
    ('payment_reminder', 'Reminds the customer of an amount due.', 'en', 'payment_reminder',
     '["customer_name","amount_due","due_date"]',
     'Hi {{customer_name}}, {{amount_due}} is due on {{due_date}}. Please pay to keep your deliveries coming.',
     'payment', TRUE, TRUE, floor(extract(epoch FROM now()))::BIGINT * 1000);

INSERT INTO notification_template_variants (template_name, language, body)
SELECT name, language, body FROM notification_templates;

INSERT INTO notification_template_variants (template_name, language, body)
VALUES
    ('welcome', 'hi',
     'स्वागत है, {{customer_name}} जी! अब ताज़ा दूध और रोज़ का किराना हर सुबह आपके दरवाज़े पर पहुँचेगा।'),
    ('order_confirmation', 'hi',
     'नमस्ते {{customer_name}} जी, आपका ऑर्डर {{order_id}} {{delivery_date}} के लिए पक्का हो गया है। राशि: {{amount}}।'),
    ('delivery_reminder', 'hi',
     'नमस्ते {{customer_name}} जी, {{area}} में आपकी {{delivery_date}} की डिलीवरी रास्ते में है।'),
    ('delivery_completed', 'hi',
     'नमस्ते {{customer_name}} जी, आपकी {{delivery_date}} की डिलीवरी आपके दरवाज़े पर रख दी गई है। धन्यवाद!'),
    ('delivery_missed', 'hi',
     'नमस्ते {{customer_name}} जी, माफ़ कीजिए, {{delivery_date}} को डिलीवरी नहीं हो पाई: {{reason}}। नया समय तय करने के लिए यहीं जवाब दें।'),
    ('subscription_created', 'hi',
     'नमस्ते {{customer_name}} जी, आपका {{plan}} सब्सक्रिप्शन शुरू हो गया है। पहली डिलीवरी {{start_date}} को आएगी।'),
    ('subscription_paused', 'hi',
     'नमस्ते {{customer_name}} जी, आपकी डिलीवरी {{pause_from}} से {{pause_until}} तक रोक दी गई है।'),
    ('subscription_resumed', 'hi',
     'फिर से स्वागत है, {{customer_name}} जी! आपकी डिलीवरी {{resume_date}} से दोबारा शुरू होगी।'),
    ('payment_received', 'hi',
     'नमस्ते {{customer_name}} जी, {{amount}} का आपका भुगतान मिल गया है (संदर्भ: {{payment_id}})। धन्यवाद!'),
    ('payment_reminder', 'hi',
     'नमस्ते {{customer_name}} जी, {{amount_due}} का भुगतान {{due_date}} तक करना है। डिलीवरी बिना रुकावट जारी रखने के लिए कृपया समय पर भुगतान करें।')
ON CONFLICT (template_name, language) DO NOTHING;
