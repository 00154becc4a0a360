// Package console is the admin console at /admin: server-rendered pages in the
// hosted pages' style (templates.AdminRenderer) for the overview, users,
// organisations and their security level, clients and the audit log.
//
// An administrator signs in through Lockstep itself: admin (in auth.go) is the
// one place a request becomes an admin.Principal. Without a session, or with one
// below the configured acr (admin.min_acr, urn:lockstep:acr:mfa by default), the
// console starts the account pages' re-verification (a flows.KindAccount flow)
// that comes back to the page asked for; a user without an administrator role
// gets a "not an administrator" page. Changing an organisation's policy and
// resetting a user's two-step verification also need a second factor proven in
// the last flows.SudoWindow (fresh), asked for the same way.
//
// Every change goes through admin.Service, which enforces the principal's role
// and audits it; the pages are flows.Routes, so they share the hosted pages'
// CSRF protection, headers and error pages. No page has a script.
package console
