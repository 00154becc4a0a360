package admin

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lockstep-id/lockstep/branding"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
)

// Audit event types of the brand's changes.
const (
	EventClientLogoSet     = "client.logo_set"
	EventClientLogoRemoved = "client.logo_removed"
	EventOrgLogoSet        = "org.logo_set"
	EventOrgLogoRemoved    = "org.logo_removed"
	EventOrgBrandNamed     = "org.brand_named"
)

// SetClientLogo makes content the client's logo on its sign-in's pages, once
// branding.NewLogo accepts it; a refused logo changes nothing.
func (s *Service) SetClientLogo(ctx context.Context, p Principal, id string, content []byte) (storage.Client, error) {
	if err := p.platformOnly("changing a client"); err != nil {
		return storage.Client{}, err
	}
	l, err := branding.NewLogo(storage.LogoClient, id, content, s.Now())
	if err != nil {
		return storage.Client{}, err
	}
	if err := s.Store.SetLogo(ctx, l); err != nil {
		return storage.Client{}, fmt.Errorf("set the logo of client %q: %w", id, err)
	}
	if err := s.audit(ctx, p, EventClientLogoSet, "", id, logoDetail(l)); err != nil {
		return storage.Client{}, err
	}
	return s.Store.GetClient(ctx, id)
}

// RemoveClientLogo removes the client's logo; storage.ErrNotFound when it has none.
func (s *Service) RemoveClientLogo(ctx context.Context, p Principal, id string) error {
	if err := p.platformOnly("changing a client"); err != nil {
		return err
	}
	if err := s.Store.DeleteLogo(ctx, storage.LogoClient, id); err != nil {
		return fmt.Errorf("remove the logo of client %q: %w", id, err)
	}
	return s.audit(ctx, p, EventClientLogoRemoved, "", id, nil)
}

// SetOrgLogo makes content the logo the organisation's members see, once
// branding.NewLogo accepts it; a refused logo changes nothing.
func (s *Service) SetOrgLogo(ctx context.Context, p Principal, id string, content []byte) (storage.Organisation, error) {
	if err := p.seeOrg(id); err != nil {
		return storage.Organisation{}, err
	}
	l, err := branding.NewLogo(storage.LogoOrg, id, content, s.Now())
	if err != nil {
		return storage.Organisation{}, err
	}
	if err := s.Store.SetLogo(ctx, l); err != nil {
		return storage.Organisation{}, fmt.Errorf("set the logo of organisation %q: %w", id, err)
	}
	detail := logoDetail(l)
	detail["org"] = id // QueryAudit finds the organisation's events by it
	if err := s.audit(ctx, p, EventOrgLogoSet, "", "", detail); err != nil {
		return storage.Organisation{}, err
	}
	return s.Store.GetOrganisation(ctx, id)
}

// RemoveOrgLogo removes the organisation's logo; its members see the server's
// again. storage.ErrNotFound when it has none.
func (s *Service) RemoveOrgLogo(ctx context.Context, p Principal, id string) error {
	if err := p.seeOrg(id); err != nil {
		return err
	}
	if err := s.Store.DeleteLogo(ctx, storage.LogoOrg, id); err != nil {
		return fmt.Errorf("remove the logo of organisation %q: %w", id, err)
	}
	return s.audit(ctx, p, EventOrgLogoRemoved, "", "", map[string]string{"org": id})
}

// SetOrgBrandName sets the name the organisation's members see instead of the
// product name ("" gives them the product name back). Like the product name it
// is one line (it ends up in email subjects' neighbourhood and page titles) of
// at most orgs.MaxNameLen characters.
func (s *Service) SetOrgBrandName(ctx context.Context, p Principal, id, name string) (storage.Organisation, error) {
	if err := p.seeOrg(id); err != nil {
		return storage.Organisation{}, err
	}
	name = strings.TrimSpace(name)
	if err := CheckBrandName(name); err != nil {
		return storage.Organisation{}, err
	}
	o, err := s.Store.GetOrganisation(ctx, id)
	if err != nil {
		return o, fmt.Errorf("organisation %q: %w", id, err)
	}
	if err := s.Store.SetOrgBrandName(ctx, id, name, s.Now().UTC()); err != nil {
		return storage.Organisation{}, fmt.Errorf("set the brand name of organisation %q: %w", id, err)
	}
	if err := s.audit(ctx, p, EventOrgBrandNamed, "", "", map[string]string{"org": id, "old": o.BrandName, "new": name}); err != nil {
		return storage.Organisation{}, err
	}
	return s.Store.GetOrganisation(ctx, id)
}

// CheckBrandName refuses a brand name (trimmed) that SetOrgBrandName would
// refuse, for a caller that changes other fields with it to refuse first.
func CheckBrandName(name string) error {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n > orgs.MaxNameLen {
		return storage.Invalid("brand_name", "a brand name has at most %d characters, not %d", orgs.MaxNameLen, n)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return storage.Invalid("brand_name", "a brand name is one line of text")
	}
	return nil
}

func logoDetail(l storage.Logo) map[string]string {
	return map[string]string{"type": l.MediaType, "bytes": strconv.Itoa(len(l.Content)), "sum": l.Sum}
}
