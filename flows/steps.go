package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

// Attempt is one question to the policy: an authorization request (or an account
// re-verification) with what is known about the browser and the user so far.
type Attempt struct {
	Kind    Kind
	Request AuthRequest
	Client  storage.Client
	// Session is the browser's SSO session when it counts for this attempt (nil
	// when there is none, or it is another user's).
	Session *storage.Session
	// UserID is who the attempt is about ("" until a session or a password says).
	UserID      string
	RequestedAt time.Time
	// Proven are the proofs made during the flow.
	Proven []storage.FactorProof
	// Declined: the user answered "Later" to the set-up offer in this sign-in.
	Declined bool
	// Reset: two-step verification was reset in this sign-in.
	Reset bool
	// Reads are what this request already read about the user, or nil.
	Reads *Reads
	// User is the session's user when the caller has it (spares a read).
	User *storage.User
}

// Evaluation is the policy's decision for an attempt with what it was based on.
type Evaluation struct {
	Decision Decision
	// Next is the state the decision leads a flow to.
	Next State
	// SecondFactors are the user's enrolled methods the decision was made with.
	SecondFactors []string
	// Company is the organisation's rule the decision was made with.
	Company Company
}

// Reads is what a sign-in step read about its user in one round trip
// (storage.LoginStore.LookupLogin: the user, their factors and their consent for
// the flow's client). The step hands it on explicitly, so that the policy, the
// consent check and the finish after it in the same request read nothing again.
type Reads struct {
	Login storage.Login
	// ClientID is whose consent Login holds.
	ClientID string
}

// About returns the reads when they are about userID (nil otherwise): a request
// must never decide for one user with another's factors or consent.
func (rd *Reads) About(userID string) *Reads {
	if rd == nil || !rd.Login.Found || rd.Login.User.ID != userID || userID == "" {
		return nil
	}
	return rd
}

// ReadFlowUser reads at once what a step needs about the flow's user (the user,
// their factors and their consent for the flow's client) and the live counts of
// throttleKeys (Login.Throttles, in their order).
func (s *Core) ReadFlowUser(ctx context.Context, f Flow, throttleKeys ...string) (*Reads, error) {
	if f.UserID == "" {
		return nil, nil
	}
	l, err := s.Store.LookupLogin(ctx, storage.LoginLookup{UserID: f.UserID, ClientID: f.ClientID, ThrottleKeys: throttleKeys, Now: s.Now()})
	if err != nil {
		return nil, fmt.Errorf("look up the flow's user: %w", err)
	}
	return &Reads{Login: l, ClientID: f.ClientID}, nil
}

// Next is the one place that asks the policy (Decide) what an attempt still
// needs: the provider's authorize and resume endpoints, every step after it
// proved something, and the challenge page (which methods meet the level) all
// come here. Account re-verifications are decided by Reverified instead.
func (s *Core) Next(ctx context.Context, r *http.Request, a Attempt) (Evaluation, error) {
	if a.Kind == KindAccount {
		return s.nextAccount(ctx, a)
	}
	in := PolicyInput{
		Request:     a.Request,
		Client:      ClientPolicy{MinACR: a.Client.MinACR, DefaultACRValues: a.Client.DefaultACRValues, MaxAuthAge: a.Client.MaxAuthAge},
		UserKnown:   a.UserID != "",
		RequestedAt: a.RequestedAt,
		Now:         s.Now(),
		EnrolOnSpot: s.EnrolOnSpot,
		Flow:        a.Proven,
		Declined:    a.Declined,
		AfterReset:  a.Reset,
	}
	if a.Session != nil {
		in.Session = a.Session.Factors
	}
	if a.UserID != "" {
		methods, err := s.secondFactors(ctx, a.UserID, a.Reads)
		if err != nil {
			return Evaluation{}, err
		}
		in.SecondFactors = methods
		if len(methods) > 0 {
			if in.Trusted, err = s.trustedReason(ctx, r, a.UserID); err != nil {
				return Evaluation{}, err
			}
		}
		if in.Company, err = s.companyRule(ctx, a); err != nil {
			return Evaluation{}, err
		}
	}
	d := Decide(in)
	return Evaluation{Decision: d, Next: StateFor(d), SecondFactors: in.SecondFactors, Company: in.Company}, nil
}

// companyRule is what the user's organisation asks of them (zero without
// CompanyRules, or for a user in no organisation).
func (s *Core) companyRule(ctx context.Context, a Attempt) (Company, error) {
	if s.CompanyRules == nil {
		return Company{}, nil
	}
	var user storage.User
	switch rd := a.Reads.About(a.UserID); {
	case rd != nil:
		user = rd.Login.User
	case a.User != nil && a.User.ID == a.UserID:
		user = *a.User
	default:
		u, err := s.Store.GetUser(ctx, a.UserID)
		if err != nil {
			return Company{}, fmt.Errorf("load user for the organisation's rule: %w", err)
		}
		user = u
	}
	c, err := s.CompanyRules.RuleFor(ctx, user)
	if err != nil {
		return Company{}, fmt.Errorf("organisation's rule: %w", err)
	}
	return c, nil
}

// nextAccount decides a re-verification: the password when nobody is signed in,
// then the factor that re-verifies this user (Reverified); then done.
func (s *Core) nextAccount(ctx context.Context, a Attempt) (Evaluation, error) {
	var ev Evaluation
	if a.UserID == "" || (a.Session == nil && !HasMethod(a.Proven, "pwd")) {
		ev.Next = StateLogin
		return ev, nil
	}
	factors, err := s.secondFactors(ctx, a.UserID, a.Reads)
	if err != nil {
		return ev, err
	}
	ev.SecondFactors = factors
	var kept []storage.FactorProof
	if a.Session != nil {
		kept = a.Session.Factors
	}
	proofs := MergeProofs(kept, a.Proven)
	switch {
	case Reverified(proofs, len(factors) > 0, s.Now().Add(-SudoWindow)):
		ev.Next, ev.Decision = StateDone, Decision{Outcome: Done, Proofs: proofs}
	case len(factors) > 0:
		ev.Next = StateSecondFactor
	default:
		ev.Next = StateLogin
	}
	return ev, nil
}

// flowAttempt is the attempt a flow stands for: its stored request, its client,
// its proofs and the browser's session when it is the flow's user's.
func (s *Core) flowAttempt(ctx context.Context, r *http.Request, f Flow, reads *Reads) (Attempt, *storage.User, error) {
	a := Attempt{Kind: f.KindOf(), UserID: f.UserID, RequestedAt: f.RequestedAt, Proven: f.Proven, Declined: f.Declined, Reset: f.Reset, Reads: reads.About(f.UserID)}
	if a.Kind == KindAuthorize {
		q, err := url.ParseQuery(f.AuthorizeQuery)
		if err != nil {
			return a, nil, fmt.Errorf("stored authorize query: %w", err)
		}
		if a.Request, err = ParseAuthRequest(q); err != nil {
			return a, nil, err
		}
		if a.Client, err = s.Clients.GetClient(ctx, f.ClientID); err != nil {
			return a, nil, fmt.Errorf("load flow client: %w", err)
		}
	}
	sess, user, ok, err := s.CurrentSession(ctx, r)
	if err != nil {
		return a, nil, err
	}
	// The session counts only for the user the flow is about; a flow that starts
	// without a user (no usable session) waits for the password to name one.
	if ok && f.UserID != "" && sess.UserID == f.UserID {
		a.Session, a.User = &sess, &user
		return a, &user, nil
	}
	return a, nil, nil
}

// Evaluate asks the policy (Next) what the flow still needs.
func (s *Core) Evaluate(ctx context.Context, r *http.Request, f Flow, reads *Reads) (Evaluation, error) {
	a, _, err := s.flowAttempt(ctx, r, f, reads)
	if err != nil {
		return Evaluation{}, err
	}
	return s.Next(ctx, r, a)
}

// secondFactors lists the second-factor methods the user has enrolled (amr values,
// and SecondFactorWebAuthn for keys): from reads when they are the user's, else
// in one store round trip.
func (s *Core) secondFactors(ctx context.Context, userID string, reads *Reads) ([]string, error) {
	f, err := s.FactorSummary(ctx, userID, reads)
	if err != nil {
		return nil, err
	}
	return s.SecondFactorsOf(f), nil
}

// SecondFactors lists the second-factor methods the user has enrolled.
func (s *Core) SecondFactors(ctx context.Context, userID string) ([]string, error) {
	return s.secondFactors(ctx, userID, nil)
}

// FactorSummary is the user's factors: from reads when they are the user's, else
// from the store.
func (s *Core) FactorSummary(ctx context.Context, userID string, reads *Reads) (storage.FactorSummary, error) {
	if rd := reads.About(userID); rd != nil {
		return rd.Login.Factors, nil
	}
	f, err := s.Store.SummarizeFactors(ctx, userID)
	if err != nil {
		return f, fmt.Errorf("summarize second factors: %w", err)
	}
	return f, nil
}

// SecondFactorsOf names the second factors of a summary, as SecondFactors does.
func (s *Core) SecondFactorsOf(f storage.FactorSummary) []string {
	var methods []string
	if f.TOTP {
		methods = append(methods, factor.AMRTOTP)
	}
	if f.WebAuthn {
		methods = append(methods, SecondFactorWebAuthn)
	}
	// A number stays on file when SMS is switched off, but cannot be used then.
	if f.Phone && s.SMS != nil {
		methods = append(methods, factor.AMRSMS)
	}
	return methods
}

// AuditDecision writes a policy decision and its reasons to the audit log.
func (s *Core) AuditDecision(ctx context.Context, r *http.Request, userID, clientID string, d Decision) {
	detail := map[string]string{"outcome": d.Outcome.String(), "level": d.Level, "reasons": strings.Join(d.Reasons, "; ")}
	if len(d.Prove) > 0 {
		detail["prove"] = strings.Join(d.Prove, " ")
	}
	if d.Error != "" {
		detail["error"] = d.Error
	}
	s.Audit(ctx, r, "policy.decision", userID, clientID, detail)
}

// Proceed moves a flow on after a step: it asks the policy (Next), moves the flow
// to the state the answer leads to and sends the browser there. A finished
// sign-in goes to the provider (Result.Finished), and so does a refusal
// (Result.Refused) or a bad stored request (through resume), which the provider
// tells the client; a finished re-verification goes back to the account page.
func (s *Core) Proceed(ctx context.Context, w http.ResponseWriter, r *http.Request, f Flow, reads *Reads) (Result, error) {
	// One read of the user, their factors and their consent serves the policy, the
	// organisation's rule, the finish and the consent check after it.
	if reads.About(f.UserID) == nil && f.UserID != "" {
		var err error
		if reads, err = s.ReadFlowUser(ctx, f); err != nil {
			return Result{}, err
		}
	}
	a, user, err := s.flowAttempt(ctx, r, f, reads)
	var re *RequestError
	if errors.As(err, &re) {
		return s.moveAndGo(ctx, f, StateAuthenticated) // the provider reports the bad request
	}
	if err != nil {
		return Result{}, err
	}
	ev, err := s.Next(ctx, r, a)
	if err != nil {
		return Result{}, err
	}
	if f.KindOf() == KindAccount {
		return s.finishAccount(ctx, w, r, f, a, ev)
	}
	s.AuditDecision(ctx, r, f.UserID, f.ClientID, ev.Decision)
	switch ev.Decision.Outcome {
	case Refuse:
		return Result{Refused: &Refusal{Flow: f, Decision: ev.Decision}}, nil
	case Prove, Enrol, Offer:
		return s.moveAndGo(ctx, f, ev.Next)
	}
	confirm, err := s.needsDeviceConfirmation(ctx, r, f, ev)
	if err != nil {
		return Result{}, err
	}
	if confirm {
		return s.enter(ctx, w, r, f, StateConfirmDevice)
	}
	if err := f.MoveTo(StateAuthenticated); err != nil {
		return Result{}, err
	}
	return s.finish(ctx, w, r, f, a, user, ev)
}

// moveAndGo stores the flow in state to and sends the browser to its page.
func (s *Core) moveAndGo(ctx context.Context, f Flow, to State) (Result, error) {
	if err := f.MoveTo(to); err != nil {
		return Result{}, err
	}
	if err := s.Advance(ctx, &f); err != nil {
		return Result{}, err
	}
	return RedirectTo(s.StepURL(f)), nil
}

// finishAccount ends a re-verification once it is fresh: the session is upgraded
// with the flow's proofs and the browser goes back to the account page it was on
// its way to (AccountReturn).
func (s *Core) finishAccount(ctx context.Context, w http.ResponseWriter, r *http.Request, f Flow, a Attempt, ev Evaluation) (Result, error) {
	if ev.Next != StateDone {
		return s.moveAndGo(ctx, f, ev.Next)
	}
	if _, err := s.UpgradeSession(ctx, w, r, f.UserID, a.Session, f.Proven); err != nil {
		return Result{}, err
	}
	if err := f.MoveTo(StateDone); err != nil {
		return Result{}, err
	}
	if err := s.Advance(ctx, &f); err != nil {
		return Result{}, err
	}
	return RedirectTo(s.Path(AccountReturn(f.ReturnTo))), nil
}

// Finished is a sign-in whose every factor is proven: the provider ends it
// (consent, or the code) in one place.
type Finished struct {
	// Flow is the sign-in, in StateAuthenticated, StateReady or StateDenied; nil
	// when the browser's session met the request at /authorize without a flow.
	Flow *Flow
	User storage.User
	// SessionID is the SSO session the tokens belong to (sid).
	SessionID string
	// Proofs are the proofs that count for the request (amr, acr, auth_time).
	Proofs []storage.FactorProof
	// Pending is the browser's new session when this request made one: the
	// provider stores it (with the code when it issues one).
	Pending *PendingSession
	// Reads, when set, hold the user's consent for the flow's client, read with
	// the user in this request.
	Reads *Reads
	// RequestedAt is when a request without a flow arrived (a flow keeps its own).
	RequestedAt time.Time
}

// finish hands a flow whose factors are all proven to the provider, with the
// user, the session the tokens belong to and the proofs that count.
func (s *Core) finish(ctx context.Context, w http.ResponseWriter, r *http.Request, f Flow, a Attempt, user *storage.User, ev Evaluation) (Result, error) {
	done := Finished{Flow: &f, Proofs: ev.Decision.Proofs, Reads: a.Reads}
	switch {
	case a.Reads != nil:
		done.User = a.Reads.Login.User
	case user != nil:
		done.User = *user
	default: // only the id is known: the password named the user
		u, err := s.Store.GetUser(ctx, f.UserID)
		if err != nil {
			return Result{}, fmt.Errorf("load signed-in user: %w", err)
		}
		done.User = u
	}
	if done.User.Disabled { // disabled while this sign-in was on its way
		return Result{}, errDisabled
	}
	switch {
	case len(f.Proven) > 0:
		p, err := s.newSession(w, r, f.UserID, a.Session, f.Proven)
		if err != nil {
			return Result{}, err
		}
		done.Pending, done.SessionID = &p, p.Session.ID
	case a.Session != nil:
		done.SessionID = a.Session.ID
	default:
		return Result{}, errInterrupted
	}
	return Result{Finished: &done}, nil
}

// Resume is the provider's way back into a flow that left the steps (after
// consent, or a bad request): it asks the policy again (a flow cannot skip a step
// by jumping to the provider) and says how to go on. The provider has already
// handled StateDone and StateDenied.
func (s *Core) Resume(ctx context.Context, w http.ResponseWriter, r *http.Request, f Flow) (Result, error) {
	a, user, err := s.flowAttempt(ctx, r, f, nil)
	if err != nil {
		return Result{}, err
	}
	ev, err := s.Next(ctx, r, a)
	if err != nil {
		return Result{}, err
	}
	if ev.Decision.Outcome != Done {
		// The last step's decision was audited as done; this one differs, so say why.
		s.AuditDecision(ctx, r, f.UserID, f.ClientID, ev.Decision)
	}
	switch ev.Decision.Outcome {
	case Refuse:
		return Result{Refused: &Refusal{Flow: f, Decision: ev.Decision}}, nil
	case Prove, Enrol, Offer:
		return s.moveAndGo(ctx, f, ev.Next)
	}
	if a.Session == nil {
		return Result{}, errInterrupted
	}
	return Result{Finished: &Finished{Flow: &f, User: *user, SessionID: a.Session.ID, Proofs: ev.Decision.Proofs}}, nil
}

var errDisabled = UserError(http.StatusForbidden, "msg.disabled_heading",
	"msg.disabled", nil)

var errInterrupted = UserError(http.StatusBadRequest, "msg.interrupted_heading",
	"msg.interrupted", nil)

// StateFor is the flow state in which a decision's next step happens.
func StateFor(d Decision) State {
	switch d.Outcome {
	case Offer:
		return StateProtect
	case Enrol:
		if d.ByOrganisation {
			return StateProtect // the interrupt page says why, then enrolment
		}
		return StateEnrol
	case Prove:
		if d.Prove[0] == NeedSecondFactor {
			return StateSecondFactor
		}
		return StateLogin
	}
	return StateAuthenticated
}

// SudoWindow is how long a re-verification lets the user change their account
// security (ACC-2).
const SudoWindow = 5 * time.Minute

// Reverified reports whether proofs hold a re-verification newer than since with
// the factor the user has set up: any second factor, or the password for a user
// without one (a second factor counts then too: it matters right after the last
// device was removed).
func Reverified(proofs []storage.FactorProof, has2FA bool, since time.Time) bool {
	for _, p := range proofs {
		if p.At.Before(since) {
			continue
		}
		if slices.Contains(secondFactorMethods, p.Method) || (!has2FA && p.Method == "pwd") {
			return true
		}
	}
	return false
}
