package e2e

import (
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/lockstep-id/lockstep/storage/memory"
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
