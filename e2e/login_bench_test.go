package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

// BenchmarkPasswordLogin measures one whole sign-in (authorize → password →
// consent remembered → code → token) in process, on the memory store and with
// cheap argon2id parameters, so what it shows is everything but the hash:
//
//	go test -run '^$' -bench PasswordLogin -cpuprofile cpu.out ./e2e/
func BenchmarkPasswordLogin(b *testing.B) {
	s := startServer(b, memory.New())
	r := newRP(b, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
	b.ResetTimer()
	for b.Loop() {
		br := newBrowser(b)
		a := r.start()
		p := br.get(s, a.url)
		p = br.post(s, s.URL+"/login", url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}})
		if p.callback == nil {
			b.Fatalf("no callback: %s", p.url)
		}
		if _, err := r.cfg.Exchange(r.ctx, p.callback.Query().Get("code"), oauth2.VerifierOption(a.verifier)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStores are the backends the benchmarks run on.
var benchStores = []struct {
	name  string
	store func(testing.TB) storage.Storage
}{
	{"memory", func(testing.TB) storage.Storage { return memory.New() }},
	{"postgres", func(t testing.TB) storage.Storage { return pgtest.NewStore(t) }},
}

// BenchmarkRefresh measures one refresh-token rotation (POST /oauth/token
// grant_type=refresh_token with a new ID token), in process, on the memory store
// and on PostgreSQL:
//
//	go test -run '^$' -bench Refresh -cpuprofile cpu.out ./e2e/
func BenchmarkRefresh(b *testing.B) {
	for _, bc := range benchStores {
		b.Run(bc.name, func(b *testing.B) {
			s := startServer(b, bc.store(b))
			r := newRP(b, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			a := r.start()
			refresh := r.redeem(a, newBrowser(b).signIn(s, a.url, s.Email, s.Password)).tok.RefreshToken
			form := url.Values{"grant_type": {"refresh_token"}}
			b.ResetTimer()
			for b.Loop() {
				form.Set("refresh_token", refresh)
				code, out := postForm(b, s.URL+"/oauth/token", form, s.ClientID, s.ClientSecret)
				next, _ := out["refresh_token"].(string)
				if code != http.StatusOK || next == "" || out["id_token"] == nil {
					b.Fatalf("refresh: %d %v", code, out)
				}
				refresh = next
			}
		})
	}
}

// BenchmarkMFALogin measures one whole sign-in with a password and an
// authenticator-app code (authorize → password → challenge → code → token), in
// process on the memory store and on PostgreSQL, for comparison with
// BenchmarkPasswordLogin. Each sign-in moves Lockstep's clock on by a 30-second
// step, since a code is accepted once per step.
//
//	go test -run '^$' -bench MFALogin -cpuprofile cpu.out ./e2e/
func BenchmarkMFALogin(b *testing.B) {
	for _, bc := range benchStores {
		b.Run(bc.name, func(b *testing.B) {
			s := startServer(b, bc.store(b))
			s.Clock.Advance(-48 * time.Hour)
			r := newRP(b, s, s.ClientID, s.ClientSecret, s.RedirectURI)
			e, _ := mfaUser(b, s, r)
			b.ResetTimer()
			for b.Loop() {
				s.Clock.Advance(30 * time.Second)
				br := newBrowser(b)
				a := r.start(param("claims", essentialMFA))
				p := br.password(s, br.get(s, a.url), s.Email, s.Password)
				p = br.code(s, p, "totp", totpCode(b, e.secret, s.Clock.Now()))
				if p.callback == nil {
					b.Fatalf("no callback: %s %.300s", p.url, p.body)
				}
				if _, err := r.cfg.Exchange(r.ctx, p.callback.Query().Get("code"), oauth2.VerifierOption(a.verifier)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
