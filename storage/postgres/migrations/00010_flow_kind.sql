-- +goose Up
-- A flow says what it is for: an authorization request, or the account page's
-- re-verification (which used to be recognised by an empty client_id).
ALTER TABLE flows ADD COLUMN kind text NOT NULL DEFAULT 'authorize';
UPDATE flows SET kind = 'account' WHERE client_id = '';
-- The user answered "Later" to the offer to set up a second factor.
ALTER TABLE flows ADD COLUMN declined boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE flows DROP COLUMN declined;
ALTER TABLE flows DROP COLUMN kind;
