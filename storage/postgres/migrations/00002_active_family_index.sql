-- +goose Up
-- Rotation and revocation deactivate a token family with
-- "WHERE kind = $1 AND request_id = $2 AND active". A long refresh chain keeps every
-- rotated row under the same request_id, so the full index made each rotation visit
-- the whole chain; the partial index holds only the live rows.
CREATE INDEX tokens_active_family ON tokens (kind, request_id) WHERE active;

-- +goose Down
DROP INDEX tokens_active_family;
