// Package account holds the account's security pages (ACC-1…ACC-7):
// authenticator apps, security keys and passkeys, the phone, recovery codes,
// remembered devices, trusted addresses, sessions and the password. Every page
// first asks for a fresh re-verification (within flows.SudoWindow, with the
// factor the user has set up); without one it starts a flows.KindAccount flow,
// which runs through the sign-in steps and comes back here.
package account
