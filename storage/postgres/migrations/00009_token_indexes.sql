-- +goose Up
-- Every query by request_id or subject asks for live rows ("... AND active"), which
-- tokens_active_family and a partial subject index answer. The full indexes also
-- held every spent code and rotated token, and cost an entry for each row version
-- a sign-in writes.
DROP INDEX tokens_kind_request_id;
DROP INDEX tokens_kind_subject;
CREATE INDEX tokens_active_subject ON tokens (kind, subject) WHERE active;

-- +goose Down
DROP INDEX tokens_active_subject;
CREATE INDEX tokens_kind_subject ON tokens (kind, subject);
CREATE INDEX tokens_kind_request_id ON tokens (kind, request_id);
