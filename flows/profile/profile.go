package profile

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// notices are the only messages the profile page shows after a change; the
// query names one, so no text comes from the address.
var notices = map[string]string{
	"names":      "done.names",
	"email-sent": "done.email_sent",
}

// page is the profile page of user, showing what is stored.
func (s *Handlers) page(ctx context.Context, user storage.User) templates.ProfilePage {
	return templates.ProfilePage{
		Page:          s.Page(ctx, "account.profile"),
		NamesAction:   s.Path(PathProfileNames),
		GivenName:     user.GivenName,
		FamilyName:    user.FamilyName,
		MaxNameLen:    MaxNameLen,
		Email:         user.Email,
		EmailVerified: user.EmailVerified,
		EmailAction:   s.Path(PathProfileEmail),
		LinkMinutes:   int(LinkLifetime.Minutes()),
		CanChange:     s.Mail != nil,
		BackURL:       s.Path(flows.PathAccount),
	}
}

// render shows p, with 400 when it says what was wrong.
func (s *Handlers) render(w http.ResponseWriter, p templates.ProfilePage) error {
	status := http.StatusOK
	if p.GivenError != "" || p.FamilyError != "" || p.EmailError != "" {
		status = http.StatusBadRequest
	}
	return s.Render(w, status, func() error { return s.Pages.Profile(w, p) })
}

// ProfilePage shows the user's names and email address.
func (s *Handlers) ProfilePage(w http.ResponseWriter, r *http.Request) error {
	_, user, ok, err := s.RequireReverified(w, r, PathProfile)
	if !ok {
		return err
	}
	p := s.page(r.Context(), user)
	p.Notice = notices[r.URL.Query().Get("done")]
	return s.render(w, p)
}

// NamesSubmit saves the given and family names when both follow the rules
// (CheckName); otherwise the form comes back with what was typed and one
// message per field, and nothing changes.
func (s *Handlers) NamesSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, user, ok, err := s.RequireReverified(w, r, PathProfile)
	if !ok {
		return err
	}
	if err := flows.ParseForm(r); err != nil {
		return err
	}
	typedGiven, typedFamily := r.PostForm.Get("given_name"), r.PostForm.Get("family_name")
	given, givenErr := CheckName(typedGiven, GivenMinLetters)
	family, familyErr := CheckName(typedFamily, FamilyMinLetters)
	if givenErr != nil || familyErr != nil {
		p := s.page(r.Context(), user)
		p.GivenName, p.FamilyName = typedGiven, typedFamily
		p.GivenError, p.FamilyError = s.nameMessage(ctx, givenErr, "given", GivenMinLetters), s.nameMessage(ctx, familyErr, "family", FamilyMinLetters)
		return s.render(w, p)
	}
	if given != user.GivenName || family != user.FamilyName {
		if err := s.Store.SetUserNames(ctx, user.ID, given, family, s.Now().UTC()); err != nil {
			return fmt.Errorf("save names: %w", err)
		}
		s.Audit(ctx, r, "profile.names_changed", user.ID, "", map[string]string{
			"given_name_old": user.GivenName, "given_name_new": given,
			"family_name_old": user.FamilyName, "family_name_new": family,
		})
	}
	http.Redirect(w, r, s.Path(PathProfile)+"?done=names", http.StatusSeeOther)
	return nil
}

// nameMessage says, in the request's language, what is wrong with the given
// or family name (field), "" when nothing is.
func (s *Handlers) nameMessage(ctx context.Context, err error, field string, minLetters int) string {
	key := "profile." + field
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNameEmpty):
		return s.T(ctx, key+"_empty")
	case errors.Is(err, ErrNameTooLong):
		return s.T(ctx, key+"_too_long", "Max", MaxNameLen)
	case errors.Is(err, ErrNameChars):
		return s.T(ctx, key+"_chars")
	case errors.Is(err, ErrNameStart):
		return s.T(ctx, key+"_start")
	}
	return s.N(ctx, key+"_letters", minLetters)
}
