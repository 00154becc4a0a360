package idp

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/ory/fosite"
	fositestorage "github.com/ory/fosite/storage"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// newTestFositeStore is a fosite store on a memory store with client "c", and a
// maker of requests of user "u" with request ID "req".
func newTestFositeStore(t *testing.T) (*fositeStore, *memory.Store, func(form url.Values) fosite.Requester) {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) }
	store := memory.New()
	if err := store.CreateClient(ctx, storage.Client{ID: "c", Name: "C"}); err != nil {
		t.Fatal(err)
	}
	fs := &fositeStore{store: store, clients: NewClientCache(store, now), now: now,
		codeSignature: func(_ context.Context, code string) string { return code }}
	client, err := fs.GetClient(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	return fs, store, func(form url.Values) fosite.Requester {
		sess := newSession()
		sess.Subject, sess.Claims.Subject = "u", "u"
		return &fosite.Request{ID: "req", Client: client, RequestedAt: now(), Form: form, Session: sess,
			RequestedScope: fosite.Arguments{"openid"}, GrantedScope: fosite.Arguments{"openid"}}
	}
}

// A code's PKCE and OpenID Connect records are kept in the code's row; records
// stored as rows of their own (before that) are still found.
func TestCodeRecords(t *testing.T) {
	ctx := context.Background()
	fs, store, request := newTestFositeStore(t)
	codeForm := url.Values{"redirect_uri": {"https://rp/cb"}}
	pkceForm := url.Values{"code_challenge": {"abc"}, "code_challenge_method": {"S256"}}
	oidcForm := url.Values{"nonce": {"n-1"}}
	// inBatch runs writes in a batch of their own and commits it.
	inBatch := func(t *testing.T, writes ...func(ctx context.Context) error) {
		t.Helper()
		bctx, b := fs.begin(ctx)
		for _, w := range writes {
			must(t, w(bctx))
		}
		must(t, fs.commit(ctx, b))
	}
	code := func(ctx context.Context) error { return fs.CreateAuthorizeCodeSession(ctx, "sig", request(codeForm)) }
	pkce := func(ctx context.Context) error { return fs.CreatePKCERequestSession(ctx, "sig", request(pkceForm)) }
	oidc := func(form url.Values) func(ctx context.Context) error {
		return func(ctx context.Context) error { return fs.CreateOpenIDConnectSession(ctx, "sig", request(form)) }
	}

	tests := []struct {
		name string
		// store creates the code "sig" with its records, or (noRecords) a record alone.
		store     func(t *testing.T)
		wantPKCE  url.Values
		wantOIDC  url.Values
		wantRows  int // rows under "sig"
		noRecords bool
	}{
		{"in the code's row", func(t *testing.T) {
			// fosite's order is the PKCE and OpenID Connect records after the code, but
			// it does not matter.
			inBatch(t, pkce, code, oidc(oidcForm))
		}, pkceForm, oidcForm, 1, false},
		{"an empty OpenID Connect form is still a record", func(t *testing.T) {
			inBatch(t, code, oidc(url.Values{}))
		}, nil, url.Values{}, 1, false},
		{"rows of their own", func(t *testing.T) {
			inBatch(t, code)
			inBatch(t, pkce)
			inBatch(t, oidc(oidcForm))
		}, pkceForm, oidcForm, 3, false},
		{"a record without its code in the batch", func(t *testing.T) {
			inBatch(t, pkce)
		}, pkceForm, nil, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []storage.TokenKind{storage.TokenAuthorizeCode, storage.TokenPKCE, storage.TokenOIDC} {
				_ = store.DeleteToken(ctx, k, "sig")
			}
			tt.store(t)
			rows, err := store.GetTokens(ctx, "sig", storage.TokenAuthorizeCode, storage.TokenPKCE, storage.TokenOIDC)
			if err != nil || len(rows) != tt.wantRows {
				t.Fatalf("%d rows stored (%v), want %d", len(rows), err, tt.wantRows)
			}
			// As in a token request: one batch reads the code, then its records.
			bctx, _ := fs.begin(ctx)
			if !tt.noRecords {
				code, err := fs.GetAuthorizeCodeSession(bctx, "sig", newSession())
				if err != nil || code.GetRequestForm().Get("redirect_uri") != "https://rp/cb" {
					t.Fatalf("code: %v, form %v", err, code)
				}
			}
			for kind, want := range map[storage.TokenKind]url.Values{storage.TokenPKCE: tt.wantPKCE, storage.TokenOIDC: tt.wantOIDC} {
				req, _, err := fs.get(bctx, kind, "sig", newSession())
				if want == nil {
					if !errors.Is(err, fosite.ErrNotFound) {
						t.Errorf("%s: %v, want not found", kind, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", kind, err)
				}
				if got := req.GetRequestForm(); got.Encode() != want.Encode() || req.GetID() != "req" || req.GetSession().GetSubject() != "u" {
					t.Errorf("%s: form %v, id %q, subject %q; want form %v", kind, got, req.GetID(), req.GetSession().GetSubject(), want)
				}
			}
		})
	}

	// Spent, the code keeps no records.
	inBatch(t,
		func(ctx context.Context) error { return fs.CreateAuthorizeCodeSession(ctx, "spent", request(codeForm)) },
		func(ctx context.Context) error { return fs.CreatePKCERequestSession(ctx, "spent", request(pkceForm)) })
	inBatch(t, func(ctx context.Context) error { return fs.InvalidateAuthorizeCodeSession(ctx, "spent") })
	bctx, _ := fs.begin(ctx)
	if _, _, err := fs.get(bctx, storage.TokenPKCE, "spent", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("PKCE record of a spent code: %v, want not found", err)
	}
}

// The store's token methods work only in a request's open batch: outside one, or
// after it was committed, they are refused and store nothing.
func TestTokenBatchRequired(t *testing.T) {
	ctx := context.Background()
	fs, store, request := newTestFositeStore(t)
	// A live code and refresh token, to show the refused writes leave them alone.
	bctx, b := fs.begin(ctx)
	must(t, fs.CreateAuthorizeCodeSession(bctx, "code", request(url.Values{})))
	must(t, fs.CreateRefreshTokenSession(bctx, "refresh", "", request(url.Values{})))
	must(t, fs.commit(ctx, b))
	jtiExp := time.Now().Add(time.Hour)

	req := request(url.Values{})
	methods := map[string]func(ctx context.Context) error{
		"CreateAuthorizeCodeSession":     func(ctx context.Context) error { return fs.CreateAuthorizeCodeSession(ctx, "new", req) },
		"CreatePKCERequestSession":       func(ctx context.Context) error { return fs.CreatePKCERequestSession(ctx, "new", req) },
		"CreateOpenIDConnectSession":     func(ctx context.Context) error { return fs.CreateOpenIDConnectSession(ctx, "new", req) },
		"CreateAccessTokenSession":       func(ctx context.Context) error { return fs.CreateAccessTokenSession(ctx, "new", req) },
		"CreateRefreshTokenSession":      func(ctx context.Context) error { return fs.CreateRefreshTokenSession(ctx, "new", "", req) },
		"InvalidateAuthorizeCodeSession": func(ctx context.Context) error { return fs.InvalidateAuthorizeCodeSession(ctx, "code") },
		"RotateRefreshToken":             func(ctx context.Context) error { return fs.RotateRefreshToken(ctx, "req", "refresh") },
		"RevokeRefreshToken":             func(ctx context.Context) error { return fs.RevokeRefreshToken(ctx, "req") },
		"RevokeAccessToken":              func(ctx context.Context) error { return fs.RevokeAccessToken(ctx, "req") },
		"DeleteRefreshTokenSession":      func(ctx context.Context) error { return fs.DeleteRefreshTokenSession(ctx, "refresh") },
		"DeleteAccessTokenSession":       func(ctx context.Context) error { return fs.DeleteAccessTokenSession(ctx, "new") },
		"SetClientAssertionJWT":          func(ctx context.Context) error { return fs.SetClientAssertionJWT(ctx, "jti", jtiExp) },
		"GetAuthorizeCodeSession": func(ctx context.Context) error {
			_, err := fs.GetAuthorizeCodeSession(ctx, "code", newSession())
			return err
		},
	}
	committed, b := fs.begin(ctx)
	must(t, fs.commit(ctx, b))
	for name, call := range methods {
		for where, c := range map[string]context.Context{"outside a batch": ctx, "after the commit": committed} {
			if err := call(c); !errors.Is(err, errNoBatch) {
				t.Errorf("%s %s: %v, want %v", name, where, err, errNoBatch)
			}
		}
	}
	if err := fs.commit(ctx, b); !errors.Is(err, errNoBatch) {
		t.Errorf("second commit: %v, want %v", err, errNoBatch)
	}
	for _, k := range []storage.TokenKind{storage.TokenAuthorizeCode, storage.TokenRefresh} {
		sig := map[storage.TokenKind]string{storage.TokenAuthorizeCode: "code", storage.TokenRefresh: "refresh"}[k]
		if tok, err := store.GetToken(ctx, k, sig); err != nil || !tok.Active {
			t.Errorf("%s after the refused writes: active %v, %v", k, tok.Active, err)
		}
	}
	for _, k := range []storage.TokenKind{storage.TokenAuthorizeCode, storage.TokenAccess, storage.TokenRefresh, storage.TokenPKCE, storage.TokenOIDC} {
		if _, err := store.GetToken(ctx, k, "new"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a refused write stored a %s: %v", k, err)
		}
	}
	if err := store.UseNonce(ctx, "jti:jti", jtiExp, time.Now()); err != nil {
		t.Errorf("a refused client assertion recorded its jti: %v", err)
	}

	// fosite would begin and commit its own transactions inside its handlers
	// (storage.MaybeBeginTx) if the store offered them; the endpoints' batches
	// are the only ones.
	if _, ok := any(fs).(fositestorage.Transactional); ok {
		t.Error("fositeStore implements fosite's storage.Transactional")
	}
}

// A stored record lives until its token expires, or a day when the session says
// no expiry (then the cleanup may delete it); a read fills the session it is
// given, and a code read in a batch hides no other code's records.
func TestRecordExpiryAndReads(t *testing.T) {
	ctx := context.Background()
	fs, store, request := newTestFositeStore(t)
	now := fs.now()
	withExpiry := request(url.Values{"redirect_uri": {"https://rp/cb"}})
	withExpiry.GetSession().SetExpiresAt(fosite.AuthorizeCode, now.Add(10*time.Minute))
	bctx, b := fs.begin(ctx)
	must(t, fs.CreateAuthorizeCodeSession(bctx, "a", withExpiry))
	must(t, fs.CreateAuthorizeCodeSession(bctx, "b", request(url.Values{})))
	must(t, fs.commit(ctx, b))
	bctx, b = fs.begin(ctx)
	must(t, fs.CreatePKCERequestSession(bctx, "b", request(url.Values{"code_challenge": {"x"}})))
	must(t, fs.commit(ctx, b))
	for sig, want := range map[string]time.Time{"a": now.Add(10 * time.Minute), "b": now.Add(24 * time.Hour)} {
		if tok, err := store.GetToken(ctx, storage.TokenAuthorizeCode, sig); err != nil || !tok.ExpiresAt.Equal(want) {
			t.Errorf("code %s expires %s (%v), want %s", sig, tok.ExpiresAt, err, want)
		}
	}

	bctx, _ = fs.begin(ctx)
	sess := newSession()
	req, err := fs.GetAuthorizeCodeSession(bctx, "a", sess)
	if err != nil || req.GetSession() != sess || sess.GetSubject() != "u" {
		t.Fatalf("the code's session is not the one given: %v", err)
	}
	// Code "a" was read in this batch; code "b"'s PKCE record (a row of its own) is still found.
	if pkce, _, err := fs.get(bctx, storage.TokenPKCE, "b", newSession()); err != nil || pkce.GetRequestForm().Get("code_challenge") != "x" {
		t.Errorf("code b's PKCE record after reading code a: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
