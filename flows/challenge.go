package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/lockstep-id/lockstep/flows/factor"
	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/templates"
)

// Second-factor methods on the challenge page.
const (
	methodTOTP     = "totp"
	methodRecovery = "recovery"
	methodSMS      = "sms"
)

// Messages for codes. A wrong code and a used one say different things: the user
// can act on the difference, and the code's owner learns nothing new from it.
const (
	msgWrongCode     = "That code is not right. Check your authenticator app and try again."
	msgUsedCode      = "That code was already used. Wait for the next code in your app and enter it."
	msgExpiredCode   = "That code has expired. Enter the code your app shows now."
	msgMalformedCode = "Enter the 6 digits your authenticator app shows."
	msgWrongRecovery = "That recovery code is not right, or it was used already."
	msgCodeThrottled = "Too many wrong codes. For your security, two-step verification is locked for 15 minutes."
	msgWrongSMS      = "That code is not right. Check the text message and try again."
	msgExpiredSMS    = "That code has expired. Ask for a new code."
	msgUsedSMS       = "That code was already used. Ask for a new code."
	msgSMSAttempts   = "Too many wrong tries for this code. Ask for a new code."
	msgMalformedSMS  = "Enter the 6 digits from the text message."
)

// availableMethods lists the user's ways to prove a second factor, preferred first.
func (s *Service) availableMethods(ctx context.Context, userID string, reads *Reads) ([]string, error) {
	var methods []string
	summary, err := s.factorSummary(ctx, userID, reads)
	if err != nil {
		return nil, err
	}
	factors := s.secondFactorsOf(summary)
	if slices.Contains(factors, SecondFactorWebAuthn) {
		methods = append(methods, methodWebAuthn) // phishing-resistant: preferred
	}
	if slices.Contains(factors, "otp") {
		methods = append(methods, methodTOTP)
	}
	if slices.Contains(factors, factor.AMRSMS) {
		phone, err := s.Store.GetPhoneNumber(ctx, userID)
		if err != nil {
			return nil, fmt.Errorf("load phone number: %w", err)
		}
		if phone.Primary { // the user's main method comes first
			methods = append([]string{methodSMS}, methods...)
		} else {
			methods = append(methods, methodSMS)
		}
	}
	if summary.RecoveryCodes > 0 {
		methods = append(methods, methodRecovery)
	}
	return methods, nil
}

func (s *Service) challengePage(ctx context.Context, f Flow, method string, methods []string) (templates.ChallengePage, error) {
	p := templates.ChallengePage{
		Page:       s.page(""), // the template titles a step-up differently
		Action:     s.Paths.Challenge,
		FlowID:     f.ID,
		ClientName: s.clientName(ctx, f.ClientID),
		Method:     method,
		// Without a password in this flow, an existing session is being stepped up.
		StepUp: !hasMethod(f.Proven, "pwd"),
	}
	if method == methodWebAuthn {
		p.WebAuthnOptionsURL = s.Paths.ChallengeWebAuthn
	}
	if method == methodSMS {
		if err := s.smsChallenge(ctx, f, &p); err != nil {
			return p, err
		}
	}
	if !(f.KindOf() == KindAccount) {
		p.RememberDays = s.RememberDays
		if s.EmailCodes != nil || slices.Contains(methods, methodRecovery) {
			p.ResetURL = s.Paths.Reset + "?flow=" + url.QueryEscape(f.ID)
		}
	}
	labels := map[string]string{methodTOTP: "Use your authenticator app", methodRecovery: "Use a recovery code",
		methodWebAuthn: "Use your security key", methodSMS: "Text a code to your phone"}
	for _, m := range methods {
		if m != method {
			p.Methods = append(p.Methods, templates.MethodChoice{Label: labels[m],
				Href: s.Paths.Challenge + "?flow=" + url.QueryEscape(f.ID) + "&method=" + m})
		}
	}
	return p, nil
}

func (s *Service) renderChallenge(w http.ResponseWriter, status int, p templates.ChallengePage) error {
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

// ChallengePage asks for the second factor.
func (s *Service) ChallengePage(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.flowAt(r, StateSecondFactor)
	if !ok {
		return res, err
	}
	ctx := r.Context()
	reads, err := s.ReadFlowUser(ctx, f)
	if err != nil {
		return Result{}, err
	}
	methods, err := s.challengeMethods(ctx, r, f, reads)
	if err != nil {
		return Result{}, err
	}
	method := chosenMethod(r.URL.Query().Get("method"), methods)
	if method == "" {
		return s.proceed(ctx, w, r, f, reads) // the factors went away meanwhile: ask the policy
	}
	page, err := s.challengePage(ctx, f, method, methods)
	if err != nil {
		return Result{}, err
	}
	page.Notice = smsNotices[r.URL.Query().Get("notice")]
	return Result{}, s.renderChallenge(w, http.StatusOK, page)
}

// ChallengeSubmit checks a second-factor code. Every attempt on a user's account is
// counted before it is checked, so a burst of parallel guesses cannot get past the
// limit, and a success clears that count. Per address only failures count: many
// people signing in from one office address must not lock each other out.
func (s *Service) ChallengeSubmit(w http.ResponseWriter, r *http.Request) (Result, error) {
	f, res, ok, err := s.flowAt(r, StateSecondFactor)
	if !ok {
		return res, err
	}
	ctx := r.Context()
	reads, err := s.ReadFlowUser(ctx, f)
	if err != nil {
		return Result{}, err
	}
	methods, err := s.challengeMethods(ctx, r, f, reads)
	if err != nil {
		return Result{}, err
	}
	method := chosenMethod(r.PostForm.Get("method"), methods)
	if method == "" {
		return s.proceed(ctx, w, r, f, reads)
	}
	page, err := s.challengePage(ctx, f, method, methods)
	if err != nil {
		return Result{}, err
	}

	userKey := "2fa:user:" + f.UserID
	throttled, ipKey, err := s.countCodeAttempt(ctx, r, f, method)
	if err != nil {
		return Result{}, err
	}
	if throttled {
		page.Error, page.Throttled = msgCodeThrottled, true
		return Result{}, s.renderChallenge(w, http.StatusTooManyRequests, page)
	}

	code := r.PostForm.Get("code")
	now := s.Now().UTC()
	var proofs []storage.FactorProof
	switch method {
	case methodTOTP:
		_, err = s.TOTP.Verify(ctx, f.UserID, code)
		proofs = []storage.FactorProof{{Method: "otp", At: now}}
	case methodRecovery:
		err = s.Recovery.Use(ctx, f.UserID, code)
		proofs = []storage.FactorProof{{Method: "otp", At: now}}
	case methodWebAuthn:
		proofs, err = s.verifyWebAuthn(ctx, f, reads, r.PostForm.Get("response"))
	case methodSMS:
		err = s.verifySMS(ctx, f, code)
		proofs = []storage.FactorProof{{Method: factor.AMRSMS, At: now}}
	}
	if err != nil {
		page.Error = codeMessage(method, err)
		if page.Error == "" {
			return Result{}, fmt.Errorf("verify %s: %w", method, err)
		}
		if _, err := s.Store.HitThrottle(ctx, ipKey, s.Limits.Window, now); err != nil {
			return Result{}, fmt.Errorf("count second-factor failure: %w", err)
		}
		s.audit(ctx, r, "factor.failure", f.UserID, f.ClientID, map[string]string{"factor": method, "reason": err.Error()})
		return Result{}, s.renderChallenge(w, http.StatusUnauthorized, page)
	}
	if err := s.Store.ResetThrottle(ctx, userKey); err != nil {
		return Result{}, fmt.Errorf("reset second-factor throttle: %w", err)
	}
	s.audit(ctx, r, "factor.success", f.UserID, f.ClientID, map[string]string{"factor": method})
	remember := r.PostForm.Get("remember") == "yes" && !(f.KindOf() == KindAccount)
	if err := s.afterSecondFactor(ctx, w, r, f.UserID, f.ClientID, remember); err != nil {
		return Result{}, err
	}
	if method == methodRecovery {
		s.audit(ctx, r, "recovery_code.used", f.UserID, f.ClientID, nil)
		s.notify(r, f.UserID, "recovery.used")
	}
	f.Proven = append(f.Proven, proofs...)
	return s.proceed(ctx, w, r, f, reads)
}

// countCodeAttempt counts a second-factor attempt for the flow's user and reports
// whether the user or the address is over its limit (the refusal is audited). It
// returns the address's failure counter, which the caller bumps on a failure.
func (s *Service) countCodeAttempt(ctx context.Context, r *http.Request, f Flow, method string) (throttled bool, ipKey string, err error) {
	ipKey = "2fa:ip:" + s.ClientIP(r)
	now := s.Now()
	nUser, err := s.Store.HitThrottle(ctx, "2fa:user:"+f.UserID, s.Limits.Window, now)
	if err != nil {
		return false, ipKey, fmt.Errorf("count second-factor attempt: %w", err)
	}
	nIP, err := s.Store.ThrottleCount(ctx, ipKey, now)
	if err != nil {
		return false, ipKey, fmt.Errorf("read second-factor throttle: %w", err)
	}
	if nUser > s.Limits.SecondFactorFailures || nIP >= s.Limits.SecondFactorIP {
		s.audit(ctx, r, "factor.throttled", f.UserID, f.ClientID, map[string]string{"factor": method})
		return true, ipKey, nil
	}
	return false, ipKey, nil
}

// challengeMethods are the user's methods that can meet what the flow needs: only
// a security key when the phishing-resistant level is asked for.
func (s *Service) challengeMethods(ctx context.Context, r *http.Request, f Flow, reads *Reads) ([]string, error) {
	methods, err := s.availableMethods(ctx, f.UserID, reads)
	if err != nil || !slices.Contains(methods, methodWebAuthn) || (f.KindOf() == KindAccount) {
		return methods, err
	}
	ev, err := s.Evaluate(ctx, r, f, reads)
	if err != nil {
		return nil, err
	}
	if ev.Decision.Level == ACRPhishingResistant {
		return []string{methodWebAuthn}, nil
	}
	return methods, nil
}

// codeMessage is what the user reads for a refused code ("" for a server fault).
func codeMessage(method string, err error) string {
	switch {
	case method == methodWebAuthn:
		return webAuthnMessage(err)
	case method == methodSMS:
		return smsMessage(err)
	case method == methodRecovery && (errors.Is(err, factor.ErrWrongCode) || errors.Is(err, factor.ErrCodeUsed) || errors.Is(err, factor.ErrMalformedCode)):
		return msgWrongRecovery
	case errors.Is(err, factor.ErrCodeExpired):
		return msgExpiredCode
	case errors.Is(err, factor.ErrCodeUsed):
		return msgUsedCode
	case errors.Is(err, factor.ErrMalformedCode):
		return msgMalformedCode
	case errors.Is(err, factor.ErrWrongCode), errors.Is(err, factor.ErrNoDevice):
		return msgWrongCode
	}
	return ""
}
