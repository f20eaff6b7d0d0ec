-- Tokens that expire, and when each was last used (written about once a minute, not per request).
-- Revoking a token deletes its row; `notifyd token revoke --name` finds them by name.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;    -- NULL: until revoked
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;  -- NULL: never used
CREATE INDEX api_tokens_name ON api_tokens (name);
