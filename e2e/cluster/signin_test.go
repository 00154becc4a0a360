package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/configs"
	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/idp"
)

const redirectURI = "http://127.0.0.1:1/callback"

var reFlow = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// browser is one person's browser in front of both nodes, as behind a load
// balancer: one cookie jar for the issuer's host, each request sent to the node
// the test names. It follows no redirect by itself.
type browser struct {
	t      *testing.T
	p      *pair
	client *http.Client
}

func newBrowser(t *testing.T, p *pair) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, p: p, client: &http.Client{Jar: jar, Timeout: requestDeadline,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// reply is a page's answer: its status, body, and where it redirects (a path on
// the issuer, or the client's callback).
type reply struct {
	status   int
	body     string
	next     string   // path and query on the issuer ("" for none)
	callback *url.URL // the redirect to the client, when that is where it goes
}

// do sends method pathAndQuery (and form, for a POST from the server's own page)
// to node n.
func (br *browser) do(n *node, method, pathAndQuery string, form url.Values) reply {
	br.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, n.URL+pathAndQuery, body)
	if err != nil {
		br.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := br.client.Do(req)
	if err != nil {
		br.t.Fatalf("%s %s on %s: %v", method, pathAndQuery, n.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, body: string(b)}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := url.Parse(loc)
		if err != nil {
			br.t.Fatalf("Location %q: %v", loc, err)
		}
		switch {
		case strings.HasPrefix(loc, "http://127.0.0.1:1/"): // the client: its callback, or where it goes after logout
			r.callback = u
		case !u.IsAbs() || u.Host == strings.TrimPrefix(br.p.issuer, "http://"):
			r.next = u.RequestURI()
		default:
			br.t.Fatalf("redirect to %s", loc)
		}
	}
	return r
}

func (r reply) flow(t *testing.T) string {
	t.Helper()
	m := reFlow.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no flow on the page (%d): %.400s", r.status, r.body)
	}
	return m[1]
}

// authRequest is one authorization request of the client with its PKCE verifier.
type authRequest struct {
	pathAndQuery, verifier, state string
}

func newAuthRequest(clientID string, extra url.Values) authRequest {
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	verifier := base64.RawURLEncoding.EncodeToString(random) // 43 characters, as PKCE asks
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid offline_access"},
		"redirect_uri": {redirectURI}, "state": {"state-" + verifier[:12]}, "nonce": {"nonce-" + verifier[12:24]},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	return authRequest{pathAndQuery: idp.PathAuthorize + "?" + q.Encode(), verifier: verifier, state: q.Get("state")}
}

// tokenRequest posts a grant to node n's token endpoint as the client.
func tokenRequest(t *testing.T, n *node, c clientCreds, form url.Values) (int, map[string]any) {
	t.Helper()
	return postForm(t, n.URL+idp.PathToken, c.id, c.secret, form)
}

type clientCreds struct{ id, secret string }

// claims decodes a JWT's payload; the signature is the RP's business, and the
// tests that check it live in e2e/.
func claims(t *testing.T, jwt any) map[string]any {
	t.Helper()
	s, _ := jwt.(string)
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", s)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// totpAt is the authenticator app's code for secret at time at.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// signInFixture is what the sign-in tests share: the nodes, a client and users.
type signInFixture struct {
	p      *pair
	client clientCreds
	pw     string
}

// user creates a user with the fixture's password and, when withApp, an
// authenticator app whose last used step is the one before now: the codes of
// now's step are unused. It returns the user's id and the app's key.
func (f signInFixture) user(t *testing.T, email string, withApp bool) (id, secret string) {
	t.Helper()
	ctx := context.Background()
	u, err := admin.CreateUser(ctx, f.p.store, app.PasswordHasher(configs.Default().Password), admin.UserSpec{
		Email: email, Password: f.pw, GivenName: "Ada", FamilyName: "Node"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !withApp {
		return u.ID, ""
	}
	sealer, err := factor.NewAEADSealer(idp.DeriveKey(testSecret, "totp-secrets", 32))
	if err != nil {
		t.Fatal(err)
	}
	tt := &factor.TOTP{Store: f.p.store, Sealer: sealer, Now: time.Now}
	e, err := tt.Begin(ctx, u.ID, email, "Phone")
	if err != nil {
		t.Fatal(err)
	}
	if err := tt.Confirm(ctx, u.ID, e.DeviceID, totpAt(t, e.Secret, time.Now().Add(-30*time.Second)), false); err != nil {
		t.Fatal(err)
	}
	return u.ID, e.Secret
}

func newSignInFixture(t *testing.T) signInFixture {
	t.Helper()
	// A small account limit, so that failures split across the nodes reach it.
	cfg := filepath.Join(t.TempDir(), "lockstep.yaml")
	if err := os.WriteFile(cfg, []byte("throttle:\n  account_failures: 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPair(t, cfg)
	c, secret, err := admin.CreateClient(context.Background(), p.store, idp.ClientSecretHasher(testSecret), admin.ClientSpec{
		Name: "Shop", RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{"http://127.0.0.1:1/bye"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, FirstParty: true,
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return signInFixture{p: p, client: clientCreds{c.ID, secret}, pw: "correct horse battery staple"}
}

// TestSignInAcrossNodes: every step of one sign-in, and what follows it, on
// alternate nodes of one database, as a load balancer without sticky sessions
// would send them; then the races that must have one winner whichever nodes the
// racers reach.
func TestSignInAcrossNodes(t *testing.T) {
	f := newSignInFixture(t)
	a, b := f.p.a, f.p.b

	t.Run("one sign-in, every step on the other node", func(t *testing.T) {
		_, secret := f.user(t, "ada@example.com", true)
		br := newBrowser(t, f.p)
		ar := newAuthRequest(f.client.id, nil)
		r := br.do(a, http.MethodGet, ar.pathAndQuery, nil) // authorize on A: the login form
		if r.status != http.StatusOK {
			t.Fatalf("authorize on A: %d %.300s", r.status, r.body)
		}
		r = br.do(b, http.MethodPost, "/login", url.Values{"flow": {r.flow(t)}, "email": {"ada@example.com"}, "password": {f.pw}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.next, "/challenge") {
			t.Fatalf("password on B: %d to %q %.300s", r.status, r.next, r.body)
		}
		challenge := br.do(a, http.MethodGet, r.next, nil) // the challenge page on A
		r = br.do(a, http.MethodPost, "/challenge", url.Values{"flow": {challenge.flow(t)}, "method": {"totp"},
			"code": {totpAt(t, secret, time.Now())}})
		for hops := 0; r.callback == nil; hops++ { // whatever pages follow, on alternate nodes
			if r.next == "" || hops > 4 {
				t.Fatalf("after the code: %d %q %.300s", r.status, r.next, r.body)
			}
			r = br.do([]*node{b, a}[hops%2], http.MethodGet, r.next, nil)
		}
		if r.callback.Query().Get("state") != ar.state {
			t.Fatalf("callback %s", r.callback)
		}
		st, tok := tokenRequest(t, b, f.client, url.Values{"grant_type": {"authorization_code"}, "code": {r.callback.Query().Get("code")},
			"redirect_uri": {redirectURI}, "code_verifier": {ar.verifier}}) // the token on B
		if st != http.StatusOK {
			t.Fatalf("token on B: %d %v", st, tok)
		}
		c := claims(t, tok["id_token"])
		if c["acr"] != flows.ACRMultiFactor || !slices.Contains(toStrings(c["amr"]), "otp") {
			t.Fatalf("ID token from B: acr %v amr %v", c["acr"], c["amr"])
		}
		st, refreshed := tokenRequest(t, a, f.client, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
		if st != http.StatusOK || refreshed["refresh_token"] == nil {
			t.Fatalf("refresh on A: %d %v", st, refreshed)
		}
		if rc := claims(t, refreshed["id_token"]); rc["auth_time"] != c["auth_time"] || rc["acr"] != c["acr"] {
			t.Fatalf("refreshed ID token: auth_time %v acr %v, want %v %v", rc["auth_time"], rc["acr"], c["auth_time"], c["acr"])
		}
		// Signed in: a new authorization on A needs no page at all.
		if r := br.do(a, http.MethodGet, newAuthRequest(f.client.id, nil).pathAndQuery, nil); r.callback == nil {
			t.Fatalf("single sign-on on A: %d %q", r.status, r.next)
		}
		// Logout on B, confirmed on its page.
		q := url.Values{"id_token_hint": {tok["id_token"].(string)}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}, "state": {"bye"}}
		if r := br.do(b, http.MethodGet, idp.PathEndSession+"?"+q.Encode(), nil); r.status != http.StatusOK {
			t.Fatalf("logout page on B: %d", r.status)
		}
		if r := br.do(b, http.MethodPost, idp.PathEndSession, q); r.status != http.StatusSeeOther {
			t.Fatalf("logout on B: %d %.300s", r.status, r.body)
		}
		// The same cookie on A: the session is gone, the password is asked again.
		r = br.do(a, http.MethodGet, newAuthRequest(f.client.id, nil).pathAndQuery, nil)
		if r.callback != nil || r.status != http.StatusOK || !strings.Contains(r.body, `name="password"`) {
			t.Fatalf("authorize on A after logout on B: %d %v %q", r.status, r.callback, r.next)
		}
	})

	t.Run("a code redeemed on A and on B at once is redeemed once", func(t *testing.T) {
		f.user(t, "bob@example.com", false)
		br := newBrowser(t, f.p)
		for i := range 8 {
			ar := newAuthRequest(f.client.id, nil)
			r := br.do(a, http.MethodGet, ar.pathAndQuery, nil)
			if r.callback == nil { // the first time: the password
				r = br.do(b, http.MethodPost, "/login", url.Values{"flow": {r.flow(t)}, "email": {"bob@example.com"}, "password": {f.pw}})
			}
			if r.callback == nil {
				t.Fatalf("sign-in %d: %d %q", i, r.status, r.next)
			}
			form := url.Values{"grant_type": {"authorization_code"}, "code": {r.callback.Query().Get("code")},
				"redirect_uri": {redirectURI}, "code_verifier": {ar.verifier}}
			statuses := race(t, []*node{a, b}, func(n *node) int { st, _ := tokenRequest(t, n, f.client, form); return st })
			if slices.Sort(statuses); !slices.Equal(statuses, []int{http.StatusOK, http.StatusBadRequest}) {
				t.Fatalf("race %d: statuses %v, want one 200 and one 400", i, statuses)
			}
		}
	})

	t.Run("one code posted on A and on B at once is accepted once", func(t *testing.T) {
		// Each round a new user, whose codes of this step are unused, gets to the
		// challenge in two browsers, one through each node, and both post the same
		// code at once.
		for round := range 6 {
			email := fmt.Sprintf("cy-%d@example.com", round)
			_, secret := f.user(t, email, true)
			var flowIDs [2]string
			var brs [2]*browser
			for i, n := range []*node{a, b} {
				brs[i] = newBrowser(t, f.p)
				r := brs[i].do(n, http.MethodGet, newAuthRequest(f.client.id, nil).pathAndQuery, nil)
				r = brs[i].do(n, http.MethodPost, "/login", url.Values{"flow": {r.flow(t)}, "email": {email}, "password": {f.pw}})
				if !strings.HasPrefix(r.next, "/challenge") {
					t.Fatalf("browser %d: password: %d %q", i, r.status, r.next)
				}
				flowIDs[i] = brs[i].do(n, http.MethodGet, r.next, nil).flow(t)
			}
			code := totpAt(t, secret, time.Now())
			replies := race(t, []int{0, 1}, func(i int) reply {
				return brs[i].do([]*node{a, b}[i], http.MethodPost, "/challenge", url.Values{"flow": {flowIDs[i]}, "method": {"totp"}, "code": {code}})
			})
			var accepted, refused int
			for _, r := range replies {
				switch {
				case r.status == http.StatusSeeOther:
					accepted++
				case r.status == http.StatusUnauthorized && strings.Contains(r.body, "already used"):
					refused++
				default:
					t.Errorf("round %d: a code post: %d %q %.300s", round, r.status, r.next, r.body)
				}
			}
			if accepted != 1 || refused != 1 {
				t.Fatalf("round %d: %d accepted, %d refused as used; want one of each", round, accepted, refused)
			}
		}
	})

	t.Run("failed passwords on A and on B add up to one limit", func(t *testing.T) {
		f.user(t, "dee@example.com", false)
		try := func(n *node, pw string) int {
			br := newBrowser(t, f.p)
			r := br.do(n, http.MethodGet, newAuthRequest(f.client.id, nil).pathAndQuery, nil)
			return br.do(n, http.MethodPost, "/login", url.Values{"flow": {r.flow(t)}, "email": {"dee@example.com"}, "password": {pw}}).status
		}
		for i, n := range []*node{a, b, a, b} { // account_failures: 4
			if st := try(n, "wrong password"); st != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i+1, st)
			}
		}
		for _, n := range []*node{a, b} {
			if st := try(n, f.pw); st != http.StatusTooManyRequests {
				t.Fatalf("the right password on %s after 4 failures on both nodes: %d, want 429", n.URL, st)
			}
		}
	})
}

// race runs f for each of ins at the same instant and returns the results in order.
func race[In, Out any](t *testing.T, ins []In, f func(In) Out) []Out {
	t.Helper()
	out := make([]Out, len(ins))
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			<-release
			out[i] = f(in)
		})
	}
	close(release)
	wg.Wait()
	return out
}

func toStrings(v any) []string {
	vs, _ := v.([]any)
	out := make([]string, 0, len(vs))
	for _, x := range vs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
