package enrol

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/flows/sms"
	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Stages of the phone-number form.
const (
	stageNumber = "number"
	stageCode   = "code"
)

// PhoneSetup is where a phone number is being set up: the account page, or a
// sign-in that needs a second factor (flowID set). A number is stored only once a
// code sent to it was entered, so nobody can point codes at a number they do not
// hold; until then it lives only in the pending code's record.
type PhoneSetup struct {
	UserID, ClientID, FlowID string
	// key binds the pending code to the account page (per user) or to the sign-in.
	Key string
	// form and resend are the paths of the form and of its resend button; cancel
	// is where "Cancel" leads, back and skip the wizard's "Back" and "Skip".
	Form, Resend, Cancel, Back, Skip string
	// Backup: the number is set up beside another factor, as its backup.
	Backup bool
	// Steps is the wizard's progress at a stage of the form (nil: no progress).
	Steps func(stage string) []templates.Step
}

// formURL is the form's address with q (and the flow) in its query.
func (ps PhoneSetup) formURL(q url.Values) string {
	if ps.FlowID != "" {
		q.Set("flow", ps.FlowID)
	}
	return ps.Form + "?" + q.Encode()
}

// phonePage is the phone-number form at a stage: the code stage falls back to the
// number when no live code is pending.
func (s *Handlers) phonePage(ctx context.Context, ps PhoneSetup, stage string, primary bool) (templates.PhoneEnrolPage, error) {
	p := templates.PhoneEnrolPage{
		Page:         s.Page(ctx, "phone.heading"),
		Action:       ps.Form,
		FlowID:       ps.FlowID,
		Stage:        stage,
		Countries:    countryChoices(s.Pages.Localizer(ctx)),
		Country:      "US",
		Primary:      primary,
		ResendAction: ps.Resend,
		ChangeURL:    ps.formURL(url.Values{"change": {"1"}}),
		CancelURL:    ps.Cancel,
		BackURL:      ps.Back,
		SkipURL:      ps.Skip,
	}
	if ps.FlowID != "" {
		p.ClientName = s.ClientName(ctx, ps.ClientID)
	}
	if ps.Steps != nil {
		p.Steps = ps.Steps(stage)
	}
	others, err := s.SecondFactors(ctx, ps.UserID)
	if err != nil {
		return p, err
	}
	// Main or backup is a choice only beside another method.
	for _, m := range others {
		if m != factor.AMRSMS && !ps.Backup {
			p.ShowMode = true
		}
	}
	if ps.Backup {
		p.Primary = false
	}
	if stage == stageCode {
		st, err := s.SMSCodes.Status(ctx, ps.Key)
		if err != nil {
			return p, err
		}
		if !st.Live {
			p.Stage = stageNumber
			if ps.Steps != nil {
				p.Steps = ps.Steps(stageNumber)
			}
			return p, nil
		}
		p.PhoneMasked, p.ResendWait = sms.Mask(st.Sent.Destination), flows.WaitSeconds(st.Wait)
	}
	return p, nil
}

func (s *Handlers) renderPhone(w http.ResponseWriter, status int, p templates.PhoneEnrolPage) error {
	return s.Render(w, status, func() error { return s.Pages.PhoneEnrol(w, p) })
}

// ShowPhone renders the form as a GET shows it: the number, or the code once one
// was sent (until the user asks to change the number).
func (s *Handlers) ShowPhone(w http.ResponseWriter, r *http.Request, ps PhoneSetup) error {
	q := r.URL.Query()
	stage := stageCode
	if q.Get("change") == "1" {
		stage = stageNumber
	}
	p, err := s.phonePage(r.Context(), ps, stage, q.Get("mode") != "backup")
	if err != nil {
		return err
	}
	p.Notice = flows.SMSNotices[q.Get("notice")]
	return s.renderPhone(w, http.StatusOK, p)
}

// postedMode is the main/backup choice the forms carry along.
func postedMode(r *http.Request) (primary bool, mode string) {
	if r.FormValue("mode") == "backup" {
		return false, "backup"
	}
	return true, "primary"
}

// SubmitPhone handles a posted form. At the number stage it texts a code and
// sends the browser to the code stage; at the code stage it checks the code. Only
// when that proves the number does it return the number (ok); otherwise it has
// answered the browser itself.
func (s *Handlers) SubmitPhone(w http.ResponseWriter, r *http.Request, ps PhoneSetup) (phone storage.PhoneNumber, ok bool, err error) {
	ctx := r.Context()
	primary, mode := postedMode(r)
	if r.PostForm.Get("stage") != stageCode {
		p, err := s.phonePage(ctx, ps, stageNumber, primary)
		if err != nil {
			return phone, false, err
		}
		p.Country, p.National = r.PostForm.Get("country"), r.PostForm.Get("national")
		number, err := sms.Normalize(p.Country, p.National)
		if ne := (*sms.NumberError)(nil); errors.As(err, &ne) {
			p.Error = s.T(ctx, ne.Key, ne.Args...)
			return phone, false, s.renderPhone(w, http.StatusBadRequest, p)
		}
		if err != nil {
			return phone, false, err
		}
		refusal, err := s.SendSMSCode(ctx, r, ps.Key, ps.UserID, ps.ClientID, number)
		if err != nil {
			return phone, false, err
		}
		if refusal != "" {
			p.Error = refusal
			return phone, false, s.renderPhone(w, flows.SendRefusalStatus(refusal), p)
		}
		http.Redirect(w, r, ps.formURL(url.Values{"notice": {"sent"}, "mode": {mode}}), http.StatusSeeOther)
		return phone, false, nil
	}

	p, err := s.phonePage(ctx, ps, stageCode, primary)
	if err != nil {
		return phone, false, err
	}
	rec, err := s.SMSCodes.Check(ctx, ps.Key, ps.UserID, r.PostForm.Get("code"))
	if msg := flows.SMSMessage(err); msg != "" {
		s.Audit(ctx, r, "factor.failure", ps.UserID, ps.ClientID, map[string]string{"factor": "sms", "reason": err.Error()})
		p.Error = msg
		return phone, false, s.renderPhone(w, http.StatusUnauthorized, p)
	}
	if err != nil {
		return phone, false, err
	}
	had, err := s.SecondFactors(ctx, ps.UserID)
	if err != nil {
		return phone, false, err
	}
	phone = storage.PhoneNumber{UserID: ps.UserID, E164: rec.Destination, Primary: !ps.Backup && (primary || !p.ShowMode), VerifiedAt: s.Now().UTC()}
	if err := s.Store.SetPhoneNumber(ctx, phone); err != nil {
		return phone, false, fmt.Errorf("save phone number: %w", err)
	}
	s.Audit(ctx, r, "phone.verified", ps.UserID, ps.ClientID, map[string]string{"to": sms.Mask(rec.Destination), "mode": mode})
	if len(had) == 0 {
		s.Notify(r, ps.UserID, "2fa.on.sms")
	} else {
		s.Notify(r, ps.UserID, "phone.added")
	}
	if err := s.AfterSecondFactor(ctx, w, r, ps.UserID, ps.ClientID, false); err != nil {
		return phone, false, err
	}
	return phone, true, nil
}

// ResendPhone texts a new code to the number being set up.
func (s *Handlers) ResendPhone(w http.ResponseWriter, r *http.Request, ps PhoneSetup) error {
	ctx := r.Context()
	rec, err := s.Store.GetOneTimeCode(ctx, ps.Key)
	if errors.Is(err, storage.ErrNotFound) {
		http.Redirect(w, r, ps.formURL(url.Values{"change": {"1"}}), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load pending number: %w", err)
	}
	refusal, err := s.SendSMSCode(ctx, r, ps.Key, ps.UserID, ps.ClientID, rec.Destination)
	if err != nil {
		return err
	}
	primary, mode := postedMode(r)
	if refusal == "" {
		http.Redirect(w, r, ps.formURL(url.Values{"notice": {"sent"}, "mode": {mode}}), http.StatusSeeOther)
		return nil
	}
	p, err := s.phonePage(ctx, ps, stageCode, primary)
	if err != nil {
		return err
	}
	p.Error = refusal
	return s.renderPhone(w, flows.SendRefusalStatus(refusal), p)
}

// countryChoices lists the countries for the number form, named and sorted in
// the page's language (the same for every page of it: built once).
func countryChoices(loc *i18n.Localizer) []templates.Country {
	if c, ok := countriesByLanguage.Load(loc.Tag()); ok {
		return c.([]templates.Country)
	}
	var out []templates.Country
	for _, c := range sms.Countries() {
		out = append(out, templates.Country{ISO: c.ISO, Name: loc.Region(c.ISO, c.Name), Dial: c.Prefix})
	}
	i18n.Sort(loc, out, func(c templates.Country) string { return c.Name })
	countriesByLanguage.Store(loc.Tag(), out)
	return out
}

// countriesByLanguage holds countryChoices' lists by language tag; they are
// only read once stored.
var countriesByLanguage sync.Map
