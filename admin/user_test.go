package admin

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

func TestDisableUser(t *testing.T) {
	ctx := context.Background()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := created.Add(time.Hour)
	// Alice is the user to disable; Bob is there to show that nothing of another
	// user changes.
	users := []storage.User{
		{ID: "u-alice", Email: "alice@example.com", CreatedAt: created, UpdatedAt: created},
		{ID: "u-bob", Email: "bob@example.com", CreatedAt: created, UpdatedAt: created},
	}
	kinds := []storage.TokenKind{storage.TokenAccess, storage.TokenRefresh}
	// newStore holds both users, each with two SSO sessions and an active access
	// and refresh token.
	newStore := func(t *testing.T) *memory.Store {
		t.Helper()
		st := memory.New()
		for _, u := range users {
			if err := st.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"1", "2"} {
				if err := st.CreateSession(ctx, storage.Session{ID: u.ID + "-s" + s, UserID: u.ID,
					CreatedAt: created, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range kinds {
				if err := st.CreateToken(ctx, storage.Token{Kind: k, Signature: u.ID + "-" + string(k), RequestID: u.ID + "-r",
					ClientID: "c", Subject: u.ID, Active: true, CreatedAt: created, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		return st
	}
	tests := []struct {
		name  string
		email string
		// disabled is the id of the user who must end up disabled ("" for none).
		disabled string
		wantErr  string
	}{
		{name: "disables the user", email: "alice@example.com", disabled: "u-alice"},
		{name: "the email as typed", email: "  Alice@Example.COM ", disabled: "u-alice"},
		{name: "unknown email changes nothing", email: "nobody@example.com", wantErr: "no user with email nobody@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			u, err := DisableUser(ctx, st, tt.email, now)
			if tt.wantErr != "" {
				if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one wrapping storage.ErrNotFound and saying %q", err, tt.wantErr)
				}
			} else if err != nil || u.ID != tt.disabled || !u.Disabled {
				t.Fatalf("DisableUser = %+v, %v; want user %s disabled", u, err, tt.disabled)
			}
			for _, want := range users {
				off := want.ID == tt.disabled
				got, err := st.GetUser(ctx, want.ID)
				if err != nil {
					t.Fatal(err)
				}
				if off {
					want.Disabled, want.UpdatedAt = true, now
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("user %s is %+v, want %+v", want.ID, got, want)
				}
				sessions, err := st.ListSessionsByUser(ctx, want.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantSessions := 2
				if off {
					wantSessions = 0
				}
				if len(sessions) != wantSessions {
					t.Errorf("user %s has %d sessions, want %d", want.ID, len(sessions), wantSessions)
				}
				for _, k := range kinds {
					tok, err := st.GetToken(ctx, k, want.ID+"-"+string(k))
					if err != nil {
						t.Fatal(err)
					}
					if tok.Active == off {
						t.Errorf("user %s's %s active = %v, want %v", want.ID, k, tok.Active, !off)
					}
				}
			}
		})
	}
}

// Users pages by limit: a page as long as the limit says whether another follows
// only when there is one.
func TestUsersPages(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	for _, id := range []string{"u1", "u2", "u3", "u4"} {
		if err := st.CreateUser(ctx, storage.User{ID: id, Email: id + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	s := &Service{Store: st, Now: time.Now}
	admin := Principal{Actor: "user:root", UserID: "root"}
	for _, tt := range []struct {
		limit int
		after string
		want  []string
		next  string
	}{
		{2, "", []string{"u1", "u2"}, "u2"},
		{2, "u2", []string{"u3", "u4"}, ""},
		{4, "", []string{"u1", "u2", "u3", "u4"}, ""},
		{3, "", []string{"u1", "u2", "u3"}, "u3"},
		{0, "", []string{"u1", "u2", "u3", "u4"}, ""},
	} {
		us, next, err := s.Users(ctx, admin, storage.UserQuery{Limit: tt.limit, After: tt.after})
		var ids []string
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		if err != nil || !reflect.DeepEqual(ids, tt.want) || next != tt.next {
			t.Errorf("limit %d after %q: %v next %q (%v); want %v next %q", tt.limit, tt.after, ids, next, err, tt.want, tt.next)
		}
	}
}
