-- The business API (business-api.md): customers, orders, subscriptions, payments, deliveries and
-- customers' WhatsApp replies, each row written in the same transaction as the message it causes
-- (an outbox). Dates of the business are 'YYYY-MM-DD' text in the customer's time zone; money is
-- INTEGER paise; every other time is INTEGER milliseconds since the Unix epoch, UTC.

-- The delivery role: tokens that may only record deliveries. SQLite cannot change a CHECK, so the
-- table is rebuilt with its rows.
CREATE TABLE api_tokens_new (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('delivery', 'viewer', 'operator', 'admin')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
);
INSERT INTO api_tokens_new (id, name, role, token_hash, created_at, expires_at, last_used_at)
SELECT id, name, role, token_hash, created_at, expires_at, last_used_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE INDEX api_tokens_name ON api_tokens (name);

-- Quiet hours (NULL: none) and the order cut-off for customers' replies, minutes after midnight.
ALTER TABLE notification_settings ADD COLUMN quiet_start_minute INTEGER
    CHECK (quiet_start_minute BETWEEN 0 AND 1439);
ALTER TABLE notification_settings ADD COLUMN quiet_end_minute INTEGER
    CHECK (quiet_end_minute BETWEEN 0 AND 1439);
ALTER TABLE notification_settings ADD COLUMN order_cutoff_minute INTEGER NOT NULL DEFAULT 1320
    CHECK (order_cutoff_minute BETWEEN 0 AND 1439);

CREATE TABLE customers (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL UNIQUE,        -- E.164; replies find their customer by it
    area            TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT 'en',
    whatsapp_opt_in INTEGER NOT NULL CHECK (whatsapp_opt_in IN (0, 1)),
    time_zone       TEXT NOT NULL DEFAULT 'Asia/Kolkata',
    source          TEXT NOT NULL CHECK (source IN ('api', 'event')),
    notification_id TEXT,                        -- the welcome message, when one was written
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE orders (
    id              TEXT PRIMARY KEY NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    items_json      TEXT NOT NULL,               -- [{"name", "quantity", "unit_price" (paise)}]
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    delivery_date   TEXT NOT NULL,
    notification_id TEXT,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX orders_customer ON orders (customer_id, created_at);

CREATE TABLE subscriptions (
    id              TEXT PRIMARY KEY NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    plan            TEXT NOT NULL,
    start_date      TEXT NOT NULL,
    pause_from      TEXT,                        -- the current or next pause, inclusive; NULL: none
    pause_until     TEXT,
    notification_id TEXT,                        -- the last message a change of it caused
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK ((pause_from IS NULL) = (pause_until IS NULL))
) WITHOUT ROWID;
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, created_at);

-- Payments received and payments due (reminders), told apart by kind.
CREATE TABLE payments (
    id              TEXT PRIMARY KEY NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    kind            TEXT NOT NULL CHECK (kind IN ('received', 'due')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    method          TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL DEFAULT '',
    due_date        TEXT,
    notification_id TEXT,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX payments_customer ON payments (customer_id, created_at);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    order_id        TEXT REFERENCES orders (id),
    date            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('delivered', 'missed')),
    reason          TEXT NOT NULL DEFAULT '',
    notification_id TEXT,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX deliveries_customer ON deliveries (customer_id, created_at);

-- Customers' WhatsApp replies, with what was done about each (GET /api/notifications/inbox). The
-- event_id is also in webhook_events, whose primary key applies a reply once however often
-- MyOperator delivers it.
CREATE TABLE inbox_messages (
    seq             INTEGER PRIMARY KEY,         -- arrival order; the inbox cursor
    id              TEXT NOT NULL UNIQUE,
    event_id        TEXT NOT NULL UNIQUE,
    phone           TEXT NOT NULL,
    customer_id     TEXT,                        -- NULL: the number is no customer's
    text            TEXT NOT NULL DEFAULT '',
    command         TEXT NOT NULL,
    action          TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '',
    notification_id TEXT,
    received_at     INTEGER NOT NULL
);
CREATE INDEX inbox_messages_received ON inbox_messages (received_at);
