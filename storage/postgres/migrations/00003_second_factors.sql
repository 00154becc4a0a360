-- +goose Up
-- Per-client sign-in requirements and token format. max_auth_age_ns holds the Go
-- time.Duration in nanoseconds, so every value round-trips exactly; 0 means none.
ALTER TABLE clients
    ADD COLUMN min_acr             text   NOT NULL DEFAULT '',
    ADD COLUMN default_acr_values  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN max_auth_age_ns     bigint NOT NULL DEFAULT 0,
    ADD COLUMN access_token_format text   NOT NULL DEFAULT '';

CREATE TABLE totp_devices (
    id           text PRIMARY KEY,
    user_id      text NOT NULL,
    name         text NOT NULL,
    secret_enc   bytea,
    active       boolean NOT NULL,
    last_step    bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    -- NULL while unset (a zero time.Time).
    confirmed_at timestamptz,
    last_used_at timestamptz
);
-- Serves listing a user's devices oldest first and deleting them all.
CREATE INDEX totp_devices_user_id ON totp_devices (user_id, created_at);

CREATE TABLE recovery_codes (
    user_id    text NOT NULL,
    hash       text NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz, -- NULL while unused
    PRIMARY KEY (user_id, hash)
);

-- +goose Down
DROP TABLE recovery_codes, totp_devices;
ALTER TABLE clients
    DROP COLUMN access_token_format,
    DROP COLUMN max_auth_age_ns,
    DROP COLUMN default_acr_values,
    DROP COLUMN min_acr;
