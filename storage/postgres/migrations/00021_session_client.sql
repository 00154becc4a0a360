-- +goose Up
-- What the account page shows of each session: the browser, its address, and
-- when it was last used. Sessions made before this have none of it.
ALTER TABLE sessions
    ADD COLUMN user_agent text NOT NULL DEFAULT '',
    ADD COLUMN ip text NOT NULL DEFAULT '',
    ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT 'epoch';

-- +goose Down
ALTER TABLE sessions DROP COLUMN user_agent, DROP COLUMN ip, DROP COLUMN last_seen_at;
