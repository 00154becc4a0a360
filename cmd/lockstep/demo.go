package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// demoApp is a tiny relying party for dev mode: /demo starts an authorization code
// + PKCE sign-in with the demo client, /demo/callback redeems the code and shows
// what the ID token says. It talks to Lockstep over HTTP like any other app.
type demoApp struct {
	issuer, clientID, secret string
}

func newDemoApp(issuer, clientID, secret string) http.Handler {
	d := &demoApp{issuer: strings.TrimSuffix(issuer, "/"), clientID: clientID, secret: secret}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /demo", d.start)
	mux.HandleFunc("GET /demo/callback", d.callback)
	return mux
}

var demoPage = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo App · Lockstep</title><link rel="stylesheet" href="/static/style.css"></head>
<body><div class="dev-ribbon" role="note">Development mode · not for production use</div>
<div class="shell"><main class="card card-wide">
<h1>Demo App</h1>
{{if .Error}}<div class="alert alert-error" role="alert">{{.Error}}</div>{{end}}
{{if .Claims}}<p>You are signed in. The ID token Lockstep issued says:</p><pre class="mono">{{.Claims}}</pre>{{end}}
<p><a class="btn btn-primary" href="/demo?claims={{.StepUp}}">Ask for two-step verification</a></p>
<p><a class="btn btn-secondary" href="/demo?prompt=login">Sign in again</a></p>
<p><a href="/account">Your security settings</a> · <a href="/logout">Sign out</a></p>
</main></div></body></html>`))

// demoStepUpClaims asks for the multi-factor level as an essential claim: a user
// without a second factor is asked to set one up.
const demoStepUpClaims = `{"id_token":{"acr":{"essential":true,"values":["urn:lockstep:acr:mfa"]}}}`

// randomString has 256 bits: enough for state and nonce, and a PKCE verifier must
// be at least 43 characters (RFC 7636).
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (d *demoApp) start(w http.ResponseWriter, r *http.Request) {
	state, verifier := randomString(), randomString()
	sum := sha256.Sum256([]byte(verifier))
	http.SetCookie(w, &http.Cookie{Name: "demo_state", Value: state + "." + verifier, Path: "/demo",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {d.clientID},
		"redirect_uri":          {d.issuer + "/demo/callback"},
		"scope":                 {"openid profile email offline_access"},
		"state":                 {state},
		"nonce":                 {randomString()},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	for _, k := range []string{"prompt", "max_age", "acr_values", "claims"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	http.Redirect(w, r, d.issuer+"/authorize?"+q.Encode(), http.StatusFound)
}

func (d *demoApp) callback(w http.ResponseWriter, r *http.Request) {
	page := struct{ Error, Claims, StepUp string }{StepUp: demoStepUpClaims}
	render := func() {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = demoPage.Execute(w, page)
	}
	q := r.URL.Query()
	c, err := r.Cookie("demo_state")
	state, verifier, _ := strings.Cut(func() string {
		if err != nil {
			return ""
		}
		return c.Value
	}(), ".")
	switch {
	case q.Get("error") != "":
		page.Error = "Sign-in failed: " + q.Get("error") + " " + q.Get("error_description")
	case state == "" || q.Get("state") != state:
		page.Error = "The state does not match; start again."
	case q.Get("iss") != d.issuer:
		page.Error = "The response came from an unexpected issuer."
	default:
		claims, err := d.redeem(r, q.Get("code"), verifier)
		if err != nil {
			page.Error = err.Error()
		} else {
			page.Claims = claims
		}
	}
	render()
}

// redeem exchanges the code and decodes the ID token's payload for display. The
// token came straight from the token endpoint over the back channel, so showing it
// needs no signature check; a real app verifies it (the README shows go-oidc).
func (d *demoApp) redeem(r *http.Request, code, verifier string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {d.issuer + "/demo/callback"}, "code_verifier": {verifier}}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, d.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(d.clientID), url.QueryEscape(d.secret))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("token request failed: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
		Desc    string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		return "", fmt.Errorf("token response unreadable: %w", err)
	}
	if tok.Error != "" {
		return "", fmt.Errorf("token request refused: %s %s", tok.Error, tok.Desc)
	}
	parts := strings.Split(tok.IDToken, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("no ID token in the response")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	out, _ := json.MarshalIndent(claims, "", "  ")
	return string(out), nil
}
