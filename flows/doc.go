// Package flows runs the browser-facing login journey, independent of fosite.
//
// An authorization request that the SSO session cannot satisfy becomes a Flow record
// in storage, bound to the browser by a hash of a random browser id kept in the
// cookie. The response that starts a flow whose first step is the password is the
// password form itself (ShowStep), as with Keycloak; every other step, and the
// form again, is a page of its own (/login?flow=…), reached by a redirect. The
// user works through the steps the policy (Decide) asks for: password,
// second factor, enrolment, new-device confirmation, consent. Each step records what
// it proved on the flow with a version-checked update and asks the policy again.
// When nothing is left in the request that proved the last factor, the flow goes
// straight to the provider (Service.Finish), which replays the stored request
// through fosite, asks for consent if needed and spends the flow exactly once; a
// flow that comes back later (after consent) goes through the provider's resume
// endpoint, which asks the policy once more.
//
// The flow moves through these states (State):
//
//	login ──password──▶ (second_factor | enrol ──▶ recovery_codes)* ──▶ (confirm_device)
//	      ──▶ authenticated ──(consent needed)──▶ consent ──allow──▶ ready ──▶ done
//	                 │                                └──deny──▶ denied ──▶ done
//	                 └──(no consent needed)──────────────────────────────▶ done
//
// The SSO session lives in storage; the cookie (gorilla/sessions, signed and
// encrypted) holds only the opaque session token and the browser id. The store keys
// the session by a hash of the token, so a copy of the database cannot be replayed
// as a cookie. A second, long-lived cookie holds a random device token; it means
// something only through server-side storage.Trust records (remembered devices,
// browsers confirmed by email), keyed by a hash of kind, user and token, so deleting
// the record revokes it.
//
// Codes sent by SMS or email (factor.Codes) are keyed by purpose and flow id, so a
// code works only in the sign-in that asked for it. Audit events of a request are
// buffered (WithAuditBuffer) and written in one round trip when it ends.
package flows
