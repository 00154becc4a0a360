-- +goose Up
-- The algorithm that signs a client's ID tokens (OIDC id_token_signed_response_alg);
-- empty: the server's default.
ALTER TABLE clients ADD COLUMN id_token_alg text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN id_token_alg;
