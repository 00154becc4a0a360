package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lockstep-id/lockstep/admin"
	"github.com/lockstep-id/lockstep/app"
	"github.com/lockstep-id/lockstep/idp"
)

// invariants are queries that count rows no write of Lockstep's may leave behind,
// whole or torn: each must answer 0.
var invariants = []struct{ name, query string }{
	{"a refresh family with two live refresh tokens",
		`SELECT count(*) FROM (SELECT request_id FROM tokens WHERE kind = 'refresh_token' AND active
			GROUP BY request_id HAVING count(*) > 1) f`},
	{"a spent authorization code whose tokens were not stored",
		`SELECT count(*) FROM tokens c WHERE c.kind = 'authorize_code' AND NOT c.active
			AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.kind = 'access_token' AND t.request_id = c.request_id)`},
	{"a code's PKCE or OpenID Connect record left after the code was spent",
		`SELECT count(*) FROM tokens r JOIN tokens c ON c.kind = 'authorize_code' AND c.signature = r.signature
			WHERE r.kind IN ('pkce', 'oidc') AND NOT c.active`},
	{"a live refresh token of no user",
		`SELECT count(*) FROM tokens t WHERE t.kind = 'refresh_token' AND t.active
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.subject)`},
	{"a session of no user",
		`SELECT count(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)`},
}

func checkInvariants(t *testing.T, dsn, when string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, inv := range invariants {
		var n int
		if err := conn.QueryRow(ctx, inv.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", inv.name, err)
		}
		if n != 0 {
			t.Errorf("%s: %d times %s", when, n, inv.name)
		}
	}
	// The queries look at something: spent codes and refresh families are there.
	var codes, families int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'authorize_code' AND NOT active),
		count(DISTINCT request_id) FILTER (WHERE kind = 'refresh_token') FROM tokens`).Scan(&codes, &families); err != nil {
		t.Fatal(err)
	}
	if codes == 0 || families == 0 {
		t.Errorf("%s: %d spent codes and %d refresh families to check, want some of each", when, codes, families)
	}
}

// outageLoad counts what the load saw, and keeps every answer that is neither
// the step's own nor a 503 (the test fails on any).
type outageLoad struct {
	signIns    atomic.Int64 // whole sign-ins, code redeemed
	tokens     atomic.Int64 // client-credentials tokens and refreshes
	pages503   atomic.Int64
	json503    atomic.Int64
	restarted  atomic.Int64 // refresh chains started again after an ambiguous outage answer
	stop       atomic.Bool
	mu         sync.Mutex
	unexpected []string
}

func (l *outageLoad) bad(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unexpected = append(l.unexpected, fmt.Sprintf(format, args...))
}

// page checks a hosted page's answer during the run: the step's own answer, or
// 503 with the try-again page; it reports whether the step went through.
func (l *outageLoad) page(what string, r reply, ok ...int) bool {
	for _, st := range ok {
		if r.status == st {
			return true
		}
	}
	if r.status == http.StatusServiceUnavailable && strings.Contains(r.body, "try again shortly") &&
		!strings.Contains(r.body, "pgconn") && !strings.Contains(r.body, "dial tcp") {
		l.pages503.Add(1)
		return false
	}
	l.bad("%s: %d %.200s", what, r.status, r.body)
	return false
}

// api checks a token endpoint's answer: 200, or 503 temporarily_unavailable.
func (l *outageLoad) api(what string, st int, body map[string]any) bool {
	switch {
	case st == http.StatusOK:
		return true
	case st == http.StatusServiceUnavailable && body["error"] == "temporarily_unavailable":
		l.json503.Add(1)
		return false
	}
	l.bad("%s: %d %v", what, st, body)
	return false
}

// TestStoreOutageUnderLoad stops PostgreSQL while sign-ins, client-credentials
// tokens and refreshes run concurrently, and starts it again: every answer in
// between is the step's own or a 503 (page or OAuth JSON), none takes longer than
// the request deadline, the same process serves again, every interrupted sign-in
// can be started again and succeeds, and the store's invariants hold.
func TestStoreOutageUnderLoad(t *testing.T) {
	ctx := context.Background()
	srv := startOutageServer(t)
	c, secret, err := admin.CreateClient(ctx, srv.store, idp.ClientSecretHasher(testSecret), admin.ClientSpec{
		Name: "Shop", RedirectURIs: []string{redirectURI}, FirstParty: true,
		GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"},
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	client := clientCreds{c.ID, secret}
	const pw = "correct horse battery staple"
	if _, err := admin.CreateUser(ctx, srv.store, app.PasswordHasher(srv.cfg.Password), admin.UserSpec{
		Email: "ada@example.com", Password: pw, GivenName: "Ada", FamilyName: "Outage"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	n := &node{URL: srv.issuer}
	p := &pair{issuer: srv.issuer}
	l := &outageLoad{}

	// signIn runs one whole sign-in in a new browser; it returns the token
	// response, or nil when an outage answer stopped it.
	signIn := func() map[string]any {
		br := newBrowser(t, p)
		ar := newAuthRequest(client.id, nil)
		r := br.do(n, http.MethodGet, ar.pathAndQuery, nil)
		if !l.page("authorize", r, http.StatusOK) {
			return nil
		}
		r = br.do(n, http.MethodPost, "/login", url.Values{"flow": {r.flow(t)}, "email": {"ada@example.com"}, "password": {pw}})
		if !l.page("password", r, http.StatusSeeOther) {
			return nil
		}
		if r.callback == nil {
			l.bad("password: redirected to %q, not the client", r.next)
			return nil
		}
		st, tok := tokenRequest(t, n, client, url.Values{"grant_type": {"authorization_code"}, "code": {r.callback.Query().Get("code")},
			"redirect_uri": {redirectURI}, "code_verifier": {ar.verifier}})
		if !l.api("code redemption", st, tok) {
			return nil
		}
		l.signIns.Add(1)
		return tok
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for !l.stop.Load() {
				if signIn() == nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	wg.Go(func() {
		for !l.stop.Load() {
			st, body := tokenRequest(t, n, client, url.Values{"grant_type": {"client_credentials"}})
			if l.api("client credentials", st, body) {
				l.tokens.Add(1)
			} else {
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
	wg.Go(func() {
		// A refresh answered 503 may have been stored before the connection went
		// (the client cannot know): sent again, it is a reused token and its
		// family is revoked, so the chain starts again with a sign-in. Without an
		// outage answer before it, a refusal is a failure.
		rt, after503 := "", false
		for !l.stop.Load() {
			if rt == "" {
				if tok := signIn(); tok != nil {
					rt, after503 = tok["refresh_token"].(string), false
				}
				continue
			}
			st, body := tokenRequest(t, n, client, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
			switch {
			case st == http.StatusBadRequest && body["error"] == "invalid_grant" && after503:
				rt = ""
				l.restarted.Add(1)
			case l.api("refresh", st, body):
				rt, after503 = body["refresh_token"].(string), false
				l.tokens.Add(1)
			default:
				after503 = true
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				l.stop.Store(true)
				wg.Wait()
				t.Fatalf("%s: not within 30 s (%d sign-ins, %d tokens, unexpected %v)", what, l.signIns.Load(), l.tokens.Load(), l.unexpected)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("sign-ins and tokens before the outage", func() bool { return l.signIns.Load() >= 5 && l.tokens.Load() >= 20 })
	checkInvariants(t, srv.pg.DSN(), "before the outage")

	srv.pg.stop()
	waitFor("503 pages and JSON during the outage", func() bool { return l.pages503.Load() >= 3 && l.json503.Load() >= 3 })
	if st, _ := http.Get(srv.issuer + "/readyz"); st == nil || st.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage: %v, want 503", st)
	} else {
		st.Body.Close()
	}
	time.Sleep(time.Second)
	srv.pg.start()

	signIns, tokens := l.signIns.Load(), l.tokens.Load()
	waitFor("sign-ins and tokens after the outage", func() bool {
		return l.signIns.Load() >= signIns+5 && l.tokens.Load() >= tokens+20
	})
	l.stop.Store(true)
	wg.Wait()
	if len(l.unexpected) > 0 {
		t.Errorf("%d answers neither the step's own nor a 503:\n%s", len(l.unexpected), strings.Join(l.unexpected, "\n"))
	}
	if st, err := http.Get(srv.issuer + "/readyz"); err != nil || st.StatusCode != http.StatusOK {
		t.Errorf("readyz after the outage: %v %v", st, err)
	}
	checkInvariants(t, srv.pg.DSN(), "after the outage")
	stats, _ := json.Marshal(map[string]int64{"sign_ins": l.signIns.Load(), "tokens": l.tokens.Load(),
		"pages_503": l.pages503.Load(), "json_503": l.json503.Load(), "refresh_chains_restarted": l.restarted.Load()})
	t.Logf("load: %s", stats)
}
