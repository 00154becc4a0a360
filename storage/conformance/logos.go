package conformance

import (
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// testLogos: a logo is kept apart from its owner, whose LogoSum follows every
// change; updating the owner keeps the sum; deleting the owner deletes the logo.
func testLogos(t *testing.T, s storage.Storage) {
	ctx := t.Context()
	must(t, s.CreateClient(ctx, storage.Client{ID: "shop", Name: "Shop", LogoSum: "ignored", CreatedAt: base, UpdatedAt: base}))
	must(t, s.CreateClient(ctx, storage.Client{ID: "plain", Name: "Plain", CreatedAt: base, UpdatedAt: base}))
	acme := newOrg("acme", storage.OrgPolicy{Level: storage.LevelLow})
	acme.BrandName, acme.LogoSum = "ignored", "ignored"
	must(t, s.CreateOrganisation(ctx, acme, nil))

	c, err := s.GetClient(ctx, "shop")
	must(t, err)
	equal(t, "new client's logo sum", "", c.LogoSum)
	o, err := s.GetOrganisation(ctx, "acme")
	must(t, err)
	equal(t, "new organisation's brand", [2]string{}, [2]string{o.BrandName, o.LogoSum})

	png := storage.Logo{Owner: storage.LogoClient, OwnerID: "shop", MediaType: "image/png",
		Content: []byte("\x89PNG one"), Sum: "sum-one", UpdatedAt: base}
	must(t, s.SetLogo(ctx, png))
	got, err := s.GetLogo(ctx, storage.LogoClient, "shop")
	must(t, err)
	equal(t, "logo", png, got)
	c, err = s.GetClient(ctx, "shop")
	must(t, err)
	equal(t, "client's logo sum", "sum-one", c.LogoSum)

	// A new upload replaces the image and the sum.
	svg := storage.Logo{Owner: storage.LogoClient, OwnerID: "shop", MediaType: "image/svg+xml",
		Content: []byte("<svg/>"), Sum: "sum-two", UpdatedAt: base.Add(time.Hour)}
	must(t, s.SetLogo(ctx, svg))
	got, err = s.GetLogo(ctx, storage.LogoClient, "shop")
	must(t, err)
	equal(t, "replaced logo", svg, got)

	// Updating the client, as the admin's edits do with a client read before the
	// upload, keeps the logo's sum.
	c.LogoSum, c.Name = "", "Shop 2"
	must(t, s.UpdateClient(ctx, c))
	c, err = s.GetClient(ctx, "shop")
	must(t, err)
	equal(t, "sum after an update", "sum-two", c.LogoSum)
	list, err := s.ListClients(ctx)
	must(t, err)
	equal(t, "listed sums", []string{"", "sum-two"}, []string{list[0].LogoSum, list[1].LogoSum})

	// The same id as an organisation is another owner.
	_, err = s.GetLogo(ctx, storage.LogoOrg, "shop")
	wantErr(t, "organisation logo of a client id", err, storage.ErrNotFound)
	_, err = s.GetLogo(ctx, storage.LogoClient, "plain")
	wantErr(t, "client without a logo", err, storage.ErrNotFound)
	wantErr(t, "logo of an unknown client", s.SetLogo(ctx, storage.Logo{Owner: storage.LogoClient, OwnerID: "nope",
		MediaType: "image/png", Content: []byte("x"), Sum: "s", UpdatedAt: base}), storage.ErrNotFound)
	wantErr(t, "logo of an unknown organisation", s.SetLogo(ctx, storage.Logo{Owner: storage.LogoOrg, OwnerID: "nope",
		MediaType: "image/png", Content: []byte("x"), Sum: "s", UpdatedAt: base}), storage.ErrNotFound)
	wantErr(t, "logo of an unknown kind of owner", s.SetLogo(ctx, storage.Logo{Owner: "user", OwnerID: "shop",
		MediaType: "image/png", Content: []byte("x"), Sum: "s", UpdatedAt: base}), storage.ErrInvalid)
	_, err = s.GetLogo(ctx, storage.LogoClient, "nope")
	wantErr(t, "get logo of an unknown client", err, storage.ErrNotFound)

	// Organisations: the logo and the brand name.
	orgLogo := storage.Logo{Owner: storage.LogoOrg, OwnerID: "acme", MediaType: "image/webp",
		Content: []byte("RIFF....WEBP"), Sum: "org-sum", UpdatedAt: base}
	must(t, s.SetLogo(ctx, orgLogo))
	must(t, s.SetOrgBrandName(ctx, "acme", "Acme Portal", base.Add(2*time.Hour)))
	wantErr(t, "brand name of an unknown organisation", s.SetOrgBrandName(ctx, "nope", "X", base), storage.ErrNotFound)
	// A change to the policy keeps the brand.
	must(t, s.SetOrgPolicy(ctx, "acme", storage.OrgPolicy{Level: storage.LevelHigh}, base.Add(3*time.Hour), nil))
	o, err = s.GetOrganisation(ctx, "acme")
	must(t, err)
	equal(t, "organisation's brand", [2]string{"Acme Portal", "org-sum"}, [2]string{o.BrandName, o.LogoSum})
	orgs, err := s.ListOrganisations(ctx)
	must(t, err)
	equal(t, "listed brand", "Acme Portal", orgs[0].BrandName)
	got, err = s.GetLogo(ctx, storage.LogoOrg, "acme")
	must(t, err)
	equal(t, "organisation's logo", orgLogo, got)

	// Deleting a logo clears the sum; deleting one that is gone is ErrNotFound.
	must(t, s.DeleteLogo(ctx, storage.LogoOrg, "acme"))
	wantErr(t, "delete a deleted logo", s.DeleteLogo(ctx, storage.LogoOrg, "acme"), storage.ErrNotFound)
	wantErr(t, "delete the logo of an unknown client", s.DeleteLogo(ctx, storage.LogoClient, "nope"), storage.ErrNotFound)
	_, err = s.GetLogo(ctx, storage.LogoOrg, "acme")
	wantErr(t, "deleted logo", err, storage.ErrNotFound)
	o, err = s.GetOrganisation(ctx, "acme")
	must(t, err)
	equal(t, "sum after delete", "", o.LogoSum)
	equal(t, "brand name after the logo's delete", "Acme Portal", o.BrandName)

	// Deleting the client deletes its logo: a new client of that id has none.
	must(t, s.DeleteClient(ctx, "shop"))
	_, err = s.GetLogo(ctx, storage.LogoClient, "shop")
	wantErr(t, "logo of a deleted client", err, storage.ErrNotFound)
	must(t, s.CreateClient(ctx, storage.Client{ID: "shop", Name: "Shop again", CreatedAt: base, UpdatedAt: base}))
	_, err = s.GetLogo(ctx, storage.LogoClient, "shop")
	wantErr(t, "logo of a re-created client", err, storage.ErrNotFound)
}
