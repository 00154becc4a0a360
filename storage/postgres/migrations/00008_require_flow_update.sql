-- +goose Up
-- Lets one batch of statements, sent without BEGIN and COMMIT, end a sign-in: its
-- first statement updates the flow at its version and calls this with the number of
-- rows it touched. When the flow moved on, the error rolls back the batch's
-- implicit transaction, so the session, code and audit rows after it are not kept.
-- +goose StatementBegin
CREATE FUNCTION require_flow_update(touched bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
	IF touched = 0 THEN
		RAISE EXCEPTION 'flow moved on' USING ERRCODE = 'LS409';
	END IF;
	RETURN touched;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION require_flow_update(bigint);
