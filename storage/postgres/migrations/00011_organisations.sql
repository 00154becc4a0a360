-- +goose Up
-- Organisations with their security policy (ADM-1). Group lists are text[] in the
-- order the groups were added; the store checks that covered groups and members'
-- groups are the organisation's.
CREATE TABLE organisations (
    id             text PRIMARY KEY,
    name           text NOT NULL,
    groups         text[],
    level          text NOT NULL,
    covered_groups text[],
    grace_days     integer NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- Existing users belong to no organisation: '' and no groups, no deadline.
ALTER TABLE users
    ADD COLUMN org_id       text NOT NULL DEFAULT '',
    ADD COLUMN groups       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN mfa_deadline timestamptz;
-- Serves ListUsersByOrg and the members' updates of SetOrgPolicy and RenameGroup.
CREATE INDEX users_org_id ON users (org_id);

-- +goose Down
DROP INDEX users_org_id;
ALTER TABLE users DROP COLUMN org_id, DROP COLUMN groups, DROP COLUMN mfa_deadline;
DROP TABLE organisations;
