-- +goose Up
-- Where the account page's re-verification (a flow of kind 'account') goes when
-- it is done: the account page the user was on its way to.
ALTER TABLE flows ADD COLUMN return_to text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE flows DROP COLUMN return_to;
