package flows

import (
	"cmp"
	"context"
	"net/http"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// ClientShown is how a sign-in's pages show its client: its name (its id when
// it has none or is unknown) and the address of its logo ("" when it has none).
// One read of the cache the provider shares, which carries only the logo's sum,
// never the image.
func (s *Core) ClientShown(ctx context.Context, id string) (name, logo string) {
	c, err := s.Clients.GetClient(ctx, id)
	if err != nil {
		return id, ""
	}
	return cmp.Or(c.Name, id), templates.LogoURL(string(storage.LogoClient), c.ID, c.LogoSum)
}

// BrandFor returns ctx with the brand of u's organisation (its brand name and
// logo), which the pages and emails rendered with it show instead of the
// server's. A user in no organisation, or one whose organisation sets neither,
// gets ctx as it is; so does any user when the organisation cannot be read
// (the server's brand is a fine fallback, logged).
func (s *Core) BrandFor(ctx context.Context, u storage.User) context.Context {
	if u.OrgID == "" || s.Orgs == nil {
		return ctx
	}
	o, err := s.Orgs.GetOrganisation(ctx, u.OrgID)
	if err != nil {
		s.Log.WarnContext(ctx, "organisation's brand not read", "org_id", u.OrgID, "error", err)
		return ctx
	}
	b := templates.OrgBrand{Name: o.BrandName, Logo: templates.LogoURL(string(storage.LogoOrg), o.ID, o.LogoSum)}
	if b == (templates.OrgBrand{}) {
		return ctx
	}
	return templates.WithOrgBrand(ctx, b)
}

// Product is the name emails sent with ctx sign with: the reader's
// organisation's brand name (BrandFor) or the server's product name.
func (s *Core) Product(ctx context.Context) string {
	return cmp.Or(templates.OrgBrandFrom(ctx).Name, s.ProductName)
}

// UserBranded serves h with the signed-in user's organisation's brand in the
// request's context, so that every page h renders for them (the account's and
// the profile's, whose handlers each read the session again) shows it. It
// costs those pages a second read of the session and user, and one of the
// organisation for its members; they are not on the sign-in's path.
func (s *Core) UserBranded(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, user, ok, err := s.CurrentSession(r.Context(), r)
		if err != nil {
			return err
		}
		if ok {
			r = r.WithContext(s.BrandFor(r.Context(), user))
		}
		return h(w, r)
	}
}

// UserBrandedRoutes wraps the Page of every route in UserBranded: the account's
// and the profile's pages are their members' own, in their organisation's brand.
func (s *Core) UserBrandedRoutes(routes []Route) []Route {
	for i := range routes {
		if routes[i].Page != nil {
			routes[i].Page = s.UserBranded(routes[i].Page)
		}
	}
	return routes
}
