// Package signin holds the sign-in steps: the password form (served in the
// answer to /authorize itself when a sign-in starts there), the passkey sign-in,
// the second-factor challenge (app code, security key, text message, recovery
// code), the new-device confirmation by email (MFA-9) and the two-step
// verification reset (MFA-10). Each step proves something on the flow and hands
// it to flows.Core.Proceed, which asks the policy where it goes next.
//
// An unknown email, a disabled account's wrong password and a wrong password get
// the same message after the same amount of hashing. Every second-factor attempt
// is counted before it is checked (per user) and failures per address, so a
// burst of parallel guesses cannot pass the limit.
package signin
