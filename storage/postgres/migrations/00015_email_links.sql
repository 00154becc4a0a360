-- +goose Up
-- Single-use links sent by email (password reset, invitation, email change), by
-- the SHA-256 of their token; never the token. No foreign key to users, like the
-- factor tables.
CREATE TABLE email_links (
    hash       text PRIMARY KEY,
    purpose    text NOT NULL,
    user_id    text NOT NULL,
    email      text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz -- NULL while unused
);
-- Serves deleting a user's links of one purpose (a resend, a reset).
CREATE INDEX email_links_user_purpose ON email_links (user_id, purpose);
-- Serves the periodic cleanup.
CREATE INDEX email_links_expires_at ON email_links (expires_at);

-- +goose Down
DROP TABLE email_links;
