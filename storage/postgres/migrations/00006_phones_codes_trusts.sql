-- +goose Up
-- Like the other factor tables, these have no foreign key to users: deleting a
-- user's factors is the caller's job, and the stores stay independent of each other.
CREATE TABLE phone_numbers (
    user_id      text PRIMARY KEY, -- a user has at most one number
    e164         text NOT NULL,
    is_primary   boolean NOT NULL,
    verified_at  timestamptz NOT NULL,
    last_used_at timestamptz -- NULL until first used (a zero time.Time)
);

-- One live code per key; a resend replaces the row.
CREATE TABLE one_time_codes (
    key         text PRIMARY KEY,
    user_id     text NOT NULL,
    hash        text NOT NULL,
    destination text NOT NULL,
    attempts    integer NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz -- NULL while unused
);
-- Serves the periodic cleanup.
CREATE INDEX one_time_codes_expires_at ON one_time_codes (expires_at);

CREATE TABLE trusts (
    id           text PRIMARY KEY,
    user_id      text NOT NULL,
    kind         text NOT NULL,
    label        text NOT NULL,
    ip           text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz, -- NULL until first used (a zero time.Time)
    expires_at   timestamptz NOT NULL
);
-- Serves listing a user's trusts newest first and deleting them.
CREATE INDEX trusts_user_id ON trusts (user_id, created_at);
-- Serves the periodic cleanup.
CREATE INDEX trusts_expires_at ON trusts (expires_at);

-- +goose Down
DROP TABLE trusts, one_time_codes, phone_numbers;
