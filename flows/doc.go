// Package flows runs the browser-facing login journey, independent of fosite.
//
// An authorization request that the SSO session cannot satisfy becomes a Flow record
// in storage, bound to the browser by a hash of a random browser id kept in the
// cookie. The user works through the steps (password, then consent), each step
// records what it proved on the flow with a version-checked update, and when nothing
// is left the browser is sent to the provider's resume endpoint, which replays the
// stored request through fosite exactly once.
//
// The flow moves through these states (storage.FlowState):
//
//	login ──password──▶ authenticated ──(consent needed)──▶ consent ──allow──▶ ready ──▶ done
//	                         │                                  └──deny──▶ denied ──▶ done
//	                         └──(no consent needed)────────────────────────────────▶ done
//
// The SSO session lives in storage; the cookie (gorilla/sessions, signed and
// encrypted) holds only the opaque session token and the browser id. The store keys
// the session by a hash of the token, so a copy of the database cannot be replayed
// as a cookie.
package flows
