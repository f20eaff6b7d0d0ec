-- Undoes 0007: the idempotency index of 0001, with an entry for every message.
DROP INDEX notifications_log_idempotency;
CREATE UNIQUE INDEX notifications_log_idempotency ON notifications_log (idempotency_key);
