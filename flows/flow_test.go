package flows

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

// A flow is bound to the browser that started it, lives FlowLifetime, and each
// version moves on once (README, Security choices: "A login flow is bound to the
// browser that started it, expires (30 minutes), and can be completed once").
func TestFlowBoundExpiringOnce(t *testing.T) {
	ctx := context.Background()
	tc := newTestCore(t)
	tc.FlowLifetime = 30 * time.Minute
	w := httptest.NewRecorder()
	f, err := tc.StartFlow(ctx, w, request(nil), NewFlow{Kind: KindAuthorize, ClientID: "app", State: StateLogin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.StartFlow(ctx, httptest.NewRecorder(), request(nil), NewFlow{Kind: KindAuthorize, State: StateDone}); err == nil {
		t.Error("a flow started in a state the table does not allow")
	}
	starter, other := request(w), request(nil)
	otherBrowser := httptest.NewRecorder()
	if _, err := tc.StartFlow(ctx, otherBrowser, other, NewFlow{Kind: KindAuthorize, ClientID: "app", State: StateLogin}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		r     func() *httptest.ResponseRecorder
		id    string
		after time.Duration
		want  error
	}{
		{"the browser that started it", func() *httptest.ResponseRecorder { return w }, f.ID, 0, nil},
		{"just before it expires", func() *httptest.ResponseRecorder { return w }, f.ID, 30*time.Minute - time.Second, nil},
		{"when it expires", func() *httptest.ResponseRecorder { return w }, f.ID, 30 * time.Minute, errFlowGone},
		{"another browser", func() *httptest.ResponseRecorder { return otherBrowser }, f.ID, 0, errFlowForeign},
		{"no browser cookie", func() *httptest.ResponseRecorder { return nil }, f.ID, 0, errFlowForeign},
		{"unknown flow", func() *httptest.ResponseRecorder { return w }, "nope", 0, errFlowGone},
		{"no flow named", func() *httptest.ResponseRecorder { return w }, "", 0, errFlowGone},
	}
	start := tc.now
	for _, tt := range tests {
		tc.now = start.Add(tt.after)
		got, err := tc.LoadFlow(ctx, request(tt.r()), tt.id)
		if !errors.Is(err, tt.want) || err == nil && got.ID != f.ID {
			t.Errorf("%s: LoadFlow = %v, %v; want %v", tt.name, got.ID, err, tt.want)
		}
	}
	tc.now = start
	if !tc.InBrowser(starter, f) || tc.InBrowser(other, f) || tc.InBrowser(request(nil), f) {
		t.Error("InBrowser does not tell the starting browser from others")
	}

	// Two requests holding the same version: the first moves it on, the second loses.
	first, second := f, f
	if err := first.MoveTo(StateSecondFactor); err != nil {
		t.Fatal(err)
	}
	if err := tc.Advance(ctx, &first); err != nil {
		t.Fatalf("first step: %v", err)
	}
	if err := second.MoveTo(StateAuthenticated); err != nil {
		t.Fatal(err)
	}
	if err := tc.Advance(ctx, &second); err == nil {
		t.Error("a second step from the same version was stored")
	}
	stored, err := tc.LoadFlow(ctx, starter, f.ID)
	if err != nil || stored.Current() != StateSecondFactor || stored.Version != first.Version {
		t.Errorf("stored flow %s v%d (%v), want %s v%d", stored.Current(), stored.Version, err, StateSecondFactor, first.Version)
	}
}
