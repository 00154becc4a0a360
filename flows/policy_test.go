package flows

import (
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	dur := func(d time.Duration) *time.Duration { return &d }
	fresh := &storage.Session{UserID: "u1", AuthTime: now.Add(-time.Minute)}
	old := &storage.Session{UserID: "u1", AuthTime: now.Add(-2 * time.Hour)}
	tests := []struct {
		name string
		req  AuthRequest
		sess *storage.Session
		want Decision
	}{
		{"no session", AuthRequest{}, nil, NeedLogin},
		{"fresh session", AuthRequest{}, fresh, Satisfied},
		{"prompt login", AuthRequest{PromptLogin: true}, fresh, NeedLogin},
		{"max_age within", AuthRequest{MaxAge: dur(time.Hour)}, fresh, Satisfied},
		{"max_age exceeded", AuthRequest{MaxAge: dur(time.Hour)}, old, NeedLogin},
		{"max_age zero", AuthRequest{MaxAge: dur(0)}, fresh, NeedLogin},
		{"max_age zero same instant", AuthRequest{MaxAge: dur(0)}, &storage.Session{UserID: "u1", AuthTime: now}, NeedLogin},
		{"hint same user", AuthRequest{HintSubject: "u1"}, fresh, Satisfied},
		{"hint other user", AuthRequest{HintSubject: "u2"}, fresh, NeedLogin},
		{"essential pwd", AuthRequest{EssentialACR: []string{ACRPassword}}, fresh, Satisfied},
		{"essential mfa only", AuthRequest{EssentialACR: []string{ACRMultiFactor}}, fresh, Unmet},
		{"essential mfa no session", AuthRequest{EssentialACR: []string{ACRMultiFactor}}, nil, Unmet},
		{"essential mfa or pwd", AuthRequest{EssentialACR: []string{ACRMultiFactor, ACRPassword}}, nil, NeedLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Decide(tt.req, tt.sess, now)
			if got != tt.want {
				t.Fatalf("Decide = %v (%s), want %v", got, reason, tt.want)
			}
			if reason == "" {
				t.Fatal("no reason given")
			}
		})
	}
}

func TestAMRAndACR(t *testing.T) {
	at := time.Unix(0, 0)
	p := func(ms ...string) []storage.FactorProof {
		var out []storage.FactorProof
		for _, m := range ms {
			out = append(out, storage.FactorProof{Method: m, At: at})
		}
		return out
	}
	tests := []struct {
		proofs  []storage.FactorProof
		wantAMR []string
		wantACR string
	}{
		{nil, nil, ""},
		{p("pwd"), []string{"pwd"}, ACRPassword},
		{p("pwd", "pwd"), []string{"pwd"}, ACRPassword},
		{p("pwd", "otp"), []string{"pwd", "otp", "mfa"}, ACRMultiFactor},
		{p("pwd", "hwk"), []string{"pwd", "hwk", "mfa"}, ACRPhishingResistant},
	}
	for _, tt := range tests {
		amr := AMR(tt.proofs)
		if len(amr) != len(tt.wantAMR) {
			t.Fatalf("AMR(%v) = %v, want %v", tt.proofs, amr, tt.wantAMR)
		}
		for i := range amr {
			if amr[i] != tt.wantAMR[i] {
				t.Fatalf("AMR(%v) = %v, want %v", tt.proofs, amr, tt.wantAMR)
			}
		}
		if got := ACR(tt.proofs); got != tt.wantACR {
			t.Fatalf("ACR(%v) = %q, want %q", tt.proofs, got, tt.wantACR)
		}
	}
}
