package flows

import (
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestParseAuthRequest(t *testing.T) {
	tests := []struct {
		query   string
		wantErr bool
		check   func(AuthRequest) bool
	}{
		{"", false, func(a AuthRequest) bool { return a.MaxAge == nil && !a.PromptNone && !a.PromptLogin }},
		{"prompt=none", false, func(a AuthRequest) bool { return a.PromptNone }},
		{"prompt=login+consent", false, func(a AuthRequest) bool { return a.PromptLogin }},
		{"prompt=none+login", true, nil},
		{"prompt=bogus", true, nil},
		{"max_age=0", false, func(a AuthRequest) bool { return a.MaxAge != nil && *a.MaxAge == 0 }},
		{"max_age=3600", false, func(a AuthRequest) bool { return *a.MaxAge == time.Hour }},
		{"max_age=abc", true, nil},
		{"max_age=-1", true, nil},
		{"max_age=1.5", true, nil},
		{"max_age=", true, nil},
		{"acr_values=a+b", false, func(a AuthRequest) bool { return slices.Equal(a.ACRValues, []string{"a", "b"}) }},
		{"claims=" + url.QueryEscape(`{"id_token":{"acr":{"essential":true,"values":["x","y"]}}}`), false,
			func(a AuthRequest) bool { return slices.Equal(a.EssentialACR, []string{"x", "y"}) }},
		{"claims=" + url.QueryEscape(`{"id_token":{"acr":{"essential":true,"value":"x"}}}`), false,
			func(a AuthRequest) bool { return slices.Equal(a.EssentialACR, []string{"x"}) }},
		{"claims=" + url.QueryEscape(`{"id_token":{"acr":{"values":["x"]}}}`), false,
			func(a AuthRequest) bool { return a.EssentialACR == nil }},
		{"claims=" + url.QueryEscape(`{"userinfo":{"acr":{"essential":true,"value":"x"}}}`), false,
			func(a AuthRequest) bool { return slices.Equal(a.EssentialACR, []string{"x"}) }},
		{"claims=not-json", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			form, _ := url.ParseQuery(tt.query)
			a, err := ParseAuthRequest(form)
			var re *RequestError
			if tt.wantErr {
				if !errors.As(err, &re) || re.Hint == "" {
					t.Fatalf("err = %v, want a RequestError", err)
				}
				return
			}
			if err != nil || !tt.check(a) {
				t.Fatalf("ParseAuthRequest = %+v, %v", a, err)
			}
		})
	}
}
