// Package flows is the shared core of the browser-facing sign-in, independent of
// fosite: the sign-in state machine, the policy, SSO sessions and their cookies,
// trust records, audit and notifications. The pages live in the journey packages
// that embed Core: signin (password, passkey, second factor, new-device
// confirmation, reset), enrol (setting up a second factor during a sign-in),
// consent, and account (the account's security pages).
//
// An authorization request that the SSO session cannot satisfy becomes a Flow
// record in storage, bound to the browser by a hash of a random browser id kept in
// the cookie. Only state.go changes a flow's state (Flow.MoveTo), against a table
// of allowed moves per Kind; storage keeps the state as a plain string.
//
// KindAuthorize (an authorization request); Next decides after every step:
//
//	login ─▶ second_factor ─▶ protect ─▶ enrol ─▶ recovery_codes ─▶ confirm_device ─▶ authenticated
//	  (a step may go to any step Next names; protect — "Protect your account" — to
//	   enrol on "Set it up now" or on with "Later"; enrol also to recovery_codes;
//	   confirm_device also to device_confirmed, which goes on like a step)
//
//	authenticated ─(consent known)────────────────────────────────▶ done: code issued,
//	authenticated ─(consent missing)─▶ consent ─allow─▶ ready ─┐          flow spent in
//	                                          └─deny──▶ denied ─┤          the same commit
//	                                  resume: Next asks again ◀─┘─────────▶ done
//	any step ─(Next refuses)──────────────────────────────────────▶ done: error for the client
//
// A flow starts at login, second_factor, protect or enrol, or at consent when the session
// met the request but the user has not allowed the client yet.
//
// KindAccount (the account page's re-verification): login ⇄ second_factor ─▶
// done, back on the account page with a fresh session.
//
// Where a request goes: a step handler (a StepFunc of a journey) loads its flow
// (FlowAt refuses a flow in another state by sending the browser where it
// stands), proves something, and calls Proceed, which asks the policy (Next; the
// only place that calls Decide) and answers with a Result: a redirect to the next
// step's page, or Finished. The provider (idp) turns Finished into consent or the
// authorization code in one place (complete); nothing in this package calls back
// into the provider.
//
// What a step read about its user (storage.LoginStore.LookupLogin: the user, their
// factors, their consent) travels as a *Reads value through Proceed, Next and
// Finished, so a sign-in request reads each of them once. The password and
// second-factor steps read it with their flow in one round trip (StepAt), the
// code post with the user's authenticator apps too.
//
// The SSO session lives in storage; the cookie (gorilla/sessions, signed and
// encrypted) holds only the opaque session token and the browser id. The store keys
// the session by a hash of the token, so a copy of the database cannot be replayed
// as a cookie. A second, long-lived cookie holds a random device token; it means
// something only through server-side storage.Trust records (remembered devices,
// browsers confirmed by email), keyed by a hash of kind, user and token, so deleting
// the record revokes it.
//
// A new page is declared once: as a Route in its journey's Routes, with its path
// constant beside it; a route with States is the page of flows in those states.
// Codes sent by SMS or email (factor.Codes) are keyed by purpose and flow id, so a
// code works only in the sign-in that asked for it. Audit events of a request are
// buffered (WithAuditBuffer) and written in one round trip when it ends.
package flows
