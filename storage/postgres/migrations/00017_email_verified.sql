-- +goose Up
-- Whether the user proved they receive mail at their address (by following a
-- link sent there): the ID token's and userinfo's email_verified. No address
-- stored before was confirmed that way.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN email_verified;
