package emaillink

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	token, hash := New()
	if !Valid(token) {
		t.Errorf("New gave %q, which is not Valid", token)
	}
	if hash != Hash(token) || len(hash) != 64 || strings.Contains(hash, token) {
		t.Errorf("hash %q of token %q", hash, token)
	}
	if other, _ := New(); other == token {
		t.Errorf("two tokens alike: %q", token)
	}
}

func TestValid(t *testing.T) {
	token, _ := New()
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{token, true},
		{"", false},
		{token[:42], false},
		{token + "A", false},
		{token[:42] + "+", false},
		{token + "=", false},
	} {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
