package signin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// availableMethods lists the user's ways to prove a second factor, preferred first.
func (s *Handlers) availableMethods(ctx context.Context, userID string, reads *flows.Reads) ([]string, error) {
	var methods []string
	summary, err := s.FactorSummary(ctx, userID, reads)
	if err != nil {
		return nil, err
	}
	factors := s.SecondFactorsOf(summary)
	if slices.Contains(factors, flows.SecondFactorWebAuthn) {
		methods = append(methods, flows.MethodWebAuthn) // phishing-resistant: preferred
	}
	if slices.Contains(factors, "otp") {
		methods = append(methods, flows.MethodTOTP)
	}
	if slices.Contains(factors, factor.AMRSMS) {
		phone, err := s.Store.GetPhoneNumber(ctx, userID)
		if err != nil {
			return nil, fmt.Errorf("load phone number: %w", err)
		}
		if phone.Primary { // the user's main method comes first
			methods = append([]string{flows.MethodSMS}, methods...)
		} else {
			methods = append(methods, flows.MethodSMS)
		}
	}
	if summary.RecoveryCodes > 0 {
		methods = append(methods, flows.MethodRecovery)
	}
	return methods, nil
}

func (s *Handlers) challengePage(ctx context.Context, f flows.Flow, method string, methods []string) (templates.ChallengePage, error) {
	clientName, clientLogo := s.ClientShown(ctx, f.ClientID)
	p := templates.ChallengePage{
		Page:       s.Page(ctx, ""), // the template titles a step-up differently
		Action:     s.Path(PathChallenge),
		FlowID:     f.ID,
		ClientName: clientName,
		ClientLogo: clientLogo,
		Method:     method,
		// Without a password in this flow, an existing session is being stepped up.
		StepUp: !flows.HasMethod(f.Proven, "pwd"),
	}
	if method == flows.MethodWebAuthn {
		p.WebAuthnOptionsURL = s.Path(PathChallengeWebAuthn)
	}
	if method == flows.MethodSMS {
		if err := s.smsChallenge(ctx, f, &p); err != nil {
			return p, err
		}
	}
	if !(f.KindOf() == flows.KindAccount) {
		p.RememberDays = s.RememberDays
		if s.EmailCodes != nil || slices.Contains(methods, flows.MethodRecovery) {
			p.ResetURL = s.Path(PathReset) + "?flow=" + url.QueryEscape(f.ID)
		}
	}
	for _, m := range methods {
		if m != method {
			p.Methods = append(p.Methods, templates.MethodChoice{Label: "challenge.method_" + m, // the catalogue's key
				Href: s.Path(PathChallenge) + "?flow=" + url.QueryEscape(f.ID) + "&method=" + m})
		}
	}
	return p, nil
}

func (s *Handlers) renderChallenge(w http.ResponseWriter, status int, p templates.ChallengePage) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return s.Pages.Challenge(w, p)
}

// chosenMethod is the requested method when the user has it, else the preferred one.
func chosenMethod(want string, methods []string) string {
	for _, m := range methods {
		if m == want {
			return m
		}
	}
	if len(methods) > 0 {
		return methods[0]
	}
	return ""
}

// challengeStep is what every second-factor request starts from: the flow, what
// was read about its user, and the methods that can meet what it needs.
type challengeStep struct {
	flow    flows.Flow
	reads   *flows.Reads
	methods []string
	// apps says reads hold the user's authenticator apps.
	apps bool
}

// challenge loads the flow a second-factor page or form names, with its user's
// reads and methods; ok is false when the flow is elsewhere (res goes there).
func (s *Handlers) challenge(r *http.Request) (ch challengeStep, res flows.Result, ok bool, err error) {
	var q storage.LoginLookup
	if r.Method == http.MethodPost {
		if err := flows.ParseForm(r); err != nil {
			return ch, res, false, err
		}
		// Read with the user: the address's failures, for countCodeAttempt, and
		// the apps an app's code is checked against.
		q.ThrottleKeys = []string{s.codeIPKey(r)}
		q.TOTPDevices = r.PostForm.Get("method") == flows.MethodTOTP
	}
	ch.flow, ch.reads, res, ok, err = s.StepAt(r, flows.StateSecondFactor, q)
	if !ok {
		return ch, res, false, err
	}
	ch.apps = q.TOTPDevices
	if ch.methods, err = s.challengeMethods(r.Context(), r, ch.flow, ch.reads); err != nil {
		return ch, res, false, err
	}
	return ch, res, true, nil
}

// ChallengePage asks for the second factor.
func (s *Handlers) ChallengePage(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ch, res, ok, err := s.challenge(r)
	if !ok {
		return res, err
	}
	ctx, f, reads, methods := r.Context(), ch.flow, ch.reads, ch.methods
	method := chosenMethod(r.URL.Query().Get("method"), methods)
	if method == "" {
		return s.Proceed(ctx, w, r, f, reads) // the factors went away meanwhile: ask the policy
	}
	page, err := s.challengePage(ctx, f, method, methods)
	if err != nil {
		return flows.Result{}, err
	}
	page.Notice = flows.SMSNotices[r.URL.Query().Get("notice")]
	return flows.Result{}, s.renderChallenge(w, http.StatusOK, page)
}

// ChallengeSubmit checks a second-factor code. Every attempt on a user's account is
// counted before it is checked, so a burst of parallel guesses cannot get past the
// limit, and a success clears that count. Per address only failures count: many
// people signing in from one office address must not lock each other out.
func (s *Handlers) ChallengeSubmit(w http.ResponseWriter, r *http.Request) (flows.Result, error) {
	ch, res, ok, err := s.challenge(r)
	if !ok {
		return res, err
	}
	ctx, f, reads, methods := r.Context(), ch.flow, ch.reads, ch.methods
	method := chosenMethod(r.PostForm.Get("method"), methods)
	if method == "" {
		return s.Proceed(ctx, w, r, f, reads)
	}
	page, err := s.challengePage(ctx, f, method, methods)
	if err != nil {
		return flows.Result{}, err
	}

	userKey := "2fa:user:" + f.UserID
	throttled, ipKey, err := s.countCodeAttempt(ctx, r, f, reads, method)
	if err != nil {
		return flows.Result{}, err
	}
	if throttled {
		page.Error, page.Throttled = flows.MsgCodeThrottled, true
		return flows.Result{}, s.renderChallenge(w, http.StatusTooManyRequests, page)
	}

	code := r.PostForm.Get("code")
	now := s.Now().UTC()
	var proofs []storage.FactorProof
	switch method {
	case flows.MethodTOTP:
		if rd := reads.About(f.UserID); rd != nil && ch.apps {
			_, err = s.TOTP.VerifyAmong(ctx, f.UserID, code, rd.Login.TOTPDevices)
		} else {
			_, err = s.TOTP.Verify(ctx, f.UserID, code)
		}
		proofs = []storage.FactorProof{{Method: "otp", At: now}}
	case flows.MethodRecovery:
		err = s.Recovery.Use(ctx, f.UserID, code)
		proofs = []storage.FactorProof{{Method: "otp", At: now}}
	case flows.MethodWebAuthn:
		proofs, err = s.verifyWebAuthn(ctx, f, reads, r.PostForm.Get("response"))
	case flows.MethodSMS:
		err = s.verifySMS(ctx, f, code)
		proofs = []storage.FactorProof{{Method: factor.AMRSMS, At: now}}
	}
	if err != nil {
		page.Error = flows.CodeMessage(method, err)
		if page.Error == "" {
			return flows.Result{}, fmt.Errorf("verify %s: %w", method, err)
		}
		if _, err := s.Store.HitThrottle(ctx, ipKey, s.Limits.Window, now); err != nil {
			return flows.Result{}, fmt.Errorf("count second-factor failure: %w", err)
		}
		s.Audit(ctx, r, "factor.failure", f.UserID, f.ClientID, map[string]string{"factor": method, "reason": err.Error()})
		return flows.Result{}, s.renderChallenge(w, http.StatusUnauthorized, page)
	}
	// Cleared with the step's commit: a round trip less.
	if err := flows.ResetThrottle(ctx, s.Store, userKey); err != nil {
		return flows.Result{}, fmt.Errorf("reset second-factor throttle: %w", err)
	}
	s.Audit(ctx, r, "factor.success", f.UserID, f.ClientID, map[string]string{"factor": method})
	remember := r.PostForm.Get("remember") == "yes" && !(f.KindOf() == flows.KindAccount)
	if err := s.AfterSecondFactor(ctx, w, r, f.UserID, f.ClientID, remember); err != nil {
		return flows.Result{}, err
	}
	if method == flows.MethodRecovery {
		s.Audit(ctx, r, "recovery_code.used", f.UserID, f.ClientID, nil)
		s.Notify(r, f.UserID, "recovery.used")
	}
	f.Proven = append(f.Proven, proofs...)
	return s.Proceed(ctx, w, r, f, reads)
}

// codeIPKey is the counter of second-factor failures from the request's address.
func (s *Handlers) codeIPKey(r *http.Request) string { return "2fa:ip:" + s.ClientIP(r) }

// countCodeAttempt counts a second-factor attempt for the flow's user and reports
// whether the user or the address is over its limit (the refusal is audited). It
// returns the address's failure counter, which the caller bumps on a failure. The
// challenge reads that counter with the flow's user (reads); without reads it is
// read here.
func (s *Handlers) countCodeAttempt(ctx context.Context, r *http.Request, f flows.Flow, reads *flows.Reads, method string) (throttled bool, ipKey string, err error) {
	ipKey = s.codeIPKey(r)
	now := s.Now()
	nUser, err := s.Store.HitThrottle(ctx, "2fa:user:"+f.UserID, s.Limits.Window, now)
	if err != nil {
		return false, ipKey, fmt.Errorf("count second-factor attempt: %w", err)
	}
	var nIP int
	if reads != nil && len(reads.Login.Throttles) == 1 {
		nIP = reads.Login.Throttles[0]
	} else if nIP, err = s.Store.ThrottleCount(ctx, ipKey, now); err != nil {
		return false, ipKey, fmt.Errorf("read second-factor throttle: %w", err)
	}
	if nUser > s.Limits.SecondFactorFailures || nIP >= s.Limits.SecondFactorIP {
		s.Audit(ctx, r, "factor.throttled", f.UserID, f.ClientID, map[string]string{"factor": method})
		return true, ipKey, nil
	}
	return false, ipKey, nil
}

// challengeMethods are the user's methods that can meet what the flow needs: only
// a security key when the phishing-resistant level is asked for.
func (s *Handlers) challengeMethods(ctx context.Context, r *http.Request, f flows.Flow, reads *flows.Reads) ([]string, error) {
	methods, err := s.availableMethods(ctx, f.UserID, reads)
	if err != nil || !slices.Contains(methods, flows.MethodWebAuthn) || (f.KindOf() == flows.KindAccount) {
		return methods, err
	}
	ev, err := s.Evaluate(ctx, r, f, reads)
	if err != nil {
		return nil, err
	}
	if ev.Decision.Level == flows.ACRPhishingResistant {
		return []string{flows.MethodWebAuthn}, nil
	}
	return methods, nil
}
