package idp

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// A code's PKCE and OpenID Connect records are kept in the code's row; records
// stored as rows of their own (before that) are still found.
func TestCodeRecords(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) }
	store := memory.New()
	if err := store.CreateClient(ctx, storage.Client{ID: "c", Name: "C"}); err != nil {
		t.Fatal(err)
	}
	fs := &fositeStore{store: store, clients: NewClientCache(store, now), now: now}
	client, err := fs.GetClient(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	request := func(form url.Values) fosite.Requester {
		sess := newSession()
		sess.Subject, sess.Claims.Subject = "u", "u"
		return &fosite.Request{ID: "req", Client: client, RequestedAt: now(), Form: form, Session: sess,
			RequestedScope: fosite.Arguments{"openid"}, GrantedScope: fosite.Arguments{"openid"}}
	}
	codeForm := url.Values{"redirect_uri": {"https://rp/cb"}}
	pkceForm := url.Values{"code_challenge": {"abc"}, "code_challenge_method": {"S256"}}
	oidcForm := url.Values{"nonce": {"n-1"}}

	tests := []struct {
		name string
		// store creates the code "sig" and, unless only is set, its records.
		store     func(t *testing.T)
		wantPKCE  url.Values
		wantOIDC  url.Values
		wantRows  int // rows under "sig"
		noRecords bool
	}{
		{"in the code's row", func(t *testing.T) {
			bctx, b := withTokenBatch(ctx)
			// fosite's order is the PKCE and OpenID Connect records after the code, but
			// it does not matter.
			must(t, fs.CreatePKCERequestSession(bctx, "sig", request(pkceForm)))
			must(t, fs.CreateAuthorizeCodeSession(bctx, "sig", request(codeForm)))
			must(t, fs.create(bctx, storage.TokenOIDC, "sig", request(oidcForm)))
			must(t, fs.flush(ctx, b))
		}, pkceForm, oidcForm, 1, false},
		{"an empty OpenID Connect form is still a record", func(t *testing.T) {
			bctx, b := withTokenBatch(ctx)
			must(t, fs.CreateAuthorizeCodeSession(bctx, "sig", request(codeForm)))
			must(t, fs.create(bctx, storage.TokenOIDC, "sig", request(url.Values{})))
			must(t, fs.flush(ctx, b))
		}, nil, url.Values{}, 1, false},
		{"rows of their own", func(t *testing.T) {
			must(t, fs.CreateAuthorizeCodeSession(ctx, "sig", request(codeForm)))
			must(t, fs.CreatePKCERequestSession(ctx, "sig", request(pkceForm)))
			must(t, fs.create(ctx, storage.TokenOIDC, "sig", request(oidcForm)))
		}, pkceForm, oidcForm, 3, false},
		{"a record without its code in the batch", func(t *testing.T) {
			bctx, b := withTokenBatch(ctx)
			must(t, fs.CreatePKCERequestSession(bctx, "sig", request(pkceForm)))
			must(t, fs.flush(ctx, b))
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
			bctx, _ := withTokenBatch(ctx)
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
	bctx, b := withTokenBatch(ctx)
	must(t, fs.CreateAuthorizeCodeSession(bctx, "spent", request(codeForm)))
	must(t, fs.CreatePKCERequestSession(bctx, "spent", request(pkceForm)))
	must(t, fs.flush(ctx, b))
	must(t, fs.InvalidateAuthorizeCodeSession(ctx, "spent"))
	if _, _, err := fs.get(ctx, storage.TokenPKCE, "spent", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Errorf("PKCE record of a spent code: %v, want not found", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
