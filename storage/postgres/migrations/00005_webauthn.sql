-- +goose Up
CREATE TABLE webauthn_credentials (
    -- The raw credential id the authenticator chose; unique across users.
    id               bytea PRIMARY KEY,
    user_id          text NOT NULL,
    name             text NOT NULL,
    public_key       bytea,
    attestation_type text NOT NULL,
    transports       text[],
    aaguid           bytea,
    -- A uint32 in Go; bigint holds its whole range.
    sign_count       bigint NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    user_verified    boolean NOT NULL,
    discoverable     boolean NOT NULL,
    backup_eligible  boolean NOT NULL,
    backup_state     boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    last_used_at     timestamptz -- NULL until first used (a zero time.Time)
);
-- Serves listing a user's credentials oldest first and deleting them all.
CREATE INDEX webauthn_credentials_user_id ON webauthn_credentials (user_id, created_at);

-- Short-lived, single-use state between the two halves of a ceremony.
CREATE TABLE ceremonies (
    key        text PRIMARY KEY,
    data       bytea,
    expires_at timestamptz NOT NULL
);
-- Serves the periodic cleanup.
CREATE INDEX ceremonies_expires_at ON ceremonies (expires_at);

-- +goose Down
DROP TABLE ceremonies, webauthn_credentials;
