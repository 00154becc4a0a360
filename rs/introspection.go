package rs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// IntrospectionValidator validates access tokens, opaque or not, by asking the
// issuer's RFC 7662 introspection endpoint on every call. It is safe for
// concurrent use.
type IntrospectionValidator struct {
	// Audience, when not empty, must be listed in the response's aud.
	// Set it before the first Validate.
	Audience string
	// Leeway is the clock skew allowed for exp and nbf (DefaultLeeway unless
	// changed). Set it before the first Validate.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now. Set it before the first
	// Validate.
	Now func() time.Time

	issuer       string
	endpoint     string
	clientID     string
	clientSecret string
	client       *http.Client
	ladder       []string
}

// NewIntrospectionValidator reads the issuer's discovery document for its
// introspection endpoint. The resource server authenticates there as an OAuth
// client with client_secret_basic. A nil httpClient means a client with a 10 s
// timeout.
func NewIntrospectionValidator(ctx context.Context, issuer, clientID, clientSecret string, httpClient *http.Client) (*IntrospectionValidator, error) {
	client := orDefault(httpClient)
	d, err := discover(ctx, client, issuer)
	if err != nil {
		return nil, err
	}
	if d.IntrospectionEndpoint == "" {
		return nil, fmt.Errorf("rs: issuer %s publishes no introspection_endpoint", issuer)
	}
	return &IntrospectionValidator{
		Leeway:       DefaultLeeway,
		issuer:       issuer,
		endpoint:     d.IntrospectionEndpoint,
		clientID:     clientID,
		clientSecret: clientSecret,
		client:       client,
		ladder:       d.ACRValuesSupported,
	}, nil
}

// Ladder returns the issuer's acr_values_supported, lowest first.
func (v *IntrospectionValidator) Ladder() []string { return v.ladder }

func (v *IntrospectionValidator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// introspection is an RFC 7662 response, with the RFC 9470 acr and auth_time.
type introspection struct {
	Active    bool         `json:"active"`
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	ClientID  string       `json:"client_id"`
	Scope     words        `json:"scope"`
	Audience  stringOrList `json:"aud"`
	Expiry    *numericDate `json:"exp"`
	NotBefore *numericDate `json:"nbf"`
	IssuedAt  *numericDate `json:"iat"`
	ACR       string       `json:"acr"`
	AMR       words        `json:"amr"`
	AuthTime  *numericDate `json:"auth_time"`
	// TokenUse is Lockstep's word for which kind of token this is.
	TokenUse string `json:"token_use"`
}

// Validate asks the introspection endpoint about raw.
func (v *IntrospectionValidator) Validate(ctx context.Context, raw string) (*Token, error) {
	if raw == "" {
		return nil, invalid("The access token is empty.", nil)
	}
	form := url.Values{"token": {raw}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("rs: introspection: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 section 2.3.1: the id and secret are form-encoded before Basic.
	req.SetBasicAuth(url.QueryEscape(v.clientID), url.QueryEscape(v.clientSecret))
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rs: introspection: %w", err)
	}
	var body json.RawMessage
	if err := decodeResponse(resp, &body); err != nil {
		return nil, fmt.Errorf("rs: introspection: %w", err)
	}
	var ir introspection
	if err := json.Unmarshal(body, &ir); err != nil {
		return nil, fmt.Errorf("rs: introspection: malformed response: %w", err)
	}
	all := map[string]any{}
	if err := json.Unmarshal(body, &all); err != nil {
		return nil, fmt.Errorf("rs: introspection: malformed response: %w", err)
	}

	if !ir.Active {
		return nil, invalid("The access token is not active.", nil)
	}
	if ir.TokenUse != "" && ir.TokenUse != "access_token" {
		// A refresh token is active too, but it is no bearer token.
		return nil, invalid("The token is not an access token.", nil)
	}
	if ir.Issuer != "" && ir.Issuer != v.issuer {
		return nil, invalid("The access token was issued by another issuer.", nil)
	}
	if v.Audience != "" && !slices.Contains(ir.Audience, v.Audience) {
		return nil, invalid("The access token is not meant for this resource.", nil)
	}
	// The issuer said active; these guard against a response cached too long.
	if err := checkTimes(v.now(), v.Leeway, ir.Expiry, ir.NotBefore, nil); err != nil {
		return nil, err
	}
	return &Token{
		Subject:  ir.Subject,
		ClientID: ir.ClientID,
		Scopes:   ir.Scope,
		ACR:      ir.ACR,
		AMR:      ir.AMR,
		AuthTime: ir.AuthTime.time(),
		IssuedAt: ir.IssuedAt.time(),
		Expiry:   ir.Expiry.time(),
		Audience: ir.Audience,
		Claims:   all,
		Raw:      raw,
	}, nil
}
