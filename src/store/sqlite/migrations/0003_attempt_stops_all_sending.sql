-- An attempt refused for a fault of the provider account (empty wallet, disabled number, bad
-- credentials) rather than of the message: it stays on record but does not count toward
-- MAX_ATTEMPTS, since sending is held until the fault is gone.
ALTER TABLE message_attempts ADD COLUMN stops_all_sending INTEGER NOT NULL DEFAULT 0
    CHECK (stops_all_sending IN (0, 1));
