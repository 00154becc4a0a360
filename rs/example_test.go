package rs_test

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/lockstep-id/lockstep/rs"
)

const (
	exampleIssuer   = "https://login.example.com"
	exampleAudience = "https://api.example.com"

	exampleACRMFA      = "urn:lockstep:acr:mfa" // password and a second factor
	exampleACRPhishing = "urn:lockstep:acr:phr" // multi-factor with WebAuthn
)

// A tiny API server: orders need a token with the orders:read scope; payments
// need a second factor proven in the last 10 minutes, and large payments a
// phishing-resistant one in the last 5.
func Example() {
	ctx := context.Background()
	jwtTokens, err := rs.NewJWTValidator(ctx, exampleIssuer, exampleAudience, nil)
	if err != nil {
		log.Fatal(err)
	}
	// The API is registered at Lockstep as a confidential client.
	opaqueTokens, err := rs.NewIntrospectionValidator(ctx, exampleIssuer,
		"orders-api", os.Getenv("ORDERS_API_SECRET"), nil)
	if err != nil {
		log.Fatal(err)
	}
	m := &rs.Middleware{Validator: rs.Either(jwtTokens, opaqueTokens), Realm: "orders"}

	mux := http.NewServeMux()
	mux.Handle("GET /orders", m.Require(rs.Requirement{Scopes: []string{"orders:read"}},
		http.HandlerFunc(listOrders)))
	payments := rs.Requirement{Scopes: []string{"payments"}, ACR: []string{exampleACRMFA}, MaxAge: 10 * time.Minute}
	mux.Handle("POST /payments", m.Require(payments, pay(m)))

	log.Fatal(http.ListenAndServe(":8080", mux))
}

func listOrders(w http.ResponseWriter, r *http.Request) {
	tok, _ := rs.TokenFrom(r.Context())
	_ = json.NewEncoder(w).Encode(map[string]any{"user": tok.Subject, "orders": []string{}})
}

// pay asks for a phishing-resistant authentication above 10 000.
func pay(m *rs.Middleware) http.Handler {
	large := rs.Requirement{ACR: []string{exampleACRPhishing}, MaxAge: 5 * time.Minute}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := rs.TokenFrom(r.Context())
		amount, _ := strconv.Atoi(r.FormValue("amount"))
		if amount > 10000 && m.StepUpNeeded(tok, large) {
			rs.Challenge(w, large)
			return
		}
		log.Printf("payment of %d by %s (acr %s, amr %v)", amount, tok.Subject, tok.ACR, tok.AMR)
		w.WriteHeader(http.StatusNoContent)
	})
}
