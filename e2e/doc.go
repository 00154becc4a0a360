// Package e2e holds Lockstep's end-to-end tests: a real HTTP server built exactly as
// `lockstep serve` builds it, on both storage backends, driven by real OIDC client
// libraries (go-oidc, x/oauth2) and by headless Chromium.
package e2e
