-- +goose Up
CREATE TABLE clients (
    id                        text PRIMARY KEY,
    secret_hash               bytea,
    name                      text NOT NULL,
    redirect_uris             text[],
    post_logout_redirect_uris text[],
    grant_types               text[],
    response_types            text[],
    scopes                    text[],
    public                    boolean NOT NULL,
    first_party               boolean NOT NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);

CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    given_name    text NOT NULL,
    family_name   text NOT NULL,
    disabled      boolean NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE tokens (
    kind       text NOT NULL,
    signature  text NOT NULL,
    request_id text NOT NULL,
    client_id  text NOT NULL,
    subject    text NOT NULL,
    active     boolean NOT NULL,
    data       bytea,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX tokens_kind_request_id ON tokens (kind, request_id);
CREATE INDEX tokens_kind_subject ON tokens (kind, subject);
CREATE INDEX tokens_expires_at ON tokens (expires_at);

CREATE TABLE flows (
    id              text PRIMARY KEY,
    browser_hash    text NOT NULL,
    client_id       text NOT NULL,
    authorize_query text NOT NULL,
    requested_at    timestamptz NOT NULL,
    state           text NOT NULL,
    user_id         text NOT NULL,
    proven          jsonb,
    expires_at      timestamptz NOT NULL,
    version         integer NOT NULL
);
CREATE INDEX flows_expires_at ON flows (expires_at);

CREATE TABLE sessions (
    id         text PRIMARY KEY,
    user_id    text NOT NULL,
    factors    jsonb,
    auth_time  timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE consents (
    user_id    text NOT NULL,
    client_id  text NOT NULL,
    scopes     text[],
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE signing_keys (
    id          text PRIMARY KEY,
    algorithm   text NOT NULL,
    private_enc bytea,
    public_jwk  bytea,
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz,
    expires_at  timestamptz
);
-- At most one active (unretired) key per algorithm, whatever AddSigningKey races.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (algorithm) WHERE retired_at IS NULL;

CREATE TABLE throttle (
    key      text PRIMARY KEY,
    count    integer NOT NULL,
    reset_at timestamptz NOT NULL
);

CREATE TABLE nonces (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE TABLE audit (
    -- seq orders events appended with the same timestamp.
    seq       bigint GENERATED ALWAYS AS IDENTITY,
    id        text PRIMARY KEY,
    at        timestamptz NOT NULL,
    type      text NOT NULL,
    user_id   text NOT NULL,
    client_id text NOT NULL,
    ip        text NOT NULL,
    detail    jsonb
);
CREATE INDEX audit_user_id_at ON audit (user_id, at);
CREATE INDEX audit_client_id_at ON audit (client_id, at);
CREATE INDEX audit_at ON audit (at);

-- +goose Down
DROP TABLE audit, nonces, throttle, signing_keys, consents, sessions, flows, tokens, users, clients;
