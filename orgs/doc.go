// Package orgs is the domain layer for organisations and their security policy
// (ADM-1): what the CLI, the admin API and the console call to create an
// organisation, add and rename its groups, set its policy and put users in it.
//
// Every change runs the same way: read what it refers to, validate the request
// with messages an admin can act on, then make one store call that carries the
// change's audit event, so the change and its record commit together. Refused
// requests never reach the store's writes; their errors match storage.ErrInvalid
// (bad input), storage.ErrNotFound (no such organisation or user) or
// storage.ErrAlreadyExists (a name in use), for callers to map to a status.
//
// The rules:
//
//   - A new organisation has the groups administrators, company-users, owners and
//     suppliers, and a low level whose policy names every group, with a grace
//     period of DefaultGraceDays; admins may add groups and rename them.
//   - Organisation ids and group names are 1 to 64 lower-case letters, digits and
//     '-'; a name is required and at most MaxNameLen characters.
//   - A user is in at most one organisation and in one or more of its groups. A
//     user in none is governed by the server-wide settings.
//   - The policy's level is low (a second factor is optional) or high (required
//     of covered users); a user is covered when the level is high and they are in
//     a covered group (Covered). The grace period is 0 to MaxGraceDays days.
//   - A covered user's deadline to set up a second factor (User.MFADeadline) is
//     fixed when the policy starts to cover them, as that moment plus the grace
//     period, and kept by the store with every change (storage.OrgStore states
//     the rule); the sign-in reads it and never recomputes it.
//
// Audit events name the actor (e.g. "cli", "user:<id>" or "client:<id>") and hold the
// value before and after in Detail["old"] and Detail["new"] ("" for none), with
// the organisation concerned in Detail["org"]: EventCreated, EventRenamed, EventGroupAdded,
// EventGroupRenamed, EventPolicyChanged, and EventUserOrgChanged (whose UserID is
// the user moved).
package orgs
