package enrol

import (
	"math"
	"net/http"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/templates"
)

// showProtect renders "Protect your account" for a flow in StateProtect: the
// set-up offered (the organisation's grace period, a first sign-in, an app that
// asks for more), or required once the organisation's deadline has passed. When
// the policy no longer asks for either (a factor was set up elsewhere meanwhile),
// the flow goes on.
func (s *Handlers) showProtect(w http.ResponseWriter, r *http.Request, f flows.Flow) (flows.Result, error) {
	ctx := r.Context()
	reads, ev, err := s.decide(r, f)
	if err != nil {
		return flows.Result{}, err
	}
	d := ev.Decision
	required := d.Outcome == flows.Enrol && d.ByOrganisation
	if d.Outcome != flows.Offer && !required {
		return s.Proceed(ctx, w, r, f, reads)
	}
	p := templates.EnrolChoicePage{
		Page:       s.Page(ctx, "protect.heading"),
		Action:     s.Path(PathProtect),
		FlowID:     f.ID,
		ClientName: s.ClientName(ctx, f.ClientID),
		Required:   required,
		AppAsks:    d.Offer == flows.OfferApp,
		AfterReset: d.Offer == flows.OfferReset,
		SMS:        s.SMS != nil,
	}
	if deadline := ev.Company.Deadline; (d.Offer == flows.OfferCompany || required || (p.AfterReset && ev.Company.Covered)) && !deadline.IsZero() {
		p.Deadline = deadline.UTC().Format("2 January 2006")
		if !required {
			p.DaysLeft = daysLeft(deadline, s.Now())
		}
	}
	switch {
	case p.AfterReset:
		p.Page.Title = "protect.again_title"
	case p.AppAsks:
		p.Page.Title = s.T(ctx, "protect.client_asks_title", "Client", p.ClientName)
	}
	s.Audit(ctx, r, "mfa.setup_offered", f.UserID, f.ClientID, map[string]string{"offer": d.Offer, "required": boolWord(required)})
	return flows.Result{}, s.Render(w, http.StatusOK, func() error { return s.Pages.EnrolChoice(w, p) })
}

// ProtectSubmit takes the answer: "Set it up now" goes to the enrolment, "Later"
// (not offered once the deadline has passed; a forged one just comes back here)
// records the answer on the flow and goes on where the policy says.
func (s *Handlers) ProtectSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ctx := r.Context()
	f, res, ok, err := s.FlowAt(r, flows.StateProtect)
	if !ok {
		return res, err
	}
	switch r.PostForm.Get("decision") {
	case "setup":
		if err := f.MoveTo(flows.StateEnrol); err != nil {
			return flows.Result{}, err
		}
		if err := s.Advance(ctx, &f); err != nil {
			return flows.Result{}, err
		}
		return flows.RedirectTo(s.StepURL(f)), nil
	case "later":
		reads, ev, err := s.decide(r, f)
		if err != nil {
			return flows.Result{}, err
		}
		if ev.Decision.Offer == flows.OfferFirst {
			if err := s.CompanyRules.SetupOffered(ctx, f.UserID); err != nil {
				return flows.Result{}, err
			}
		}
		f.Declined = true
		s.Audit(ctx, r, "mfa.setup_declined", f.UserID, f.ClientID, map[string]string{"offer": ev.Decision.Offer})
		return s.Proceed(ctx, w, r, f, reads)
	}
	return flows.Result{}, flows.UserError(http.StatusBadRequest, "msg.bad_request_heading", "protect.choose", nil)
}

// decide asks the policy about the flow with its user's reads.
func (s *Handlers) decide(r *http.Request, f flows.Flow) (*flows.Reads, flows.Evaluation, error) {
	reads, err := s.ReadFlowUser(r.Context(), f)
	if err != nil {
		return nil, flows.Evaluation{}, err
	}
	ev, err := s.Evaluate(r.Context(), r, f, reads)
	return reads, ev, err
}

// daysLeft is the grace period left in whole days, rounded up: a deadline later
// today is "1 day left".
func daysLeft(deadline, now time.Time) int {
	return int(math.Ceil(deadline.Sub(now).Hours() / 24))
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
