-- +goose Up
-- Logos of clients and organisations (issue 15). The image lives in its own
-- table so that reading a client, which every authorize and token request does,
-- never reads an image; the owner keeps only the short sum pages build the
-- image's URL from. The generated columns carry the foreign key of each owner
-- kind, so deleting a client or an organisation deletes its logo.
CREATE TABLE logos (
    owner_kind text NOT NULL CHECK (owner_kind IN ('client', 'org')),
    owner_id   text NOT NULL,
    client_id  text GENERATED ALWAYS AS (CASE WHEN owner_kind = 'client' THEN owner_id END) STORED
               REFERENCES clients (id) ON DELETE CASCADE,
    org_id     text GENERATED ALWAYS AS (CASE WHEN owner_kind = 'org' THEN owner_id END) STORED
               REFERENCES organisations (id) ON DELETE CASCADE,
    media_type text NOT NULL,
    content    bytea NOT NULL,
    sum        text NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (owner_kind, owner_id)
);
-- The foreign keys' checks on deleting a client or an organisation.
CREATE INDEX logos_client_id ON logos (client_id) WHERE client_id IS NOT NULL;
CREATE INDEX logos_org_id ON logos (org_id) WHERE org_id IS NOT NULL;

ALTER TABLE clients ADD COLUMN logo_sum text NOT NULL DEFAULT '';
ALTER TABLE organisations
    ADD COLUMN brand_name text NOT NULL DEFAULT '',
    ADD COLUMN logo_sum   text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE organisations DROP COLUMN brand_name, DROP COLUMN logo_sum;
ALTER TABLE clients DROP COLUMN logo_sum;
DROP TABLE logos;
