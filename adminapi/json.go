package adminapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody caps a request body.
const maxBody = 64 << 10

// decode reads the JSON body into v, refusing unknown fields, trailing data and
// values of the wrong type, each as a 400 naming the field.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &badRequest{msg: "send the body as application/json"}
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		if dec.More() {
			return &badRequest{msg: "the body holds more than one JSON value"}
		}
		return nil
	case errors.Is(err, io.EOF):
		return &badRequest{msg: "the body is empty; send a JSON object"}
	case errors.As(err, &typeErr):
		return &badRequest{field: typeErr.Field, msg: fmt.Sprintf("%s must be %s", typeErr.Field, jsonType(typeErr.Type.Kind().String()))}
	case errors.As(err, &syntaxErr):
		return &badRequest{msg: fmt.Sprintf("the body is not valid JSON (at byte %d)", syntaxErr.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &badRequest{field: field, msg: fmt.Sprintf("%s is not a field of this request", field)}
	}
	return &badRequest{msg: "the body is not valid JSON"}
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}

// page reads the cursor and limit parameters: a limit of 1 to maxLimit,
// defaultLimit when absent.
func page(r *http.Request) (cursor string, limit int, err error) {
	const defaultLimit, maxLimit = 50, 200
	q := r.URL.Query()
	limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return "", 0, &badRequest{field: "limit", msg: fmt.Sprintf("limit must be a number from 1 to %d", maxLimit)}
		}
		limit = n
	}
	return q.Get("cursor"), limit, nil
}

// timeParam reads an RFC 3339 time parameter (zero when absent).
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &badRequest{field: name, msg: name + " must be an RFC 3339 time such as 2026-01-02T15:04:05Z"}
	}
	return t, nil
}

// list is a page of a listing.
type list[T any] struct {
	Items []T `json:"items"`
	// NextCursor, when set, is the cursor parameter of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// timeOrNil leaves an unset time out of the JSON.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
