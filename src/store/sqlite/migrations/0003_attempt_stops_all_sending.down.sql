-- Undoes 0003: every attempt counts toward MAX_ATTEMPTS again.
ALTER TABLE message_attempts DROP COLUMN stops_all_sending;
