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
// # Throttling
//
// Nothing in this package counts failures. Callers must throttle Confirm, Verify
// and Use per user and per IP (SPEC MFA-11), counting ErrWrongCode, ErrCodeUsed
// and ErrMalformedCode alike.
package factor
