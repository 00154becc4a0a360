-- +goose Up
-- Two-step verification was reset during this sign-in: the policy offers to set
-- it up again right after.
ALTER TABLE flows ADD COLUMN reset boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE flows DROP COLUMN reset;
