-- Most messages carry no idempotency key, yet the unique index of 0001 held an entry (NULL) for
-- each of them: one B-tree write per message that no query reads. Only keyed messages are indexed
-- now; the insert's ON CONFLICT target names the same condition, and a look-up by key
-- (idempotency_key = ?) implies it, so both still use this index.
DROP INDEX notifications_log_idempotency;
CREATE UNIQUE INDEX notifications_log_idempotency ON notifications_log (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
