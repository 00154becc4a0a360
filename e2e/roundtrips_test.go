package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/storage/postgres"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

// clientRead is how the client cache's read of a client starts.
var clientRead = short(`SELECT id, secret_hash, name, redirect_uris`)

// tripTracer records every round trip the store's connections make to
// PostgreSQL: a statement, a batch (its statements pipelined, one round trip) or
// the preparation of a statement the connection had not seen yet.
type tripTracer struct {
	mu    sync.Mutex
	trips []string
}

type preparingKey struct{}

var reSpace = regexp.MustCompile(`\s+`)

// short is the start of a statement, enough to tell it apart.
func short(sql string) string {
	sql = strings.TrimSpace(reSpace.ReplaceAllString(sql, " "))
	if len(sql) > 70 {
		sql = sql[:70] + "…"
	}
	return sql
}

func (tr *tripTracer) add(trip string) {
	tr.mu.Lock()
	tr.trips = append(tr.trips, trip)
	tr.mu.Unlock()
}

func (tr *tripTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	tr.add(short(d.SQL))
	return ctx
}

func (tr *tripTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (tr *tripTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	var sqls []string
	for _, q := range d.Batch.QueuedQueries {
		sqls = append(sqls, short(q.SQL))
	}
	tr.add("batch [" + strings.Join(sqls, " | ") + "]")
	return ctx
}

func (tr *tripTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (tr *tripTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (tr *tripTracer) TracePrepareStart(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareStartData) context.Context {
	return context.WithValue(ctx, preparingKey{}, d.SQL)
}

func (tr *tripTracer) TracePrepareEnd(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareEndData) {
	if !d.AlreadyPrepared {
		sql, _ := ctx.Value(preparingKey{}).(string)
		tr.add("prepare " + short(sql))
	}
}

// take returns the round trips since the last take.
func (tr *tripTracer) take() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	trips := tr.trips
	tr.trips = nil
	return trips
}

// hopTrips are the round trips of one HTTP request.
type hopTrips struct {
	hop   string // method and path
	trips []string
}

// tripCounter drives a browser one request at a time and records each request's
// round trips.
type tripCounter struct {
	t    *testing.T
	s    *server
	tr   *tripTracer
	b    *browser
	hops []hopTrips
}

// follow makes req and follows the redirects that stay on Lockstep, one request
// at a time; it returns the last response's page.
func (c *tripCounter) follow(req *http.Request) page {
	c.t.Helper()
	c.tr.take()
	for range 10 {
		resp, err := c.b.client.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.hops = append(c.hops, hopTrips{req.Method + " " + req.URL.Path, c.tr.take()})
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
			return page{resp: resp, body: string(body), url: req.URL}
		}
		next, err := req.URL.Parse(loc)
		if err != nil {
			c.t.Fatal(err)
		}
		if !strings.HasPrefix(next.String(), c.s.URL+"/") {
			return page{resp: resp, body: string(body), url: req.URL, callback: next}
		}
		req = mustRequest(c.t, http.MethodGet, next.String(), nil)
	}
	c.t.Fatal("too many redirects")
	return page{}
}

func (c *tripCounter) post(path string, form url.Values) page {
	c.t.Helper()
	req := mustRequest(c.t, http.MethodPost, c.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.follow(req)
}

// redeem exchanges the callback's code at the token endpoint.
func (c *tripCounter) redeem(r *rp, a attempt, p page) {
	c.t.Helper()
	if p.callback == nil || p.callback.Query().Get("code") == "" {
		c.t.Fatalf("the sign-in did not reach the client with a code: %d %s %.300s", p.resp.StatusCode, p.url, p.body)
	}
	c.tr.take()
	if _, err := r.cfg.Exchange(r.ctx, p.callback.Query().Get("code"), oauth2.VerifierOption(a.verifier)); err != nil {
		c.t.Fatalf("exchange: %v", err)
	}
	c.hops = append(c.hops, hopTrips{"POST /oauth/token", c.tr.take()})
}

// TestSignInRoundtrips counts the round trips to PostgreSQL of each request of a
// password sign-in and of one with an authenticator-app code, from /authorize to
// the token endpoint, once the connection has prepared its statements (as it has
// under load). Every sign-in pays for each of them in pgx, the kernel and the
// database (SPEC §9), so one more fails the test.
func TestSignInRoundtrips(t *testing.T) {
	type hop struct {
		hop   string
		trips int
	}
	cases := []struct {
		name string
		mfa  bool // the user has an authenticator app, and the client asks for it
		want []hop
	}{
		{"password", false, []hop{
			{"GET /authorize", 1},
			{"POST /login", 2},
			{"POST /oauth/token", 2},
		}},
		{"authenticator app", true, []hop{
			{"GET /authorize", 1},
			{"POST /login", 2},
			{"GET /challenge", 1},
			{"POST /challenge", 4},
			{"POST /oauth/token", 2},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := &tripTracer{}
			s := startServer(t, pgtest.NewStore(t, postgres.WithTracer(tr)))
			s.Clock.Advance(-time.Hour)
			r := newRP(t, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
			var e enrolment
			if tc.mfa {
				e, _ = mfaUser(t, s, r)
				waitForMail(t, s, "Two-step verification is on") // its read of the user is done
			}
			// signIn signs in a new browser, with the app's code for codeAt.
			signIn := func(codeAt time.Time) []hopTrips {
				c := &tripCounter{t: t, s: s, tr: tr, b: newBrowser(t)}
				var a attempt
				if tc.mfa {
					a = r.start(param("claims", essentialMFA))
				} else {
					a = r.start()
				}
				p := c.follow(mustRequest(t, http.MethodGet, a.url, nil))
				if !p.isLogin() {
					t.Fatalf("no login form: %d %s", p.resp.StatusCode, p.url)
				}
				p = c.post("/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
				if tc.mfa {
					if !p.isChallenge() {
						t.Fatalf("no challenge page: %d %s", p.resp.StatusCode, p.url)
					}
					p = c.post("/challenge", url.Values{"flow": {p.flowID()}, "method": {"totp"}, "code": {totpCode(t, e.secret, codeAt)}})
				}
				c.redeem(r, a, p)
				return c.hops
			}
			// The first sign-in prepares the statements on the pool's connection
			// and loads the client into the cache. The second one runs at once,
			// without moving the clock on, so the cache stays fresh (moving it
			// would reload the client, once per ClientCacheTTL and node): it
			// enters the code of the next step, which the app accepts too.
			s.Clock.Advance(30 * time.Second) // past the enrolment's step
			signIn(s.Clock.Now())
			hops := signIn(s.Clock.Now().Add(30 * time.Second))

			var got, want []hop
			var trips strings.Builder
			total := 0
			for _, h := range hops {
				n := 0
				fmt.Fprintf(&trips, "\n%s:", h.hop)
				for _, trip := range h.trips {
					if strings.HasPrefix(trip, clientRead) {
						// A slow machine took longer than the cache's TTL.
						fmt.Fprintf(&trips, "\n\t(not counted: the client cache reloads) %s", trip)
						continue
					}
					n++
					fmt.Fprintf(&trips, "\n\t%s", trip)
				}
				got = append(got, hop{h.hop, n})
				total += n
			}
			want = tc.want
			if !slices.Equal(got, want) {
				t.Errorf("round trips per request = %v, want %v; all %d:%s", got, want, total, trips.String())
			} else {
				t.Logf("%d round trips:%s", total, trips.String())
			}
		})
	}
}
