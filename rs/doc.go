// Package rs is for resource servers (APIs) that accept Lockstep access tokens
// and ask for step-up authentication with RFC 9470 challenges.
//
// Lockstep issues access tokens in one of two forms, chosen per client:
//
//   - JWT (RFC 9068): NewJWTValidator checks them locally with the issuer's
//     published keys (typ at+jwt, RS256 or ES256, iss, aud, exp, nbf).
//   - opaque: NewIntrospectionValidator asks the issuer's introspection endpoint
//     (RFC 7662), authenticating as an OAuth client with client_secret_basic.
//
// Either(jwt, opaque) accepts both. Both kinds carry acr, amr and auth_time.
//
// Middleware.Require guards a handler with a Requirement: scopes, acceptable acr
// values (a higher value on the issuer's acr ladder, acr_values_supported lowest
// first, also meets the requirement) and a maximum authentication age. A token
// that falls short of the acr or age gets 401 with
//
//	WWW-Authenticate: Bearer error="insufficient_user_authentication",
//	  error_description="A higher authentication level is required.",
//	  acr_values="urn:lockstep:acr:mfa", max_age=600
//
// (one line in the response). The client sends the user back to Lockstep with
// those acr_values and max_age, gets a new token and retries. The other answers
// are 401 with only a realm when there is no bearer token (RFC 6750 section 3.1),
// 401 invalid_token, 403 insufficient_scope, and 503 when the issuer could not be
// asked; every one has a JSON body {"error": ..., "error_description": ...} and
// Cache-Control: no-store.
//
// The handler finds the validated token with TokenFrom. A handler that decides by
// itself, for example on the amount of a payment, uses Middleware.StepUpNeeded and
// Challenge.
//
// A complete API server:
//
//	package main
//
//	import (
//		"context"
//		"encoding/json"
//		"log"
//		"net/http"
//		"os"
//		"strconv"
//		"time"
//
//		"github.com/lockstep-id/lockstep/rs"
//	)
//
//	const (
//		issuer = "https://login.example.com"
//		// Lockstep sets aud to the id of the client the token was issued to (it has
//		// no resource indicators yet): name the app whose tokens this API accepts,
//		// or "" to accept every client's.
//		audience = "web-app"
//
//		acrMFA      = "urn:lockstep:acr:mfa" // password and a second factor
//		acrPhishing = "urn:lockstep:acr:phr" // multi-factor with WebAuthn
//	)
//
//	func main() {
//		ctx := context.Background()
//		jwtTokens, err := rs.NewJWTValidator(ctx, issuer, audience, nil)
//		if err != nil {
//			log.Fatal(err)
//		}
//		// The API is registered at Lockstep as a confidential client.
//		opaqueTokens, err := rs.NewIntrospectionValidator(ctx, issuer,
//			"orders-api", os.Getenv("ORDERS_API_SECRET"), nil)
//		if err != nil {
//			log.Fatal(err)
//		}
//		m := &rs.Middleware{Validator: rs.Either(jwtTokens, opaqueTokens), Realm: "orders"}
//
//		mux := http.NewServeMux()
//		// Any signed-in user with the orders:read scope.
//		mux.Handle("GET /orders", m.Require(rs.Requirement{Scopes: []string{"orders:read"}},
//			http.HandlerFunc(listOrders)))
//		// Payments: a second factor, proven in the last 10 minutes.
//		payments := rs.Requirement{Scopes: []string{"payments"}, ACR: []string{acrMFA}, MaxAge: 10 * time.Minute}
//		mux.Handle("POST /payments", m.Require(payments, pay(m)))
//
//		log.Fatal(http.ListenAndServe(":8080", mux))
//	}
//
//	func listOrders(w http.ResponseWriter, r *http.Request) {
//		tok, _ := rs.TokenFrom(r.Context())
//		json.NewEncoder(w).Encode(map[string]any{"user": tok.Subject, "orders": []string{}})
//	}
//
//	// pay asks for a phishing-resistant authentication above 10 000.
//	func pay(m *rs.Middleware) http.Handler {
//		large := rs.Requirement{ACR: []string{acrPhishing}, MaxAge: 5 * time.Minute}
//		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			tok, _ := rs.TokenFrom(r.Context())
//			amount, _ := strconv.Atoi(r.FormValue("amount"))
//			if amount > 10000 && m.StepUpNeeded(tok, large) {
//				rs.Challenge(w, large)
//				return
//			}
//			log.Printf("payment of %d by %s (acr %s, amr %v)", amount, tok.Subject, tok.ACR, tok.AMR)
//			w.WriteHeader(http.StatusNoContent)
//		})
//	}
//
// The constructors fetch the issuer's discovery document
// (ISSUER/.well-known/openid-configuration) and, for JWTs, its JWKS; keys are
// cached and fetched again, at most once a minute, when a token names a key id
// not yet known (key rotation). Introspection asks the issuer on every request.
package rs
