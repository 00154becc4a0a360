-- +goose Up
-- When a user answered the offer to set up a second factor made at a first
-- sign-in, so that it is made once.
ALTER TABLE users ADD COLUMN setup_offered_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN setup_offered_at;
