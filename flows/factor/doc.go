// Package factor holds the second factors, one file per factor. A factor knows how
// to enrol, challenge and verify; when a factor is asked for is the policy's
// business (package flows), not this package's. Each factor declares the small
// part of the storage interface it uses, and all state changes that must be
// atomic (advancing a TOTP step, consuming a recovery code) are single store calls.
//
// # amr values (RFC 8176)
//
// A proven factor is recorded with the amr value of its constant:
//
//   - AMRTOTP = "otp": a code from an authenticator app.
//   - AMRRecovery = "otp": a recovery code. This is a choice: RFC 8176 defines no
//     value for recovery codes, and a recovery code is a pre-issued one-time
//     password, which is what "otp" describes. So password + recovery code yields
//     "pwd otp mfa", the same level as password + app code (SPEC MFA-10 lets a
//     recovery code stand in for the lost app). The audit log, not amr, tells the
//     two apart.
//   - WebAuthn (security keys, platform authenticators, passkeys): Assertion.Method,
//     AMRHardwareKey = "hwk" or AMRSoftwareKey = "swk", plus AMRUser = "user" when
//     the authenticator verified the user (Assertion.UserVerified). Assertion.AMR
//     returns them; the caller adds them to the session (SPEC AAL-1).
//
// # Authenticator apps (TOTP, RFC 6238)
//
// Parameters are the ones every authenticator app supports: HMAC-SHA1, 6 digits,
// 30-second steps, and a fresh 20-byte (160-bit, RFC 4226 4 R6) secret per device.
// A code is accepted for the current step and one step either side (at most 30 s
// of clock skew, RFC 6238 5.2); codes from two or more steps away are refused.
//
// A code is exactly six ASCII digits once surrounding whitespace is trimmed. Inner
// spaces or hyphens, other lengths and non-ASCII digits (fullwidth, Arabic-Indic...)
// are malformed (ErrMalformedCode) and never reach the store.
//
// Replay rule (SPEC MFA-2): each device remembers the last step it accepted
// (storage.TOTPDevice.LastStep) and only accepts a code for a later step. The check
// and the update are one atomic store call (AdvanceTOTPStep), so of two concurrent
// requests with the same code exactly one succeeds. Confirming a new device records
// its step as well, so the code typed during enrolment cannot be replayed at
// sign-in. A correct code for a step that is not later is ErrCodeUsed.
//
// A device is created inactive by Begin and becomes active only through Confirm
// with one correct code (SPEC MFA-1); only active devices count at sign-in.
// Confirm can revoke every other device of the user in the same store transaction
// ("link a new device and invalidate the old ones").
//
// Secrets are sealed (AES-256-GCM, see NewAEADSealer) before they reach the store.
// The associated data names the device and its user, so a sealed secret copied to
// another device row does not open. The sealed payload also carries the account
// label shown at enrolment, so a pending enrolment can be shown again unchanged.
//
// # Recovery codes
//
// RecoveryCodeCount codes of the form "xxxxx-xxxxx", drawn uniformly from a
// 31-symbol alphabet without 0, o, 1, l and i, so 10·log2(31) ≈ 49.5 bits each.
// Users may type them in any case, with or without spaces and hyphens; nothing
// else is mapped. The store keeps only HMAC-SHA256(key, userID ":" code), in hex.
//
// Why a keyed HMAC and not argon2 as for passwords: a password is chosen by a
// person and has little entropy, so its hash must be slow to make offline guessing
// expensive. A recovery code is chosen by the server from about 2^49.5 values, and
// the HMAC key lives outside the database, so a stolen database alone allows no
// offline search at all; with the key too, each code still needs ~2^48.5 HMACs on
// average, per user (the user id is in the MAC input). Online guessing is bounded
// by the attempt throttling the caller applies (SPEC MFA-11), not by hashing
// cost. A deterministic hash also lets the store find and consume the code by its
// hash in one atomic call, instead of trying ten slow hashes per attempt.
//
// # WebAuthn (SPEC MFA-3)
//
// Built on github.com/go-webauthn/webauthn. Every ceremony has two halves: Begin*
// returns the JSON options for navigator.credentials.create/get and keeps the
// library's session data server-side (storage.CeremonyStore, under "webauthn/"
// plus the caller's key, which the caller binds to its login flow or session),
// valid for CeremonyTTL (5 minutes). Finish* takes it back with TakeCeremony,
// so a challenge is used at most once, even by concurrent requests; a used,
// unknown or expired ceremony, or one begun for another user or purpose, is
// ErrChallengeUsed. A refused response consumes the ceremony too.
//
// Finish* checks, in order: the ceremony; the response's flags (no user presence:
// ErrUserPresenceRequired; user verification required but not done:
// ErrUserVerificationRequired); that the credential is the user's
// (ErrWrongCredential); then the library checks challenge, origin (exactly one of
// the configured origins), RP ID hash, and the signature (ErrInvalidResponse,
// wrapping the library's error); last the sign counter is advanced in one atomic
// store call (UseWebAuthnCredential), and a counter that did not go up (except an
// authenticator that always sends 0) is ErrCounterRegressed: a cloned
// authenticator or a replay. The flags are signed, so a forged flag fails the
// signature check.
//
// Registration: a security key (passkey=false) is asked for a non-discoverable
// credential without user verification (both "discouraged": a second factor
// after the password, no PIN prompt); a passkey (passkey=true) must be
// discoverable and verify the user (both "required"). The user's credentials are
// excluded. Attestation is not requested ("none"), so the AAGUID is informative
// only. The user handle is the user id. Passkey sign-in (BeginPasskeyLogin) sends
// no allowCredentials, requires user verification, and maps the returned user
// handle to the user through the caller's lookup; the credential must belong to
// that user. Password + WebAuthn and a verified passkey alone both count as
// phishing-resistant multi-factor; that is the caller's policy.
//
// hwk or swk: RFC 8176 says "hwk" for a hardware-secured key and "swk" for a
// software-secured one. The rule, from what the browser reports (attachment of
// the assertion, transports at registration) and the backup flag: a credential
// that is backup eligible (synced, so it can leave the device), used through a
// platform attachment, or listing the "internal" or "hybrid" transport is swk;
// otherwise one with a cross-platform attachment or a usb, nfc, ble or smart-card
// transport is hwk; with nothing known it is swk (no claim beyond what we know).
// Attachment and transports are not signed by the authenticator, so this
// describes the key; it is not a security boundary.
//
// # Throttling
//
// Nothing in this package counts failures. Callers must throttle Confirm, Verify
// and Use per user and per IP (SPEC MFA-11), counting ErrWrongCode, ErrCodeUsed
// and ErrMalformedCode alike (and refused WebAuthn assertions).
package factor
