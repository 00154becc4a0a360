package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
)

// Evaluation is the policy's decision for a flow with what it was based on.
type Evaluation struct {
	Decision Decision
	// Session is the browser's SSO session when it belongs to the flow's user.
	Session *storage.Session
	User    storage.User
	// SecondFactors are the user's enrolled methods the decision was made with.
	SecondFactors []string
}

// Evaluate asks the policy what the flow still needs, from the flow's stored
// request, the client, the flow's and the session's proofs, and the user's factors.
// The caller writes the decision to the audit log (AuditDecision).
func (s *Service) Evaluate(ctx context.Context, r *http.Request, f storage.Flow) (Evaluation, error) {
	q, err := url.ParseQuery(f.AuthorizeQuery)
	if err != nil {
		return Evaluation{}, fmt.Errorf("stored authorize query: %w", err)
	}
	areq, err := ParseAuthRequest(q)
	if err != nil {
		return Evaluation{}, err
	}
	client, err := s.Clients.GetClient(ctx, f.ClientID)
	if err != nil {
		return Evaluation{}, fmt.Errorf("load flow client: %w", err)
	}
	var ev Evaluation
	sess, user, ok, err := s.CurrentSession(ctx, r)
	if err != nil {
		return Evaluation{}, err
	}
	// The session counts only for the user the flow is about; a flow that starts
	// without a user (no usable session) waits for the password to name one.
	if ok && f.UserID != "" && sess.UserID == f.UserID {
		ev.Session, ev.User = &sess, user
	}
	if ev.Session == nil {
		// Only the session's user is needed whole (to issue tokens); otherwise the id.
		ev.User.ID = f.UserID
	}
	in, err := s.PolicyInput(ctx, r, areq, client, ev.Session, ev.User.ID, f.RequestedAt)
	if err != nil {
		return Evaluation{}, err
	}
	in.Flow = f.Proven
	ev.Decision, ev.SecondFactors = Decide(in), in.SecondFactors
	return ev, nil
}

// PolicyInput gathers what the policy needs about a user and a client.
func (s *Service) PolicyInput(ctx context.Context, r *http.Request, areq AuthRequest, client storage.Client, sess *storage.Session, userID string, requestedAt time.Time) (PolicyInput, error) {
	in := PolicyInput{
		Request:     areq,
		Client:      ClientPolicy{MinACR: client.MinACR, DefaultACRValues: client.DefaultACRValues, MaxAuthAge: client.MaxAuthAge},
		UserKnown:   userID != "",
		RequestedAt: requestedAt,
		Now:         s.Now(),
		EnrolOnSpot: s.EnrolOnSpot,
	}
	if sess != nil {
		in.Session = sess.Factors
	}
	if userID != "" {
		methods, err := s.SecondFactors(ctx, userID)
		if err != nil {
			return in, err
		}
		in.SecondFactors = methods
		if len(methods) > 0 {
			if in.Trusted, err = s.trustedReason(ctx, r, userID); err != nil {
				return in, err
			}
		}
	}
	return in, nil
}

// SecondFactors lists the second-factor methods the user has enrolled (amr values,
// and SecondFactorWebAuthn for keys), in one store round trip.
func (s *Service) SecondFactors(ctx context.Context, userID string) ([]string, error) {
	f, err := s.factorSummary(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.secondFactorsOf(f), nil
}

// factorSummary is the user's factors: from the reads this request made first, or
// from the store.
func (s *Service) factorSummary(ctx context.Context, userID string) (storage.FactorSummary, error) {
	if lr, ok := readsFor(ctx, userID); ok {
		return lr.login.Factors, nil
	}
	f, err := s.Store.SummarizeFactors(ctx, userID)
	if err != nil {
		return f, fmt.Errorf("summarize second factors: %w", err)
	}
	return f, nil
}

// secondFactorsOf names the second factors of a summary, as SecondFactors does.
func (s *Service) secondFactorsOf(f storage.FactorSummary) []string {
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
func (s *Service) AuditDecision(ctx context.Context, r *http.Request, userID, clientID string, d Decision) {
	detail := map[string]string{"outcome": d.Outcome.String(), "level": d.Level, "reasons": strings.Join(d.Reasons, "; ")}
	if len(d.Prove) > 0 {
		detail["prove"] = strings.Join(d.Prove, " ")
	}
	if d.Error != "" {
		detail["error"] = d.Error
	}
	s.audit(ctx, r, "policy.decision", userID, clientID, detail)
}

// next asks the policy again after a step and sends the browser on: to the next
// step, or, when nothing is missing, upgrades the SSO session and hands the flow
// back to the provider. A refusal is also handed back: the provider tells the client.
func (s *Service) next(ctx context.Context, w http.ResponseWriter, r *http.Request, f storage.Flow) error {
	if isAccountFlow(f) {
		return s.accountNext(ctx, w, r, f)
	}
	ev, err := s.Evaluate(ctx, r, f)
	var re *RequestError
	if errors.As(err, &re) {
		f.State = storage.FlowAuthenticated // the provider reports the bad request
	} else if err != nil {
		return err
	} else {
		s.AuditDecision(ctx, r, ev.User.ID, f.ClientID, ev.Decision)
		f.State = StateFor(ev.Decision)
		if ev.Decision.Outcome == Done {
			confirm, err := s.needsDeviceConfirmation(ctx, r, f, ev)
			if err != nil {
				return err
			}
			if confirm {
				return s.startDeviceConfirmation(ctx, w, r, f)
			}
		}
		if ev.Decision.Outcome == Done && s.Finish != nil && (len(f.Proven) > 0 || ev.Session != nil) {
			return s.finish(ctx, w, r, f, ev)
		}
		if ev.Decision.Outcome == Done && len(f.Proven) > 0 {
			if _, err := s.upgradeSession(ctx, w, r, f.UserID, ev.Session, f.Proven); err != nil {
				return err
			}
		}
	}
	if err := s.Advance(ctx, &f); err != nil {
		return err
	}
	s.redirectToNext(w, r, f)
	return nil
}

// Finished is what the provider needs to end a flow whose factors are all proven.
type Finished struct {
	User      storage.User
	SessionID string
	// Proofs are the proofs that count for the request (amr, acr, auth_time).
	Proofs []storage.FactorProof
	// Pending is the browser's new session when this request made one: the provider
	// stores it (with the code when it issues one).
	Pending *PendingSession
}

// loginReadsKey carries what a sign-in step read about its user (LookupLogin: the
// password step, or a second-factor step), so that the policy, the consent check
// and the finish step after it in the same request do not read the user, their
// factors and their consent again.
type loginReadsKey struct{}

type loginReads struct {
	login    storage.Login
	clientID string // whose consent login holds
}

func withLoginReads(ctx context.Context, l storage.Login, clientID string) context.Context {
	return context.WithValue(ctx, loginReadsKey{}, loginReads{login: l, clientID: clientID})
}

// withFlowUserReads reads at once what a second-factor step needs about the flow's
// user (the user, their factors and their consent for the flow's client) and keeps
// it for the rest of the request, as the password step does with its reads.
func (s *Service) withFlowUserReads(ctx context.Context, f storage.Flow) (context.Context, error) {
	if f.UserID == "" {
		return ctx, nil
	}
	l, err := s.Store.LookupLogin(ctx, storage.LoginLookup{UserID: f.UserID, ClientID: f.ClientID, Now: s.Now()})
	if err != nil {
		return ctx, fmt.Errorf("look up the flow's user: %w", err)
	}
	return withLoginReads(ctx, l, f.ClientID), nil
}

// readsFor returns the request's first reads (withLoginReads) when they are about
// userID.
func readsFor(ctx context.Context, userID string) (loginReads, bool) {
	lr, ok := ctx.Value(loginReadsKey{}).(loginReads)
	return lr, ok && lr.login.Found && lr.login.User.ID == userID
}

// finish hands a flow whose factors were all proven in this request straight to
// the provider, instead of sending the browser through the resume endpoint to have
// the same decision made again.
func (s *Service) finish(ctx context.Context, w http.ResponseWriter, r *http.Request, f storage.Flow, ev Evaluation) error {
	user := ev.User
	if lr, ok := readsFor(ctx, f.UserID); ok {
		user = lr.login.User
	} else if ev.Session == nil { // only the id is known: the password named the user
		u, err := s.Store.GetUser(ctx, f.UserID)
		if err != nil {
			return fmt.Errorf("load signed-in user: %w", err)
		}
		user = u
	}
	done := Finished{User: user, Proofs: ev.Decision.Proofs}
	if len(f.Proven) > 0 {
		p, err := s.newSession(w, r, f.UserID, ev.Session, f.Proven)
		if err != nil {
			return err
		}
		done.Pending, done.SessionID = &p, p.Session.ID
	} else {
		done.SessionID = ev.Session.ID
	}
	// The provider's consent check reads ctx: the password step's reads include the
	// consent for this client, so it needs no second round trip.
	return s.Finish(w, r.WithContext(ctx), f, done)
}

// StateFor is the flow state in which a decision's next step happens.
func StateFor(d Decision) storage.FlowState {
	switch d.Outcome {
	case Enrol:
		return storage.FlowEnrol
	case Prove:
		if d.Prove[0] == NeedSecondFactor {
			return storage.FlowSecondFactor
		}
		return storage.FlowLogin
	}
	return storage.FlowAuthenticated
}
