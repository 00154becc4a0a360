package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lockstep-id/lockstep/storage"
)

// TestSignInSubmittedTwice: the step that proves the last factor spends the flow
// and stores the code in one transaction, so the same password form posted twice
// at once gives exactly one code, and a later replay of the form gets none either.
func TestSignInSubmittedTwice(t *testing.T) {
	backends(t, func(t *testing.T, newStore func(*testing.T) storage.Storage) {
		s := startServer(t, newStore(t))
		r := newRP(t, s, s.FirstPartyID, s.FirstPartySecret, s.RedirectURI)
		b := newBrowser(t)
		a := r.start()
		p := b.get(s, a.url)
		if !p.isLogin() {
			t.Fatalf("no login page: %s", p.url)
		}
		form := url.Values{"flow": {p.flowID()}, "email": {s.Email}, "password": {s.Password}}.Encode()
		post := func() (*http.Response, error) {
			req, err := http.NewRequest(http.MethodPost, s.URL+"/login", strings.NewReader(form))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			return b.client.Do(req)
		}
		const n = 5
		var wg sync.WaitGroup
		codes, conflicts := make(chan string, n), make(chan int, n)
		for range n {
			wg.Go(func() {
				resp, err := post()
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if loc, _ := url.Parse(resp.Header.Get("Location")); loc != nil && strings.HasPrefix(resp.Header.Get("Location"), s.RedirectURI) {
					codes <- loc.Query().Get("code")
				} else {
					conflicts <- resp.StatusCode
				}
			})
		}
		wg.Wait()
		close(codes)
		close(conflicts)
		var got []string
		for c := range codes {
			got = append(got, c)
		}
		if len(got) != 1 || got[0] == "" {
			t.Fatalf("%d posts of one password form gave codes %q, want exactly one", n, got)
		}
		// A post that lost the race says so (409); one that came after the winner
		// finds the flow spent and is sent on to where it stands (303, not the client).
		for st := range conflicts {
			if st != http.StatusConflict && st != http.StatusSeeOther {
				t.Errorf("a losing post answered %d, want 409 or 303", st)
			}
		}
		cb, _ := url.Parse(s.RedirectURI + "?" + url.Values{"code": {got[0]}, "state": {a.state}, "iss": {s.URL}}.Encode())
		r.redeem(a, cb)

		// A later replay of the form reaches no client.
		resp, err := post()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Location"), s.RedirectURI) {
			t.Fatalf("a replayed password form reached the client: %s", resp.Header.Get("Location"))
		}
	})
}
