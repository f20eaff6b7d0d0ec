-- Undoes 0006. Lost: the tokens' expiry (they are valid until revoked) and last use.
DROP INDEX api_tokens_name;
ALTER TABLE api_tokens DROP COLUMN last_used_at;
ALTER TABLE api_tokens DROP COLUMN expires_at;
