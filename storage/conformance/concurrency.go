package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// race runs f(0..n-1) in n goroutines released together, to make the calls overlap
// as much as possible, and returns the results by index.
func race[T any](n int, f func(i int) T) []T {
	out := make([]T, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-release
			out[i] = f(i)
		})
	}
	close(release)
	wg.Wait()
	return out
}

// oneWinner checks that exactly one error is nil and every other is ErrConflict,
// and returns the winner's index.
func oneWinner(t *testing.T, errs []error) int {
	t.Helper()
	return oneWinnerLosing(t, errs, storage.ErrConflict)
}

// oneWinnerLosing is oneWinner for losers that get loss instead of ErrConflict.
func oneWinnerLosing(t *testing.T, errs []error, loss error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("callers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, loss):
			t.Errorf("caller %d: got error %v, want %v", i, err, loss)
		}
	}
	if winner < 0 {
		t.Fatalf("no caller succeeded")
	}
	return winner
}

func testConcurrentConsumeCode(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	code := storage.Token{Kind: storage.TokenAuthorizeCode, Signature: "code", RequestID: "req", Active: true,
		CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	must(t, s.CreateToken(ctx, code))
	errs := race(20, func(int) error { return s.ConsumeToken(ctx, code.Kind, code.Signature) })
	oneWinner(t, errs)
}

func testConcurrentRotateRefresh(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	old := storage.Token{Kind: storage.TokenRefresh, Signature: "rt-old", RequestID: "req", Subject: "alice",
		Active: true, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	must(t, s.CreateToken(ctx, old))
	// Each caller rotates as the token endpoint does: consume the old refresh token,
	// and only on success store its successor.
	errs := race(20, func(i int) error {
		if err := s.ConsumeToken(ctx, old.Kind, old.Signature); err != nil {
			return err
		}
		next := old
		next.Signature = fmt.Sprintf("rt-new-%d", i)
		return s.CreateToken(ctx, next)
	})
	winner := oneWinner(t, errs)
	for i := range errs {
		_, err := s.GetToken(ctx, storage.TokenRefresh, fmt.Sprintf("rt-new-%d", i))
		if exists := err == nil; exists != (i == winner) {
			t.Errorf("successor %d: get error %v (winner %d)", i, err, winner)
		}
	}
	got, err := s.GetToken(ctx, old.Kind, old.Signature)
	must(t, err)
	if got.Active {
		t.Error("old refresh token still active")
	}
}

func testConcurrentThrottle(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	const n = 50
	type result struct {
		count int
		err   error
	}
	results := race(n, func(int) result {
		c, err := s.HitThrottle(ctx, "ip:192.0.2.1", time.Minute, base)
		return result{c, err}
	})
	var counts []int
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("hit %d: %v", i, r.err)
		}
		counts = append(counts, r.count)
	}
	slices.Sort(counts)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	equal(t, "sorted counts returned", want, counts)
	got, err := s.ThrottleCount(ctx, "ip:192.0.2.1", base.Add(time.Second))
	must(t, err)
	if got != n {
		t.Errorf("final count %d, want %d", got, n)
	}
}

func testConcurrentFlowStep(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	f := storage.Flow{ID: "flow", State: "login", RequestedAt: base, ExpiresAt: base.Add(time.Hour), Version: 7}
	must(t, s.CreateFlowAudited(ctx, f, nil))
	errs := race(20, func(i int) error {
		g := f
		g.State = "consent"
		g.UserID = fmt.Sprintf("user-%d", i)
		return s.CommitSignIn(ctx, storage.SignIn{Flow: g})
	})
	winner := oneWinner(t, errs)
	got, err := s.GetFlow(ctx, f.ID)
	must(t, err)
	if want := fmt.Sprintf("user-%d", winner); got.Version != 8 || got.UserID != want {
		t.Errorf("stored flow has version %d user %q, want 8 %q", got.Version, got.UserID, want)
	}
}

func testConcurrentNonce(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	errs := race(20, func(int) error { return s.UseNonce(ctx, "jti", base.Add(time.Minute), base) })
	oneWinner(t, errs)
}

func testConcurrentAddSigningKey(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	errs := race(10, func(i int) error {
		k := storage.SigningKey{ID: fmt.Sprintf("k%d", i), Algorithm: "RS256", CreatedAt: base.Add(time.Duration(i) * time.Second)}
		return s.AddSigningKey(ctx, k, base.Add(time.Hour))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("add %d: %v", i, err)
		}
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	active := 0
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			active++
		}
	}
	if len(keys) != 10 || active != 1 {
		t.Errorf("%d keys, %d active; want 10 keys, 1 active", len(keys), active)
	}
}

func testConcurrentAdvanceTOTPStep(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	d := storage.TOTPDevice{ID: "totp", UserID: "alice", SecretEnc: []byte("enc"), CreatedAt: base}
	must(t, s.CreateTOTPDevice(ctx, d))
	must(t, s.ActivateTOTPDevice(ctx, d.ID, 1000, base, false))
	// The same code submitted 20 times at once: one login, 19 replays refused.
	errs := race(20, func(i int) error {
		return s.AdvanceTOTPStep(ctx, d.ID, 1001, base.Add(time.Duration(i+1)*time.Second))
	})
	winner := oneWinner(t, errs)
	got, err := s.GetTOTPDevice(ctx, d.ID)
	must(t, err)
	if want := base.Add(time.Duration(winner+1) * time.Second); got.LastStep != 1001 || !got.LastUsedAt.Equal(want) {
		t.Errorf("stored device has step %d last used %v, want 1001 %v", got.LastStep, got.LastUsedAt, want)
	}
}

func testConcurrentActivateTOTPDevice(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	d := storage.TOTPDevice{ID: "totp-new", UserID: "alice", SecretEnc: []byte("enc"), CreatedAt: base}
	old := storage.TOTPDevice{ID: "totp-old", UserID: "alice", Active: true, LastStep: 10, CreatedAt: base, ConfirmedAt: base, LastUsedAt: base}
	bobs := storage.TOTPDevice{ID: "totp-bob", UserID: "bob", CreatedAt: base}
	for _, x := range []storage.TOTPDevice{d, old, bobs} {
		must(t, s.CreateTOTPDevice(ctx, x))
	}
	// Even callers also revoke the user's other devices, odd ones do not.
	errs := race(20, func(i int) error {
		return s.ActivateTOTPDevice(ctx, d.ID, int64(100+i), base.Add(time.Minute), i%2 == 0)
	})
	winner := oneWinner(t, errs)
	got, err := s.GetTOTPDevice(ctx, d.ID)
	must(t, err)
	if !got.Active || got.LastStep != int64(100+winner) {
		t.Errorf("stored device active %t step %d, want active at step %d", got.Active, got.LastStep, 100+winner)
	}
	_, err = s.GetTOTPDevice(ctx, old.ID)
	if revoked := errors.Is(err, storage.ErrNotFound); revoked != (winner%2 == 0) {
		t.Errorf("alice's other device: get error %v (winner %d)", err, winner)
	}
	_, err = s.GetTOTPDevice(ctx, bobs.ID)
	must(t, err)
}

func testConcurrentActivateRevokingOthers(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	// Enrolments finished at once, each revoking the user's other devices: one
	// device must be left, active, and each loser finds its device gone. Several
	// rounds, as the losing interleavings need two callers in step.
	const rounds, n = 20, 4
	for r := range rounds {
		user := fmt.Sprintf("user-%d", r)
		id := func(i int) string { return fmt.Sprintf("totp-%d-%d", r, i) }
		for i := range n {
			must(t, s.CreateTOTPDevice(ctx, storage.TOTPDevice{ID: id(i), UserID: user, CreatedAt: base}))
		}
		errs := race(n, func(i int) error { return s.ActivateTOTPDevice(ctx, id(i), 100, base, true) })
		winner := oneWinnerLosing(t, errs, storage.ErrNotFound)
		list, err := s.ListTOTPDevices(ctx, user)
		must(t, err)
		if len(list) != 1 || list[0].ID != id(winner) || !list[0].Active {
			t.Errorf("round %d: devices after the race: %+v; want only %s, active", r, list, id(winner))
		}
	}
}

func testConcurrentUseRecoveryCode(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.ReplaceRecoveryCodes(ctx, "alice", []string{"h1", "h2", "h3"}, base))
	errs := race(20, func(int) error { return s.UseRecoveryCode(ctx, "alice", "h2", base.Add(time.Minute)) })
	oneWinner(t, errs)
	total, unused, err := s.CountRecoveryCodes(ctx, "alice")
	must(t, err)
	if total != 3 || unused != 2 {
		t.Errorf("%d codes, %d unused; want 3, 2 unused", total, unused)
	}
}

func testConcurrentReplaceRecoveryCodes(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.ReplaceRecoveryCodes(ctx, "alice", []string{"old-1", "old-2"}, base))
	// Regenerating twice at once (a double submit) must leave exactly one new set.
	const n, size = 10, 5
	errs := race(n, func(i int) error {
		var hashes []string
		for j := range size {
			hashes = append(hashes, fmt.Sprintf("set%d-%d", i, j))
		}
		return s.ReplaceRecoveryCodes(ctx, "alice", hashes, base.Add(time.Minute))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("replace %d: %v", i, err)
		}
	}
	total, unused, err := s.CountRecoveryCodes(ctx, "alice")
	must(t, err)
	if total != size || unused != size {
		t.Errorf("%d codes, %d unused after the race; want %d, all unused", total, unused, size)
	}
	var live []int
	for i := range n {
		switch err := s.UseRecoveryCode(ctx, "alice", fmt.Sprintf("set%d-0", i), base.Add(time.Hour)); {
		case err == nil:
			live = append(live, i)
		case !errors.Is(err, storage.ErrNotFound):
			t.Errorf("use a code of set %d: %v", i, err)
		}
	}
	if len(live) != 1 {
		t.Errorf("sets %v are live; want exactly one", live)
	}
}

func testConcurrentUseWebAuthnCredential(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	c := storage.WebAuthnCredential{ID: []byte("cred"), UserID: "alice", PublicKey: []byte("cose"), SignCount: 5, CreatedAt: base}
	must(t, s.CreateWebAuthnCredential(ctx, c))
	// The same assertion submitted 20 times at once: one login, 19 replays refused.
	errs := race(20, func(i int) error {
		return s.UseWebAuthnCredential(ctx, c.ID, 6, base.Add(time.Duration(i+1)*time.Second))
	})
	winner := oneWinner(t, errs)
	got, err := s.GetWebAuthnCredential(ctx, c.ID)
	must(t, err)
	if want := base.Add(time.Duration(winner+1) * time.Second); got.SignCount != 6 || !got.LastUsedAt.Equal(want) {
		t.Errorf("stored credential has count %d last used %v, want 6 %v", got.SignCount, got.LastUsedAt, want)
	}
}

func testConcurrentTakeCeremony(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.PutCeremony(ctx, "challenge", []byte("state"), base.Add(time.Minute)))
	type result struct {
		data []byte
		err  error
	}
	results := race(20, func(int) result {
		data, err := s.TakeCeremony(ctx, "challenge", base)
		return result{data, err}
	})
	errs := make([]error, len(results))
	for i, r := range results {
		errs[i] = r.err
	}
	winner := oneWinnerLosing(t, errs, storage.ErrNotFound)
	equal(t, "the winner's data", []byte("state"), results[winner].data)
}

func testConcurrentConsumeCodeDeleting(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	tok := func(kind storage.TokenKind, sig string, active bool) storage.Token {
		return storage.Token{Kind: kind, Signature: sig, RequestID: "req-" + sig, Active: active, CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	}
	must(t, s.CreateTokens(ctx, []storage.Token{
		tok(storage.TokenAuthorizeCode, "code", true), tok(storage.TokenPKCE, "code", true), tok(storage.TokenOIDC, "code", true),
		tok(storage.TokenPKCE, "other", true),
	}))
	errs := race(20, func(int) error {
		return s.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, "code", []storage.TokenKind{storage.TokenPKCE, storage.TokenOIDC}, nil)
	})
	oneWinner(t, errs)
	left, err := s.GetTokens(ctx, "code", storage.TokenAuthorizeCode, storage.TokenPKCE, storage.TokenOIDC)
	must(t, err)
	if len(left) != 1 || left[0].Kind != storage.TokenAuthorizeCode || left[0].Active {
		t.Fatalf("after consumption: %+v, want only the inactive code", left)
	}
	if _, err := s.GetToken(ctx, storage.TokenPKCE, "other"); err != nil {
		t.Fatalf("another code's record went too: %v", err)
	}

	// A lost race or an unknown code deletes nothing.
	must(t, s.CreateTokens(ctx, []storage.Token{tok(storage.TokenAuthorizeCode, "spent", false), tok(storage.TokenPKCE, "spent", true)}))
	wantErr(t, "consume spent", s.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, "spent", []storage.TokenKind{storage.TokenPKCE}, nil), storage.ErrConflict)
	if _, err := s.GetToken(ctx, storage.TokenPKCE, "spent"); err != nil {
		t.Fatalf("a refused consumption deleted: %v", err)
	}
	wantErr(t, "consume unknown", s.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, "nope", []storage.TokenKind{storage.TokenPKCE}, nil), storage.ErrNotFound)
}

func testConcurrentConsumeCodeCreating(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	tok := func(kind storage.TokenKind, sig string, active bool) storage.Token {
		return storage.Token{Kind: kind, Signature: sig, RequestID: "req-" + sig, ClientID: "c", Subject: "u", Active: active,
			Data: []byte(`{"k":1}`), CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	}
	must(t, s.CreateTokens(ctx, []storage.Token{
		tok(storage.TokenAuthorizeCode, "code", true), tok(storage.TokenPKCE, "code", true), tok(storage.TokenOIDC, "code", true),
	}))
	also := []storage.TokenKind{storage.TokenPKCE, storage.TokenOIDC}
	// Each caller redeems the code for its own tokens; only the winner's are stored.
	errs := race(20, func(i int) error {
		return s.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, "code", also, []storage.Token{
			tok(storage.TokenAccess, fmt.Sprintf("at-%d", i), true), tok(storage.TokenRefresh, fmt.Sprintf("rt-%d", i), true),
		})
	})
	winner := oneWinner(t, errs)
	for i := range errs {
		for _, kind := range []storage.TokenKind{storage.TokenAccess, storage.TokenRefresh} {
			prefix := map[storage.TokenKind]string{storage.TokenAccess: "at", storage.TokenRefresh: "rt"}[kind]
			got, err := s.GetToken(ctx, kind, fmt.Sprintf("%s-%d", prefix, i))
			if exists := err == nil; exists != (i == winner) {
				t.Errorf("%s of caller %d: %v (winner %d)", kind, i, err, winner)
			}
			if i == winner {
				equal(t, "stored token", tok(kind, fmt.Sprintf("%s-%d", prefix, i), true), got)
			}
		}
	}
	left, err := s.GetTokens(ctx, "code", storage.TokenAuthorizeCode, storage.TokenPKCE, storage.TokenOIDC)
	must(t, err)
	if len(left) != 1 || left[0].Active {
		t.Fatalf("after consumption: %+v, want only the inactive code", left)
	}

	// A clash with an existing token changes nothing: the code stays unspent.
	must(t, s.CreateTokens(ctx, []storage.Token{tok(storage.TokenAuthorizeCode, "code2", true), tok(storage.TokenPKCE, "code2", true)}))
	err = s.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, "code2", also, []storage.Token{
		tok(storage.TokenAccess, "fresh", true), tok(storage.TokenAccess, fmt.Sprintf("at-%d", winner), true),
	})
	wantErr(t, "create clashing", err, storage.ErrAlreadyExists)
	code2, err := s.GetToken(ctx, storage.TokenAuthorizeCode, "code2")
	must(t, err)
	if !code2.Active {
		t.Fatal("a refused batch consumed the code")
	}
	if _, err := s.GetToken(ctx, storage.TokenPKCE, "code2"); err != nil {
		t.Fatalf("a refused batch deleted the PKCE record: %v", err)
	}
	if _, err := s.GetToken(ctx, storage.TokenAccess, "fresh"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a refused batch stored a token: %v", err)
	}
	wantErr(t, "consume unknown", s.ConsumeTokenCreating(ctx, storage.TokenAuthorizeCode, "nope", also, nil), storage.ErrNotFound)
}

// testConcurrentSpendRefreshToken: of concurrent rotations of one refresh token
// exactly one spends it, ends the family's earlier access tokens and stores its
// successors; the others change nothing. Another family's tokens, a disabled
// user's token and an unknown one are left alone.
func testConcurrentSpendRefreshToken(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, storage.User{ID: "spender", Email: "spender@example.com"}))
	must(t, s.CreateUser(ctx, storage.User{ID: "off", Email: "off@example.com"}))
	tok := func(kind storage.TokenKind, sig, family, subject string) storage.Token {
		return storage.Token{Kind: kind, Signature: sig, RequestID: family, ClientID: "c", Subject: subject, Active: true,
			Data: []byte(`{}`), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	}
	must(t, s.CreateTokens(ctx, []storage.Token{
		tok(storage.TokenRefresh, "rt", "fam", "spender"), tok(storage.TokenAccess, "at-old", "fam", "spender"),
		tok(storage.TokenAccess, "at-other", "other-fam", "spender"), tok(storage.TokenRefresh, "rt-off", "fam-off", "off"),
		tok(storage.TokenAccess, "at-off", "fam-off", "off"),
	}))
	errs := race(20, func(i int) error {
		return s.SpendRefreshToken(ctx, "rt", "fam", []storage.Token{
			tok(storage.TokenAccess, fmt.Sprintf("at-%d", i), "fam", "spender"),
			tok(storage.TokenRefresh, fmt.Sprintf("rt-%d", i), "fam", "spender"),
		})
	})
	winner := oneWinner(t, errs)
	active := func(kind storage.TokenKind, sig string) bool {
		t.Helper()
		got, err := s.GetToken(ctx, kind, sig)
		if errors.Is(err, storage.ErrNotFound) {
			return false
		}
		must(t, err)
		return got.Active
	}
	for i := range errs {
		for kind, prefix := range map[storage.TokenKind]string{storage.TokenAccess: "at", storage.TokenRefresh: "rt"} {
			if got := active(kind, fmt.Sprintf("%s-%d", prefix, i)); got != (i == winner) {
				t.Errorf("%s of caller %d active = %v (winner %d)", kind, i, got, winner)
			}
		}
	}
	for _, c := range []struct {
		kind   storage.TokenKind
		sig    string
		active bool
	}{
		{storage.TokenRefresh, "rt", false},
		{storage.TokenAccess, "at-old", false},
		{storage.TokenAccess, "at-other", true},
	} {
		if got := active(c.kind, c.sig); got != c.active {
			t.Errorf("%s %s active = %v, want %v", c.kind, c.sig, got, c.active)
		}
	}

	must(t, s.UpdateUser(ctx, storage.User{ID: "off", Email: "off@example.com", Disabled: true}))
	wantErr(t, "spend a disabled user's token", s.SpendRefreshToken(ctx, "rt-off", "fam-off",
		[]storage.Token{tok(storage.TokenRefresh, "rt-off-next", "fam-off", "off")}), storage.ErrDisabled)
	if !active(storage.TokenRefresh, "rt-off") || !active(storage.TokenAccess, "at-off") || active(storage.TokenRefresh, "rt-off-next") {
		t.Error("a refused rotation changed tokens")
	}
	wantErr(t, "spend an unknown token", s.SpendRefreshToken(ctx, "nope", "fam", nil), storage.ErrNotFound)
}

func testCommitSignIn(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	f := storage.Flow{ID: "flow-s", BrowserHash: "bh", ClientID: "c", AuthorizeQuery: "q", RequestedAt: base,
		State: "login", UserID: "u", ExpiresAt: base.Add(time.Hour), Version: 1}
	must(t, s.CreateFlowAudited(ctx, f, nil))
	old := storage.Session{ID: "old", UserID: "u", CreatedAt: base, ExpiresAt: base.Add(time.Hour), AuthTime: base,
		Factors: []storage.FactorProof{{Method: "pwd", At: base}}}
	must(t, s.CreateSession(ctx, old))
	code := storage.Token{Kind: storage.TokenAuthorizeCode, Signature: "c1", RequestID: "r1", ClientID: "c", Subject: "u",
		Active: true, Data: []byte(`{}`), CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	pkce := code
	pkce.Kind = storage.TokenPKCE
	newSession := storage.Session{ID: "new", UserID: "u", CreatedAt: base, ExpiresAt: base.Add(time.Hour), AuthTime: base,
		Factors: []storage.FactorProof{{Method: "pwd", At: base}}}
	ev := storage.AuditEvent{ID: "ev-s", At: base, Type: "authorize.code", UserID: "u-signin"}
	done := f
	done.State = "done"
	// The step's failure counters: two it cleared, one it leaves.
	keys := []string{"2fa:user:u", "login:acct:u", "2fa:ip:x"}
	for _, key := range keys {
		_, err := s.HitThrottle(ctx, key, time.Hour, base)
		must(t, err)
	}
	counts := func() []int {
		t.Helper()
		var ns []int
		for _, key := range keys {
			n, err := s.ThrottleCount(ctx, key, base)
			must(t, err)
			ns = append(ns, n)
		}
		return ns
	}
	in := storage.SignIn{EndSession: "old", Session: &newSession, Flow: done, Tokens: []storage.Token{code, pkce}, Audit: []storage.AuditEvent{ev},
		ResetThrottles: []string{"2fa:user:u", "login:acct:u"}}

	// Refused commits change nothing.
	stale := in
	stale.Flow.Version = 7
	wantErr(t, "stale flow", s.CommitSignIn(ctx, stale), storage.ErrConflict)
	gone := in
	gone.Flow.ID = "nope"
	wantErr(t, "unknown flow", s.CommitSignIn(ctx, gone), storage.ErrNotFound)
	must(t, s.CreateToken(ctx, storage.Token{Kind: storage.TokenAccess, Signature: "taken", RequestID: "r0", Active: true, CreatedAt: base, ExpiresAt: base.Add(time.Minute)}))
	clash := in
	clash.Tokens = []storage.Token{code, {Kind: storage.TokenAccess, Signature: "taken", RequestID: "r1", Active: true, CreatedAt: base, ExpiresAt: base.Add(time.Minute)}}
	wantErr(t, "token in use", s.CommitSignIn(ctx, clash), storage.ErrAlreadyExists)
	// A new session never replaces another's under the same id.
	must(t, s.CreateSession(ctx, storage.Session{ID: "busy", UserID: "someone", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}))
	taken := in
	taken.Session = &storage.Session{ID: "busy", UserID: "u", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	wantErr(t, "session id in use", s.CommitSignIn(ctx, taken), storage.ErrAlreadyExists)
	if g, err := s.GetSession(ctx, "busy"); err != nil || g.UserID != "someone" {
		t.Errorf("the session in use after the refused commit: %+v, %v", g, err)
	}
	for what, check := range map[string]func() bool{
		"flow": func() bool {
			g, err := s.GetFlow(ctx, f.ID)
			return err == nil && g.Version == 1 && g.State == "login"
		},
		"old session": func() bool { _, err := s.GetSession(ctx, "old"); return err == nil },
		"new session": func() bool { _, err := s.GetSession(ctx, "new"); return errors.Is(err, storage.ErrNotFound) },
		"code": func() bool {
			_, err := s.GetToken(ctx, storage.TokenAuthorizeCode, "c1")
			return errors.Is(err, storage.ErrNotFound)
		},
		"audit": func() bool {
			es, err := s.ListAudit(ctx, storage.AuditFilter{UserID: "u-signin"})
			return err == nil && len(es) == 0
		},
		"failure counters": func() bool { return slices.Equal(counts(), []int{1, 1, 1}) },
	} {
		if !check() {
			t.Errorf("a refused commit changed the %s", what)
		}
	}

	// Of concurrent commits at the same version exactly one is kept.
	errs := race(10, func(i int) error {
		x := in
		sess := newSession
		sess.ID = fmt.Sprintf("new-%d", i)
		x.Session = &sess
		c := code
		c.Signature = fmt.Sprintf("c-%d", i)
		x.Tokens = []storage.Token{c}
		e := ev
		e.ID = fmt.Sprintf("ev-%d", i)
		x.Audit = []storage.AuditEvent{e}
		return s.CommitSignIn(ctx, x)
	})
	winner := oneWinner(t, errs)
	g, err := s.GetFlow(ctx, f.ID)
	must(t, err)
	if g.Version != 2 || g.State != "done" {
		t.Fatalf("flow after the commit: version %d, state %s", g.Version, g.State)
	}
	if _, err := s.GetSession(ctx, "old"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the previous session is still there: %v", err)
	}
	if got := counts(); !slices.Equal(got, []int{0, 0, 1}) {
		t.Errorf("failure counters after the commit: %v, want the cleared ones 0 and the other 1", got)
	}
	for i := range errs {
		_, serr := s.GetSession(ctx, fmt.Sprintf("new-%d", i))
		_, terr := s.GetToken(ctx, storage.TokenAuthorizeCode, fmt.Sprintf("c-%d", i))
		if (serr == nil) != (i == winner) || (terr == nil) != (i == winner) {
			t.Errorf("commit %d (winner %d): session %v, code %v", i, winner, serr, terr)
		}
	}
	if es, err := s.ListAudit(ctx, storage.AuditFilter{UserID: "u-signin"}); err != nil || len(es) != 1 || es[0].ID != fmt.Sprintf("ev-%d", winner) {
		t.Errorf("audit after the commit: %v %v", es, err)
	}
}

func testCreateFlowAudited(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	f := storage.Flow{ID: "flow-a", BrowserHash: "bh", ClientID: "c", AuthorizeQuery: "q", RequestedAt: base,
		State: "login", ExpiresAt: base.Add(time.Hour), Version: 1}
	ev := storage.AuditEvent{ID: "ev-a", At: base, Type: "policy.decision", ClientID: "c-audited", Detail: map[string]string{"outcome": "prove"}}
	must(t, s.CreateFlowAudited(ctx, f, []storage.AuditEvent{ev}))
	got, err := s.GetFlow(ctx, f.ID)
	must(t, err)
	equal(t, "flow", f, got)
	es, err := s.ListAudit(ctx, storage.AuditFilter{ClientID: "c-audited"})
	must(t, err)
	equal(t, "audit", []storage.AuditEvent{ev}, es)

	// Either clash keeps both out.
	wantErr(t, "flow in use", s.CreateFlowAudited(ctx, f, []storage.AuditEvent{{ID: "ev-b", At: base, Type: "t", ClientID: "c-audited"}}), storage.ErrAlreadyExists)
	g := f
	g.ID = "flow-b"
	wantErr(t, "audit id in use", s.CreateFlowAudited(ctx, g, []storage.AuditEvent{ev}), storage.ErrAlreadyExists)
	if _, err := s.GetFlow(ctx, g.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a refused create stored the flow: %v", err)
	}
	if es, _ := s.ListAudit(ctx, storage.AuditFilter{ClientID: "c-audited"}); len(es) != 1 {
		t.Errorf("a refused create appended events: %d", len(es))
	}
	g.ID = "flow-c"
	must(t, s.CreateFlowAudited(ctx, g, nil))
}

// testConsumeForDisabledUser: a code or refresh token of a disabled user is not
// spent and stores nothing, even when the disable and the spend race: a user
// disabled and then rid of their tokens never keeps a token made meanwhile.
func testConsumeForDisabledUser(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	token := func(sig, subject string) storage.Token {
		return storage.Token{Kind: storage.TokenRefresh, Signature: sig, RequestID: "req-" + sig, Subject: subject,
			Active: true, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	}
	carol := storage.User{ID: "carol", Email: "carol@example.com", Disabled: true, CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateUser(ctx, carol))
	must(t, s.CreateToken(ctx, token("rt-carol", carol.ID)))
	err := s.ConsumeTokenCreating(ctx, storage.TokenRefresh, "rt-carol", nil, []storage.Token{token("rt-carol-next", carol.ID)})
	wantErr(t, "spend a disabled user's token", err, storage.ErrDisabled)
	got, err := s.GetToken(ctx, storage.TokenRefresh, "rt-carol")
	must(t, err)
	if !got.Active {
		t.Error("a disabled user's refresh token was spent")
	}
	if _, err := s.GetToken(ctx, storage.TokenRefresh, "rt-carol-next"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a successor was stored for a disabled user: %v", err)
	}

	for i := range 20 {
		u := storage.User{ID: fmt.Sprintf("racer-%d", i), Email: fmt.Sprintf("racer-%d@example.com", i), CreatedAt: base, UpdatedAt: base}
		must(t, s.CreateUser(ctx, u))
		must(t, s.CreateToken(ctx, token(u.ID+"-rt", u.ID)))
		race(2, func(j int) error {
			if j == 0 { // the token endpoint's refresh
				return s.ConsumeTokenCreating(ctx, storage.TokenRefresh, u.ID+"-rt", nil, []storage.Token{token(u.ID+"-next", u.ID)})
			}
			// `lockstep users disable`: the user, then their tokens
			disabled := u
			disabled.Disabled = true
			if err := s.UpdateUser(ctx, disabled); err != nil {
				return err
			}
			return s.DeactivateTokensBySubject(ctx, storage.TokenRefresh, u.ID)
		})
		for _, sig := range []string{u.ID + "-rt", u.ID + "-next"} {
			if tok, err := s.GetToken(ctx, storage.TokenRefresh, sig); err == nil && tok.Active {
				t.Errorf("round %d: %s is active after its user was disabled", i, sig)
			}
		}
	}
}
