-- +goose Up
-- The periodic cleanup deletes ended throttle windows and expired nonces; one row
-- per client address and per JWT id can make these tables large.
CREATE INDEX throttle_reset_at ON throttle (reset_at);
CREATE INDEX nonces_expires_at ON nonces (expires_at);

-- +goose Down
DROP INDEX nonces_expires_at;
DROP INDEX throttle_reset_at;
