package flows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	reqAt := now.Add(-30 * time.Second)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	dur := func(d time.Duration) *time.Duration { return &d }
	proof := func(m string, at time.Time) storage.FactorProof { return storage.FactorProof{Method: m, At: at} }
	pwdOld := []storage.FactorProof{proof("pwd", ago(2*time.Hour))}
	pwdFresh := []storage.FactorProof{proof("pwd", ago(time.Minute))}
	mfaFresh := []storage.FactorProof{proof("pwd", ago(time.Minute)), proof("otp", ago(50*time.Second))}
	mfaOldOTP := []storage.FactorProof{proof("pwd", ago(time.Minute)), proof("otp", ago(3*time.Hour))}
	flowPwd := []storage.FactorProof{proof("pwd", now)}
	flowOTP := []storage.FactorProof{proof("otp", now)}
	otp := []string{"otp"}

	type want struct {
		outcome Outcome
		prove   []string
		level   string
		err     string
		amr     []string
	}
	tests := []struct {
		name string
		in   PolicyInput
		want want
	}{
		// Plain sign-in.
		{"no session: password", PolicyInput{}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},
		{"fresh session: done", PolicyInput{UserKnown: true, Session: pwdFresh}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"password proven in flow: done", PolicyInput{UserKnown: true, Flow: flowPwd}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"mfa session reports mfa without asking", PolicyInput{UserKnown: true, SecondFactors: otp, Session: mfaFresh}, want{Done, nil, ACRMultiFactor, "", []string{"pwd", "otp", "mfa"}}},
		{"a user with an app is asked for it on a plain sign-in", PolicyInput{UserKnown: true, SecondFactors: otp, Flow: flowPwd}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"a password session of a user who enrolled since: the code", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		// Remembered devices and trusted addresses (MFA-7, MFA-8) waive only the user's own rule.
		{"remembered device: password only, said so", PolicyInput{UserKnown: true, SecondFactors: otp, Flow: flowPwd, Trusted: "a remembered device"}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"remembered device, prompt=none on a password session", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Trusted: "a remembered device", Request: AuthRequest{PromptNone: true}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"remembered device, acr_values mfa: a fresh code", PolicyInput{UserKnown: true, SecondFactors: otp, Flow: flowPwd, Trusted: "a remembered device", Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"trusted address, client minimum mfa: a fresh code", PolicyInput{UserKnown: true, SecondFactors: otp, Flow: flowPwd, Trusted: "a trusted address", Client: ClientPolicy{MinACR: ACRMultiFactor}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"trusted address, essential mfa, prompt=none: interaction", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Trusted: "a trusted address", Request: AuthRequest{PromptNone: true, EssentialACR: []string{ACRMultiFactor}}}, want{Refuse, nil, ACRMultiFactor, ErrInteractionRequired, nil}},
		{"remembered device does not stand in for the password", PolicyInput{UserKnown: true, SecondFactors: otp, Trusted: "a remembered device"}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},
		{"sms counts as a second factor", PolicyInput{UserKnown: true, SecondFactors: []string{"sms"}, Flow: []storage.FactorProof{proof("pwd", now), proof("sms", now)}}, want{Done, nil, ACRMultiFactor, "", []string{"pwd", "sms", "mfa"}}},
		{"no session, prompt=none", PolicyInput{Request: AuthRequest{PromptNone: true}}, want{Refuse, nil, ACRPassword, ErrLoginRequired, nil}},
		{"session, prompt=none: done", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{PromptNone: true}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},

		// prompt=login and max_age.
		{"prompt=login ignores the session", PolicyInput{UserKnown: true, Session: mfaFresh, RequestedAt: reqAt, Request: AuthRequest{PromptLogin: true}}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},
		{"prompt=login satisfied by flow password", PolicyInput{UserKnown: true, Session: pwdFresh, Flow: flowPwd, RequestedAt: reqAt, Request: AuthRequest{PromptLogin: true}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"prompt=login at mfa asks both again", PolicyInput{UserKnown: true, SecondFactors: otp, Session: mfaFresh, RequestedAt: reqAt, Request: AuthRequest{PromptLogin: true, ACRValues: []string{ACRMultiFactor}}}, want{Prove, []string{"pwd", "2fa"}, ACRMultiFactor, "", nil}},
		{"prompt=login at mfa, password done, code next", PolicyInput{UserKnown: true, SecondFactors: otp, Session: mfaFresh, Flow: flowPwd, RequestedAt: reqAt, Request: AuthRequest{PromptLogin: true, ACRValues: []string{ACRMultiFactor}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"max_age=0 like prompt=login", PolicyInput{UserKnown: true, Session: pwdFresh, RequestedAt: reqAt, Request: AuthRequest{MaxAge: dur(0)}}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},
		{"max_age within", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{MaxAge: dur(time.Hour)}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"max_age exceeded", PolicyInput{UserKnown: true, Session: pwdOld, Request: AuthRequest{MaxAge: dur(time.Hour)}}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},
		{"max_age exceeded, prompt=none", PolicyInput{UserKnown: true, Session: pwdOld, Request: AuthRequest{MaxAge: dur(time.Hour), PromptNone: true}}, want{Refuse, nil, ACRPassword, ErrLoginRequired, nil}},
		{"max_age drops an old code: asked again", PolicyInput{UserKnown: true, SecondFactors: otp, Session: mfaOldOTP, Request: AuthRequest{MaxAge: dur(time.Hour)}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"max_age drops an old code from amr (user without factors now)", PolicyInput{UserKnown: true, Session: mfaOldOTP, Request: AuthRequest{MaxAge: dur(time.Hour)}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"max_age at mfa with an old code asks the code", PolicyInput{UserKnown: true, SecondFactors: otp, Session: mfaOldOTP, Request: AuthRequest{MaxAge: dur(time.Hour), ACRValues: []string{ACRMultiFactor}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"client max age exceeded", PolicyInput{UserKnown: true, Session: pwdOld, Client: ClientPolicy{MaxAuthAge: time.Hour}}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},
		{"client max age tighter than max_age", PolicyInput{UserKnown: true, Session: []storage.FactorProof{proof("pwd", ago(30*time.Minute))}, Client: ClientPolicy{MaxAuthAge: 10 * time.Minute}, Request: AuthRequest{MaxAge: dur(time.Hour)}}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},

		// Step-up.
		{"pwd session asked for mfa proves the code alone", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"step-up done after the code", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Flow: flowOTP, Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Done, nil, ACRMultiFactor, "", []string{"pwd", "otp", "mfa"}}},
		{"step-up with prompt=none", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Request: AuthRequest{ACRValues: []string{ACRMultiFactor}, PromptNone: true}}, want{Refuse, nil, ACRMultiFactor, ErrInteractionRequired, nil}},
		{"no session asked for mfa: password then code", PolicyInput{Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Prove, []string{"pwd", "2fa"}, ACRMultiFactor, "", nil}},
		{"essential mfa, pwd session", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Request: AuthRequest{EssentialACR: []string{ACRMultiFactor}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"client minimum mfa", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Client: ClientPolicy{MinACR: ACRMultiFactor}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"client default acr used without acr_values", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Client: ClientPolicy{DefaultACRValues: []string{ACRMultiFactor}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"request acr_values override the client default", PolicyInput{UserKnown: true, Session: pwdFresh, Client: ClientPolicy{DefaultACRValues: []string{ACRMultiFactor}}, Request: AuthRequest{ACRValues: []string{ACRPassword}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"acr_values cannot lower a user's own second factor", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Request: AuthRequest{ACRValues: []string{ACRPassword}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},

		// Users without a second factor.
		{"wish for mfa without 2fa: password level", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"essential mfa without 2fa, enrolment on", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, Request: AuthRequest{EssentialACR: []string{ACRMultiFactor}}}, want{Enrol, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"essential mfa without 2fa, enrolment off", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{EssentialACR: []string{ACRMultiFactor}}}, want{Refuse, nil, ACRMultiFactor, ErrUnmet, nil}},
		{"client minimum without 2fa, enrolment on, no password yet", PolicyInput{UserKnown: true, Session: pwdOld, EnrolOnSpot: true, Client: ClientPolicy{MinACR: ACRMultiFactor, MaxAuthAge: time.Hour}}, want{Prove, []string{"pwd"}, ACRMultiFactor, "", nil}},
		{"enrolled during the flow: done", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Flow: flowOTP, EnrolOnSpot: true, Request: AuthRequest{EssentialACR: []string{ACRMultiFactor}}}, want{Done, nil, ACRMultiFactor, "", []string{"pwd", "otp", "mfa"}}},
		{"essential mfa, unknown user: password first", PolicyInput{Request: AuthRequest{EssentialACR: []string{ACRMultiFactor}}}, want{Prove, []string{"pwd", "2fa"}, ACRMultiFactor, "", nil}},

		// An organisation's rule (FLOW-3, FLOW-5) and the set-up offers.
		{"covered before the deadline: offered after the password", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, Company: Company{Covered: true, Deadline: now.Add(72 * time.Hour)}}, want{Offer, nil, ACRPassword, "", nil}},
		{"covered before the deadline, later: password level", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, Declined: true, Company: Company{Covered: true, Deadline: now.Add(72 * time.Hour)}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"covered before the deadline, single sign-on: no interrupt", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, Company: Company{Covered: true, Deadline: now.Add(72 * time.Hour)}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"covered after the deadline: must enrol", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, Declined: true, Company: Company{Covered: true, Deadline: now.Add(-time.Hour)}}, want{Enrol, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"covered, deadline reached exactly: must enrol", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, Company: Company{Covered: true, Deadline: now}}, want{Enrol, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"covered after the deadline, prompt=none: interaction", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, Request: AuthRequest{PromptNone: true}, Company: Company{Covered: true, Deadline: now.Add(-time.Hour)}}, want{Refuse, nil, ACRMultiFactor, ErrInteractionRequired, nil}},
		{"covered after the deadline, enrolment off: unmet", PolicyInput{UserKnown: true, Flow: flowPwd, Company: Company{Covered: true, Deadline: now.Add(-time.Hour)}}, want{Refuse, nil, ACRMultiFactor, ErrUnmet, nil}},
		{"level raised mid-session: the session's next app must enrol", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, Company: Company{Covered: true, Deadline: now.Add(-time.Minute)}}, want{Enrol, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"covered user with an app: the code, as always", PolicyInput{UserKnown: true, SecondFactors: otp, Flow: flowPwd, EnrolOnSpot: true, Company: Company{Covered: true, Deadline: now.Add(-time.Hour)}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"moved out of the covered group: nothing asked", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"first sign-in at level low: offered once", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, Company: Company{FirstSignIn: true}}, want{Offer, nil, ACRPassword, "", nil}},
		{"first sign-in at level low, later", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, Declined: true, Company: Company{FirstSignIn: true}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"an app wishes for mfa, the user has none: offered", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Offer, nil, ACRPassword, "", nil}},
		{"an app wishes for mfa, not now: password level, said so", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, Declined: true, Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"an app wishes for mfa, prompt=none: password level", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, Request: AuthRequest{PromptNone: true, ACRValues: []string{ACRMultiFactor}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"a client default wish counts like acr_values", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, Client: ClientPolicy{DefaultACRValues: []string{ACRMultiFactor}}}, want{Offer, nil, ACRPassword, "", nil}},
		{"after a reset: offered", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, AfterReset: true}, want{Offer, nil, ACRPassword, "", nil}},
		{"after a reset, later: password level", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, AfterReset: true, Declined: true}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"after a reset, the client requires mfa: must enrol", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, AfterReset: true, Declined: true, Client: ClientPolicy{MinACR: ACRMultiFactor}}, want{Enrol, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"after a reset, the organisation's deadline passed: must enrol", PolicyInput{UserKnown: true, Flow: flowPwd, EnrolOnSpot: true, AfterReset: true, Company: Company{Covered: true, Deadline: now.Add(-time.Hour)}}, want{Enrol, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"after a reset, enrolment off: password level", PolicyInput{UserKnown: true, Flow: flowPwd, AfterReset: true}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"after a reset, prompt=none: no offer", PolicyInput{UserKnown: true, Session: pwdFresh, EnrolOnSpot: true, AfterReset: true, Request: AuthRequest{PromptNone: true}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},

		// Levels we cannot give.
		{"unknown acr_values are ignored", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{ACRValues: []string{"urn:example:gold"}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"first known acr_value wins", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Request: AuthRequest{ACRValues: []string{"urn:example:gold", ACRMultiFactor, ACRPassword}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		{"unknown essential acr", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{EssentialACR: []string{"urn:example:gold"}}}, want{Refuse, nil, "", ErrUnmet, nil}},
		{"essential: lowest known of several", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{EssentialACR: []string{ACRMultiFactor, ACRPassword}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"essential phishing-resistant", PolicyInput{UserKnown: true, SecondFactors: otp, Session: mfaFresh, Request: AuthRequest{EssentialACR: []string{ACRPhishingResistant}}}, want{Refuse, nil, ACRPhishingResistant, ErrUnmet, nil}},
		{"wish for phishing-resistant falls back to mfa", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Request: AuthRequest{ACRValues: []string{ACRPhishingResistant}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
		// The phishing-resistant level (WebAuthn).
		{"essential phr, user with a security key: prove it", PolicyInput{UserKnown: true, SecondFactors: []string{"otp", SecondFactorWebAuthn}, Session: mfaFresh, Request: AuthRequest{EssentialACR: []string{ACRPhishingResistant}}}, want{Prove, []string{"2fa"}, ACRPhishingResistant, "", nil}},
		{"essential phr met by password and key", PolicyInput{UserKnown: true, SecondFactors: []string{SecondFactorWebAuthn}, Session: pwdFresh, Flow: []storage.FactorProof{proof("hwk", now), proof("user", now)}, Request: AuthRequest{EssentialACR: []string{ACRPhishingResistant}}}, want{Done, nil, ACRPhishingResistant, "", []string{"pwd", "hwk", "user", "mfa"}}},
		{"a key also meets multi-factor", PolicyInput{UserKnown: true, SecondFactors: []string{SecondFactorWebAuthn}, Session: pwdFresh, Flow: []storage.FactorProof{proof("swk", now)}, Request: AuthRequest{ACRValues: []string{ACRMultiFactor}}}, want{Done, nil, ACRMultiFactor, "", []string{"pwd", "swk", "mfa"}}},
		{"essential phr, unknown user: password first", PolicyInput{Request: AuthRequest{EssentialACR: []string{ACRPhishingResistant}}}, want{Prove, []string{"pwd", "2fa"}, ACRPhishingResistant, "", nil}},
		{"client minimum phr, app code only", PolicyInput{UserKnown: true, SecondFactors: []string{"otp"}, Session: mfaFresh, EnrolOnSpot: true, Client: ClientPolicy{MinACR: ACRPhishingResistant}}, want{Refuse, nil, ACRPhishingResistant, ErrUnmet, nil}},
		{"passkey alone meets every level", PolicyInput{UserKnown: true, SecondFactors: []string{SecondFactorWebAuthn}, Flow: []storage.FactorProof{proof("swk", now), proof("user", now)}, Request: AuthRequest{EssentialACR: []string{ACRPhishingResistant}}}, want{Done, nil, ACRPhishingResistant, "", []string{"swk", "user", "mfa"}}},
		{"a key without user verification is no password", PolicyInput{UserKnown: true, SecondFactors: []string{SecondFactorWebAuthn}, Flow: []storage.FactorProof{proof("hwk", now)}}, want{Prove, []string{"pwd"}, ACRMultiFactor, "", nil}},
		{"passkey session and prompt=login: sign in again", PolicyInput{UserKnown: true, SecondFactors: []string{SecondFactorWebAuthn}, Session: []storage.FactorProof{proof("swk", ago(time.Minute)), proof("user", ago(time.Minute))}, RequestedAt: reqAt, Request: AuthRequest{PromptLogin: true}}, want{Prove, []string{"pwd", "2fa"}, ACRMultiFactor, "", nil}},
		{"bad client minimum refuses", PolicyInput{UserKnown: true, Session: pwdFresh, Client: ClientPolicy{MinACR: "urn:example:x"}}, want{Refuse, nil, "", ErrUnmet, nil}},
		// The password level named explicitly (rank 0 is a level, not "unknown").
		{"client minimum at the password level", PolicyInput{UserKnown: true, Session: pwdFresh, Client: ClientPolicy{MinACR: ACRPassword}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"essential password level", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{EssentialACR: []string{ACRPassword}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"essential: lowest known, lowest first", PolicyInput{UserKnown: true, Session: pwdFresh, Request: AuthRequest{EssentialACR: []string{ACRPassword, ACRMultiFactor}}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"first known acr_value is the password level", PolicyInput{Request: AuthRequest{ACRValues: []string{ACRPassword, ACRMultiFactor}}}, want{Prove, []string{"pwd"}, ACRPassword, "", nil}},
		{"max_age=0: a password entered since the request counts", PolicyInput{UserKnown: true, Session: pwdFresh, Flow: []storage.FactorProof{proof("pwd", reqAt.Add(10*time.Second))}, RequestedAt: reqAt, Request: AuthRequest{MaxAge: dur(0)}}, want{Done, nil, ACRPassword, "", []string{"pwd"}}},
		{"essential below client minimum: minimum wins", PolicyInput{UserKnown: true, SecondFactors: otp, Session: pwdFresh, Client: ClientPolicy{MinACR: ACRMultiFactor}, Request: AuthRequest{EssentialACR: []string{ACRPassword}}}, want{Prove, []string{"2fa"}, ACRMultiFactor, "", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Now = now
			if in.RequestedAt.IsZero() {
				in.RequestedAt = now
			}
			d := Decide(in)
			reasons := strings.Join(d.Reasons, "; ")
			if d.Outcome != tt.want.outcome || !slices.Equal(d.Prove, tt.want.prove) || d.Level != tt.want.level || d.Error != tt.want.err {
				t.Fatalf("Decide = %v prove=%v level=%q err=%q (%s); want %v prove=%v level=%q err=%q",
					d.Outcome, d.Prove, d.Level, d.Error, reasons, tt.want.outcome, tt.want.prove, tt.want.level, tt.want.err)
			}
			if (d.Offer != "") != (d.Outcome == Offer) {
				t.Fatalf("outcome %v with offer %q", d.Outcome, d.Offer)
			}
			if d.Outcome == Done && !slices.Equal(AMR(d.Proofs), tt.want.amr) {
				t.Fatalf("amr = %v, want %v (%s)", AMR(d.Proofs), tt.want.amr, reasons)
			}
			if len(d.Reasons) == 0 {
				t.Fatal("no reasons given")
			}
		})
	}
}

func TestAMRAndACR(t *testing.T) {
	at := time.Unix(0, 0)
	p := func(ms ...string) []storage.FactorProof {
		var out []storage.FactorProof
		for _, m := range ms {
			out = append(out, storage.FactorProof{Method: m, At: at})
		}
		return out
	}
	tests := []struct {
		proofs  []storage.FactorProof
		wantAMR []string
		wantACR string
	}{
		{nil, nil, ""},
		{p("pwd"), []string{"pwd"}, ACRPassword},
		{p("pwd", "pwd"), []string{"pwd"}, ACRPassword},
		{p("pwd", "otp"), []string{"pwd", "otp", "mfa"}, ACRMultiFactor},
		{p("pwd", "hwk"), []string{"pwd", "hwk", "mfa"}, ACRPhishingResistant},
	}
	for _, tt := range tests {
		if amr := AMR(tt.proofs); !slices.Equal(amr, tt.wantAMR) {
			t.Fatalf("AMR(%v) = %v, want %v", tt.proofs, amr, tt.wantAMR)
		}
		if got := ACR(tt.proofs); got != tt.wantACR {
			t.Fatalf("ACR(%v) = %q, want %q", tt.proofs, got, tt.wantACR)
		}
	}
}

func TestMergeProofsKeepsLatest(t *testing.T) {
	t0 := time.Unix(100, 0)
	got := MergeProofs(
		[]storage.FactorProof{{Method: "pwd", At: t0}, {Method: "otp", At: t0.Add(time.Second)}},
		[]storage.FactorProof{{Method: "pwd", At: t0.Add(time.Minute)}},
	)
	if len(got) != 2 || got[0].Method != "otp" || got[1].Method != "pwd" || !got[1].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("MergeProofs = %v", got)
	}
	if AuthTime(got) != t0.Add(time.Minute) {
		t.Fatalf("AuthTime = %v", AuthTime(got))
	}
	// Without a password, a passkey's user verification is the authentication.
	passkey := []storage.FactorProof{{Method: "swk", At: t0}, {Method: "user", At: t0}}
	if AuthTime(passkey) != t0 {
		t.Fatalf("AuthTime(passkey) = %v", AuthTime(passkey))
	}
	// A key with user verification after the password does not move auth_time.
	stepUp := []storage.FactorProof{{Method: "pwd", At: t0}, {Method: "hwk", At: t0.Add(time.Hour)}, {Method: "user", At: t0.Add(time.Hour)}}
	if AuthTime(stepUp) != t0 {
		t.Fatalf("AuthTime(step-up) = %v", AuthTime(stepUp))
	}
}

// TestByOrganisation checks when the organisation's rule is the reason a second
// factor is required (the "Protect your account" page then says so): only once
// its grace period is over, and not when the client asks for one anyway.
func TestByOrganisation(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	covered := Company{Covered: true, Deadline: now.Add(-time.Hour)}
	for _, tt := range []struct {
		name string
		in   PolicyInput
		want bool
	}{
		{"grace period over", PolicyInput{Company: covered}, true},
		{"before the deadline", PolicyInput{Company: Company{Covered: true, Deadline: now.Add(time.Hour)}, Declined: true}, false},
		{"the client requires a second factor anyway", PolicyInput{Company: covered, Client: ClientPolicy{MinACR: ACRMultiFactor}}, false},
		{"essential mfa anyway", PolicyInput{Company: covered, Request: AuthRequest{EssentialACR: []string{ACRMultiFactor}}}, false},
		{"not covered", PolicyInput{}, false},
	} {
		in := tt.in
		in.UserKnown, in.EnrolOnSpot, in.Now, in.RequestedAt = true, true, now, now
		in.Flow = []storage.FactorProof{{Method: "pwd", At: now}}
		if d := Decide(in); d.ByOrganisation != tt.want {
			t.Errorf("%s: ByOrganisation = %v, want %v (%v)", tt.name, d.ByOrganisation, tt.want, d.Reasons)
		}
	}
}

// TestOfferReasons checks why the set-up is offered, which the interrupt page says.
func TestOfferReasons(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	pwd := []storage.FactorProof{{Method: "pwd", At: now}}
	mfa := AuthRequest{ACRValues: []string{ACRMultiFactor}}
	for _, tt := range []struct {
		name string
		in   PolicyInput
		want string
	}{
		{"company before its deadline", PolicyInput{Company: Company{Covered: true, Deadline: now.Add(time.Hour)}}, OfferCompany},
		{"company wins over an app's wish", PolicyInput{Request: mfa, Company: Company{Covered: true, Deadline: now.Add(time.Hour)}}, OfferCompany},
		{"an app's wish", PolicyInput{Request: mfa}, OfferApp},
		{"an app's wish wins over a first sign-in", PolicyInput{Request: mfa, Company: Company{FirstSignIn: true}}, OfferApp},
		{"a first sign-in", PolicyInput{Company: Company{FirstSignIn: true}}, OfferFirst},
		{"a reset in this sign-in", PolicyInput{AfterReset: true}, OfferReset},
		{"a reset wins over the company and an app", PolicyInput{AfterReset: true, Request: mfa, Company: Company{Covered: true, Deadline: now.Add(time.Hour)}}, OfferReset},
	} {
		in := tt.in
		in.UserKnown, in.Flow, in.EnrolOnSpot, in.Now, in.RequestedAt = true, pwd, true, now, now
		if d := Decide(in); d.Outcome != Offer || d.Offer != tt.want {
			t.Errorf("%s: %v offer %q, want offer %q (%v)", tt.name, d.Outcome, d.Offer, tt.want, d.Reasons)
		}
	}
}
