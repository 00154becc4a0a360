package rs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/lockstep-id/lockstep/rs"
)

// fixed is a Validator that returns the same token for every request, standing in
// for the issuer.
type fixed rs.Token

func (f *fixed) Validate(ctx context.Context, raw string) (*rs.Token, error) {
	t := rs.Token(*f)
	t.Raw = raw
	return &t, nil
}

// What a client sees when its token's authentication is too weak or too old.
func ExampleMiddleware_Require() {
	now := time.Date(2030, 1, 2, 12, 0, 0, 0, time.UTC)
	m := &rs.Middleware{
		Validator: &fixed{Subject: "user-42", ACR: "urn:lockstep:acr:pwd", AuthTime: now.Add(-time.Hour)},
		Ladder:    []string{"urn:lockstep:acr:pwd", "urn:lockstep:acr:mfa", "urn:lockstep:acr:phr"},
		Now:       func() time.Time { return now },
	}
	h := m.Require(rs.Requirement{ACR: []string{"urn:lockstep:acr:mfa"}, MaxAge: 15 * time.Minute},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	r := httptest.NewRequest(http.MethodGet, "/payments", nil)
	r.Header.Set("Authorization", "Bearer some-token")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	fmt.Println(w.Header().Get("WWW-Authenticate"))
	fmt.Print(w.Body)
	// Output:
	// 401
	// Bearer error="insufficient_user_authentication", error_description="A higher authentication level and a more recent authentication are required.", acr_values="urn:lockstep:acr:mfa", max_age=900
	// {"error":"insufficient_user_authentication","error_description":"A higher authentication level and a more recent authentication are required."}
}

func ExampleChallenge() {
	w := httptest.NewRecorder()
	rs.Challenge(w, rs.Requirement{MaxAge: 5 * time.Minute})
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// 401 Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required.", max_age=300
}
