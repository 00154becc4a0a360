package flows

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// AuthRequest is what an authorization request asks of the user's authentication.
type AuthRequest struct {
	PromptLogin bool
	PromptNone  bool
	// MaxAge is the max_age parameter; nil when absent. Zero forces a new login.
	MaxAge *time.Duration
	// ACRValues are the requested levels in order of preference (a wish).
	ACRValues []string
	// EssentialACR lists the acr values of an essential acr claim; one must be met.
	EssentialACR []string
	// HintSubject is the sub of a valid id_token_hint, or "".
	HintSubject string
}

// ClientPolicy is what a client demands of every sign-in (AAL-4).
type ClientPolicy struct {
	MinACR           string
	DefaultACRValues []string
	MaxAuthAge       time.Duration
}

// PolicyInput is everything the policy looks at. It is a plain value so the
// decision can be table-tested exhaustively.
type PolicyInput struct {
	Request AuthRequest
	Client  ClientPolicy
	// UserKnown is false until someone proved who they are (a session or a password).
	UserKnown bool
	// SecondFactors are the user's enrolled second-factor methods (amr values, e.g. "otp").
	SecondFactors []string
	// Session holds the SSO session's proofs (nil when there is none or it is another user's).
	Session []storage.FactorProof
	// Flow holds the proofs made during this sign-in.
	Flow []storage.FactorProof
	// RequestedAt is when the authorization request arrived.
	RequestedAt time.Time
	Now         time.Time
	// EnrolOnSpot lets a user who lacks a required factor enrol it during the sign-in.
	EnrolOnSpot bool
	// Trusted says why this browser may skip the user's own second factor (a
	// remembered device, a trusted address), or is "". It waives only the rule that
	// a user with a second factor always uses it: a level the client or the request
	// asks for still needs a second factor proven, and the tokens then say honestly
	// that only the password was proven.
	Trusted string
	// Company is what the user's organisation asks of them (zero: nothing).
	Company Company
	// Declined: the user chose "Later" on the set-up offer in this sign-in.
	Declined bool
	// AfterReset: two-step verification was reset during this sign-in, so the
	// set-up is offered again right after.
	AfterReset bool
}

// Company is an organisation's rule for one user (FLOW-3, FLOW-5).
type Company struct {
	// Covered: the organisation's level is high and the user is in a group it
	// applies to, so a second factor is mandatory once Deadline has passed.
	Covered bool
	// Deadline is when a covered user must have a second factor, fixed when the
	// rule first applied to them; zero for a covered user means at once.
	Deadline time.Time
	// FirstSignIn: the user is in an organisation that does not require a
	// second factor of them and never signed in before: the set-up is offered once.
	FirstSignIn bool
}

// Why the set-up of a second factor is offered (Decision.Offer).
const (
	OfferCompany = "company" // covered, before the deadline
	OfferApp     = "app"     // the app asks for more than the user has
	OfferFirst   = "first"   // a first sign-in
	OfferReset   = "reset"   // two-step verification was reset in this sign-in
)

// Outcome is what must happen next.
type Outcome int

const (
	// Done: the proofs meet the request; issue the code.
	Done Outcome = iota
	// Prove: the user must prove the factors in Prove, in that order.
	Prove
	// Enrol: the user must enrol a second factor, then prove it.
	Enrol
	// Refuse: the request cannot be met; answer the client with Error.
	Refuse
	// Offer: everything needed is proven, but the user is asked first whether to
	// set up a second factor now (Decision.Offer says why); "Later" goes on.
	Offer
)

func (o Outcome) String() string {
	return [...]string{"done", "prove", "enrol", "refuse", "offer"}[o]
}

// Factor kinds the policy asks for.
const (
	NeedPassword     = "pwd"
	NeedSecondFactor = "2fa"
)

// Errors the policy answers clients with.
const (
	ErrLoginRequired       = "login_required"
	ErrInteractionRequired = "interaction_required"
	ErrUnmet               = "unmet_authentication_requirements"
)

// Decision is the policy's answer with its reasons, which go to the audit log.
type Decision struct {
	Outcome Outcome
	// Prove lists what is missing, password first (NeedPassword, NeedSecondFactor).
	Prove []string
	// Level is the acr the sign-in aims for.
	Level string
	// Error is the OAuth error for Refuse.
	Error string
	// Proofs are the proofs that count for this request: what amr and acr describe.
	Proofs  []storage.FactorProof
	Reasons []string
	// Offer says why the set-up is offered (OfferCompany, OfferApp, OfferFirst).
	Offer string
	// ByOrganisation: the organisation's rule is why a second factor is needed
	// (its grace period is over).
	ByOrganisation bool
}

// secondFactorMethods are amr values that prove a second factor;
// phishingResistant are those bound to the origin (WebAuthn).
var (
	secondFactorMethods = []string{"otp", "sms", "hwk", "swk"}
	phishingResistant   = []string{"hwk", "swk"}
)

// SecondFactorWebAuthn is the PolicyInput.SecondFactors entry for a user with a
// security key or passkey.
const SecondFactorWebAuthn = "webauthn"

// Decide is the one place that decides what a sign-in still needs (FLOW-3): from
// the request (acr_values, essential acr, max_age, prompt), the client's minimum
// and maximum authentication age, the user's enrolled factors, the proofs of the
// session and of this flow with their times, and the time.
func Decide(in PolicyInput) Decision {
	d := Decision{}
	because := func(format string, args ...any) { d.Reasons = append(d.Reasons, fmt.Sprintf(format, args...)) }

	// The level that must be met (hard) and the one that is wished for (soft).
	hard := 0 // rank on ACRLadder: 0 is the password level
	if in.Client.MinACR != "" {
		r := ACRRank(in.Client.MinACR)
		if r < 0 {
			because("client minimum acr %q is not on the ladder", in.Client.MinACR)
			return refuse(d, ErrUnmet)
		}
		hard = r
		because("client requires at least %s", in.Client.MinACR)
	}
	if len(in.Request.EssentialACR) > 0 {
		r := lowestKnown(in.Request.EssentialACR)
		if r < 0 {
			because("essential acr %v names no level we offer", in.Request.EssentialACR)
			return refuse(d, ErrUnmet)
		}
		hard = max(hard, r)
		because("essential acr %v requires at least %s", in.Request.EssentialACR, ACRLadder[r])
	}
	// A user who set up a second factor uses it at every sign-in: it would not
	// protect the account if a password-only request could skip it.
	if in.UserKnown && len(in.SecondFactors) > 0 && hard < 1 {
		if in.Trusted == "" {
			hard = 1
			because("the user has a second factor, so every sign-in needs it")
		} else {
			because("the user's second factor is not asked for on %s", in.Trusted)
		}
	}
	has2FA := len(in.SecondFactors) > 0
	// An organisation's rule, once the grace period is over, is like a client's
	// minimum: no token at the password level until a second factor is set up.
	if in.UserKnown && !has2FA && in.Company.Covered && hard < 1 {
		if !in.Now.Before(in.Company.Deadline) {
			hard, d.ByOrganisation = 1, true
			because("the organisation requires a second factor and the grace period ended at %s", in.Company.Deadline.UTC().Format(time.RFC3339))
		} else {
			because("the organisation requires a second factor from %s", in.Company.Deadline.UTC().Format(time.RFC3339))
		}
	}
	wished := in.Request.ACRValues
	if len(wished) == 0 && len(in.Request.EssentialACR) == 0 {
		wished = in.Client.DefaultACRValues
	}
	soft := hard
	if r := firstKnown(wished); r > soft {
		soft = r
		because("acr_values ask for %s", ACRLadder[r])
	}

	// Which proofs still count: prompt=login and max_age=0 want proofs from this
	// request; max_age and the client's maximum age bound how old a proof may be.
	since := time.Time{}
	switch {
	case in.Request.PromptLogin:
		since = in.RequestedAt
		because("prompt=login: only proofs from this request count")
	case in.Request.MaxAge != nil && *in.Request.MaxAge == 0:
		since = in.RequestedAt
		because("max_age=0: only proofs from this request count")
	}
	if age, ok := maxAge(in); ok {
		if t := in.Now.Add(-age); t.After(since) {
			since = t
		}
		because("proofs must be at most %s old", age)
	}
	var counted []storage.FactorProof
	for _, p := range append(slices.Clone(in.Session), in.Flow...) {
		if !p.At.Before(since) {
			counted = append(counted, p)
		}
	}
	d.Proofs = MergeProofs(counted)

	// A level the user cannot reach: refuse (hard) or aim lower (soft). An unknown
	// user might reach anything: that is known after the password.
	hasPhishingResistant := slices.Contains(in.SecondFactors, SecondFactorWebAuthn)
	canReach := func(rank int) bool {
		switch rank {
		case 0:
			return true
		case 1:
			return has2FA || !in.UserKnown
		default:
			return hasPhishingResistant || !in.UserKnown
		}
	}
	target := soft
	for target > hard && !canReach(target) {
		target--
	}
	if target != soft {
		because("this user cannot reach %s; aiming for %s", ACRLadder[soft], ACRLadder[target])
	}
	d.Level = ACRLadder[target]

	// Who the user is: a password, or a passkey that verified the user (a
	// phishing-resistant key with user verification is two factors by itself).
	needPwd := !HasMethod(d.Proofs, "pwd") && !(hasAnyMethod(d.Proofs, phishingResistant) && HasMethod(d.Proofs, "user"))
	need2FA := target >= 1 && !hasAnyMethod(d.Proofs, secondFactorMethods) ||
		target >= 2 && !hasAnyMethod(d.Proofs, phishingResistant)
	if needPwd {
		d.Prove = append(d.Prove, NeedPassword)
	}
	if need2FA {
		d.Prove = append(d.Prove, NeedSecondFactor)
	}

	switch {
	case len(d.Prove) == 0:
		if offer := offerSetUp(in, soft > target && !has2FA); offer != "" {
			d.Outcome, d.Offer = Offer, offer
			because("offer to set up a second factor (%s); proven: %v", offer, AMR(d.Proofs))
			return d
		}
		d.Outcome = Done
		because("proven: %v", AMR(d.Proofs))
		return d
	case in.Request.PromptNone:
		because("prompt=none but %v must be proven", d.Prove)
		if needPwd {
			return refuse(d, ErrLoginRequired)
		}
		return refuse(d, ErrInteractionRequired)
	case need2FA && in.UserKnown && target >= 2 && !hasPhishingResistant:
		because("%s needs a security key or passkey, and the user has none", ACRLadder[target])
		return refuse(d, ErrUnmet)
	case need2FA && in.UserKnown && !has2FA:
		if !in.EnrolOnSpot {
			because("no second factor enrolled and enrolment during sign-in is off")
			return refuse(d, ErrUnmet)
		}
		if needPwd {
			d.Outcome = Prove
			d.Prove = []string{NeedPassword}
			because("password first, then enrolment of a second factor")
			return d
		}
		d.Outcome = Enrol
		because("no second factor enrolled: enrol one now")
		return d
	}
	d.Outcome = Prove
	because("missing %v", d.Prove)
	return d
}

// offerSetUp says why a user who has proven what the request needs is asked to
// set up a second factor first ("" for no offer): a reset of two-step
// verification in this sign-in (the reset page promises the set-up right after),
// the organisation's rule before its deadline or a first sign-in (both at a
// password entered now, not on every app's single sign-on), or an app that wished
// for more than the user has. Never under prompt=none, never twice in a sign-in,
// and only where a sign-in may enrol.
func offerSetUp(in PolicyInput, appWantsMore bool) string {
	if !in.UserKnown || len(in.SecondFactors) > 0 || in.Declined || in.Request.PromptNone || !in.EnrolOnSpot {
		return ""
	}
	atPassword := HasMethod(in.Flow, "pwd")
	switch {
	case in.AfterReset:
		return OfferReset
	case in.Company.Covered && atPassword:
		return OfferCompany
	case appWantsMore:
		return OfferApp
	case in.Company.FirstSignIn && atPassword:
		return OfferFirst
	}
	return ""
}

func refuse(d Decision, code string) Decision {
	d.Outcome, d.Error, d.Prove, d.Proofs = Refuse, code, nil, nil
	return d
}

// maxAge is the tighter of max_age and the client's maximum authentication age.
func maxAge(in PolicyInput) (time.Duration, bool) {
	age, ok := time.Duration(0), false
	if in.Request.MaxAge != nil && *in.Request.MaxAge > 0 {
		age, ok = *in.Request.MaxAge, true
	}
	if c := in.Client.MaxAuthAge; c > 0 && (!ok || c < age) {
		age, ok = c, true
	}
	return age, ok
}

func lowestKnown(values []string) int {
	low := -1
	for _, v := range values {
		if r := ACRRank(v); r >= 0 && (low < 0 || r < low) {
			low = r
		}
	}
	return low
}

func firstKnown(values []string) int {
	for _, v := range values {
		if r := ACRRank(v); r >= 0 {
			return r
		}
	}
	return -1
}

func HasMethod(proofs []storage.FactorProof, m string) bool {
	return slices.ContainsFunc(proofs, func(p storage.FactorProof) bool { return p.Method == m })
}

func hasAnyMethod(proofs []storage.FactorProof, ms []string) bool {
	return slices.ContainsFunc(proofs, func(p storage.FactorProof) bool { return slices.Contains(ms, p.Method) })
}

// AuthTime is when the user last proved who they are: the latest password, or for
// a passkey sign-in without one, the latest user verification (zero when none).
// A second factor added later (step-up) does not move it.
func AuthTime(proofs []storage.FactorProof) time.Time {
	latest := func(m string) time.Time {
		var t time.Time
		for _, p := range proofs {
			if p.Method == m && p.At.After(t) {
				t = p.At
			}
		}
		return t
	}
	if t := latest("pwd"); !t.IsZero() {
		return t
	}
	return latest("user")
}

// MergeProofs keeps the latest proof of each method, ordered by time.
// Proofs made at the same instant keep the order they were given in.
func MergeProofs(lists ...[]storage.FactorProof) []storage.FactorProof {
	var out []storage.FactorProof
	for _, l := range lists {
		for _, p := range l {
			i := slices.IndexFunc(out, func(q storage.FactorProof) bool { return q.Method == p.Method })
			switch {
			case i < 0:
				out = append(out, p)
			case p.At.After(out[i].At):
				out[i] = p
			}
		}
	}
	slices.SortStableFunc(out, func(a, b storage.FactorProof) int { return a.At.Compare(b.At) })
	return out
}

// CompanyRules are the organisations' rules as the policy needs them.
type CompanyRules interface {
	// RuleFor is what u's organisation asks of u now.
	RuleFor(ctx context.Context, u storage.User) (Company, error)
	// SetupOffered records that u answered the offer of a first sign-in, so that
	// it is made once.
	SetupOffered(ctx context.Context, userID string) error
}
