-- +goose Up
-- The platform administrators (lockstep admins grant): users who administer every
-- client, user and organisation through the admin API and console.
CREATE TABLE platform_admins (
    user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL
);
-- The audit log's event-type filter and its organisation filter (detail->>'org').
CREATE INDEX audit_type_at ON audit (type, at);
CREATE INDEX audit_org_at ON audit ((detail->>'org'), at);

-- +goose Down
DROP INDEX audit_org_at, audit_type_at;
DROP TABLE platform_admins;
