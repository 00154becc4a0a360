package flows

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request its client gave up on is logged as abandoned, not as a server
// error, and counted as 499.
func TestErrorPagesAbandonedRequest(t *testing.T) {
	var logs bytes.Buffer
	p := &ErrorPages{Log: slog.New(slog.NewTextHandler(&logs, nil)), RequestID: func(*http.Request) string { return "rid" }}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/login", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	p.Write(w, r, fmt.Errorf("look up login: %w", context.Canceled))
	if w.Code != StatusClientClosedRequest || w.Body.Len() != 0 {
		t.Errorf("abandoned request: %d %q, want 499 and no body", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "abandoned") {
		t.Errorf("log: %s", logs.String())
	}
}
