package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	josejwt "github.com/go-jose/go-jose/v3/jwt"

	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
)

// discovery is /.well-known/openid-configuration.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	WriteJSON(w, http.StatusOK, map[string]any{
		"issuer":                                        p.opt.Issuer,
		"authorization_endpoint":                        p.URL(PathAuthorize),
		"token_endpoint":                                p.URL(PathToken),
		"userinfo_endpoint":                             p.URL(PathUserinfo),
		"jwks_uri":                                      p.URL(PathJWKS),
		"introspection_endpoint":                        p.URL(PathIntrospect),
		"revocation_endpoint":                           p.URL(PathRevoke),
		"end_session_endpoint":                          p.URL(PathEndSession),
		"scopes_supported":                              []string{"openid", "profile", "email", "phone", "offline_access"},
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         idTokenAlgs(p.opt.SigningAlgorithm),
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":              []string{"S256"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid",
			"at_hash", "email", "email_verified", "name", "given_name", "family_name"},
		"claims_parameter_supported":                     true,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"acr_values_supported":                           flows.ACRLadder,
		"prompt_values_supported":                        []string{"none", "login", "consent"},
		"authorization_response_iss_parameter_supported": true,
		"ui_locales_supported":                           p.opt.Pages.Languages(),
	})
}

// jwks publishes the active and recently retired public keys.
func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := p.opt.Keys.PublicKeys(r.Context())
	if err != nil {
		p.opt.Log.ErrorContext(r.Context(), "jwks", "error", err)
		http.Error(w, "keys unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	WriteJSON(w, http.StatusOK, set)
}

// verifyIDToken checks an ID token's signature against our published keys and its
// issuer. Expiry is not checked: id_token_hint and logout accept expired tokens.
func (p *Provider) verifyIDToken(ctx context.Context, raw string) (map[string]any, error) {
	tok, err := josejwt.ParseSigned(raw)
	if err != nil {
		return nil, fmt.Errorf("parse id token: %w", err)
	}
	if len(tok.Headers) != 1 {
		return nil, errors.New("id token must have one signature")
	}
	key, err := p.opt.Keys.PublicKey(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	if tok.Headers[0].Algorithm != key.Algorithm {
		return nil, errors.New("id token algorithm does not match its key")
	}
	claims := map[string]any{}
	if err := tok.Claims(key.Key, &claims); err != nil {
		return nil, fmt.Errorf("verify id token: %w", err)
	}
	if iss, _ := claims["iss"].(string); iss != p.opt.Issuer {
		return nil, errors.New("id token from another issuer")
	}
	return claims, nil
}

// idTokenAlgs lists the server's default first, then the other algorithm a client
// may choose (id_token_signed_response_alg).
func idTokenAlgs(def string) []string {
	algs := []string{def}
	for _, a := range configs.SigningAlgorithms {
		if a != def {
			algs = append(algs, a)
		}
	}
	return algs
}
