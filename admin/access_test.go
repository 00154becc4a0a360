package admin

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// TestRoles: who is which administrator, and what each reaches through the
// Service.
func TestRoles(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store := memory.New()
	for _, id := range []string{"acme", "globex"} {
		o := storage.Organisation{ID: id, Name: id, Groups: []string{AdministratorsGroup, "staff"},
			Policy: storage.OrgPolicy{Level: storage.LevelLow}, CreatedAt: now, UpdatedAt: now}
		if err := store.CreateOrganisation(ctx, o, nil); err != nil {
			t.Fatal(err)
		}
	}
	users := map[string]storage.User{
		"root":     {ID: "root", Email: "root@example.com"},
		"boss":     {ID: "boss", Email: "boss@example.com", OrgID: "acme", Groups: []string{AdministratorsGroup}},
		"staff":    {ID: "staff", Email: "staff@example.com", OrgID: "acme", Groups: []string{"staff"}},
		"other":    {ID: "other", Email: "other@example.com", OrgID: "globex", Groups: []string{"staff"}},
		"loner":    {ID: "loner", Email: "loner@example.com"},
		"chief":    {ID: "chief", Email: "chief@example.com", OrgID: "acme", Groups: []string{"staff"}},
		"disabled": {ID: "disabled", Email: "disabled@example.com", Disabled: true},
	}
	for _, u := range users {
		u.CreatedAt, u.UpdatedAt = now, now
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"root", "disabled", "chief"} {
		if err := store.SetPlatformAdmin(ctx, id, true, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		user     string
		platform bool
		org      string
		err      error
	}{
		{"root", true, "", nil},
		{"boss", false, "acme", nil},
		{"staff", false, "", ErrNotAdmin},
		{"loner", false, "", ErrNotAdmin},
		{"disabled", false, "", ErrNotAdmin},
	} {
		p, err := UserPrincipal(ctx, store, users[tt.user])
		if !errors.Is(err, tt.err) || err == nil && (p.Platform() != tt.platform || p.OrgID != tt.org || p.Actor != "user:"+tt.user) {
			t.Errorf("%s: %+v %v", tt.user, p, err)
		}
	}

	svc := &Service{Store: store, Now: func() time.Time { return now }}
	boss := Principal{Actor: "user:boss", UserID: "boss", OrgID: "acme"}
	root := Operator("test")
	for _, tt := range []struct {
		name string
		p    Principal
		call func(p Principal) error
		want error
	}{
		{"own organisation's user", boss, func(p Principal) error { _, err := svc.User(ctx, p, "staff"); return err }, nil},
		{"another organisation's user", boss, func(p Principal) error { _, err := svc.User(ctx, p, "other"); return err }, storage.ErrNotFound},
		{"a user in no organisation", boss, func(p Principal) error { _, err := svc.User(ctx, p, "loner"); return err }, storage.ErrNotFound},
		{"platform: any user", root, func(p Principal) error { _, err := svc.User(ctx, p, "other"); return err }, nil},
		{"a platform administrator in their organisation: seen", boss, func(p Principal) error { _, err := svc.User(ctx, p, "chief"); return err }, nil},
		{"a platform administrator in their organisation: not disabled", boss, func(p Principal) error {
			_, err := svc.DisableUser(ctx, p, "chief")
			return err
		}, ErrForbidden},
		{"a platform administrator in their organisation: not reset", boss, func(p Principal) error { return svc.ResetSecondFactors(ctx, p, "chief") }, ErrForbidden},
		{"clients", boss, func(p Principal) error { _, err := svc.Clients(ctx, p); return err }, ErrForbidden},
		{"another organisation", boss, func(p Principal) error { _, err := svc.Org(ctx, p, "globex"); return err }, storage.ErrNotFound},
		{"create an organisation", boss, func(p Principal) error { _, err := svc.CreateOrg(ctx, p, orgsSpec("x")); return err }, ErrForbidden},
		{"move a user out", boss, func(p Principal) error { _, err := svc.SetUserOrg(ctx, p, "staff", "", nil); return err }, storage.ErrInvalid},
		{"move a user elsewhere", boss, func(p Principal) error {
			_, err := svc.SetUserOrg(ctx, p, "staff", "globex", []string{"staff"})
			return err
		}, storage.ErrInvalid},
		{"search another organisation", boss, func(p Principal) error {
			_, _, err := svc.Users(ctx, p, storage.UserQuery{OrgID: "globex"})
			return err
		}, storage.ErrNotFound},
		{"another organisation's audit", boss, func(p Principal) error {
			_, _, err := svc.Audit(ctx, p, storage.AuditQuery{OrgID: "globex"})
			return err
		}, storage.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(tt.p); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
	// An organisation administrator's search holds their organisation only.
	us, _, err := svc.Users(ctx, boss, storage.UserQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.OrgID != "acme" {
			t.Errorf("boss sees %s of %q", u.ID, u.OrgID)
		}
	}
	if len(us) != 3 {
		t.Errorf("boss sees %d users, want 3", len(us))
	}
}

func orgsSpec(id string) orgs.CreateSpec { return orgs.CreateSpec{ID: id, Name: id} }
