package factor

import "errors"

// Sentinel errors. Callers test with errors.Is; storage failures come wrapped
// with %w instead and are not any of these.
var (
	// ErrMalformedCode: the input is not a code of the expected shape (for TOTP
	// exactly six ASCII digits after trimming outer whitespace).
	ErrMalformedCode = errors.New("factor: malformed code")
	// ErrWrongCode: a well-formed code that matches nothing.
	ErrWrongCode = errors.New("factor: wrong code")
	// ErrCodeUsed: the code is right but was used already (a replayed TOTP code,
	// or one for an older step than the last accepted; a spent recovery code).
	ErrCodeUsed = errors.New("factor: code already used")
	// ErrCodeExpired: a code that was right but is past its lifetime: an app code
	// from up to five minutes before the accepted window, or an SMS or email code
	// past its expiry. It is refused like a wrong code; only the message differs.
	ErrCodeExpired = errors.New("factor: code expired")
	// ErrNotPending: no pending (inactive) enrolment with that id for this user.
	ErrNotPending = errors.New("factor: no pending enrolment")
	// ErrNoDevice: the user has no active authenticator app.
	ErrNoDevice = errors.New("factor: no active device")
	// ErrUnknownDevice: no device with that id belongs to this user.
	ErrUnknownDevice = errors.New("factor: unknown device")
	// ErrInvalidName: a device name that is too long or holds control characters.
	ErrInvalidName = errors.New("factor: invalid device name")
)

// WebAuthn errors (see webauthn.go).
var (
	// ErrChallengeUsed: the WebAuthn ceremony is unknown, expired, already
	// finished (a replayed challenge) or was begun for another user or purpose.
	ErrChallengeUsed = errors.New("factor: webauthn challenge used or unknown")
	// ErrInvalidResponse: a WebAuthn response that is malformed or does not verify
	// (challenge, origin, RP ID, signature, attestation). The library's error is
	// wrapped too.
	ErrInvalidResponse = errors.New("factor: invalid webauthn response")
	// ErrUserPresenceRequired: the authenticator did not report user presence.
	ErrUserPresenceRequired = errors.New("factor: webauthn user presence required")
	// ErrUserVerificationRequired: user verification was required but the
	// authenticator did not verify the user.
	ErrUserVerificationRequired = errors.New("factor: webauthn user verification required")
	// ErrWrongCredential: the assertion was made with a credential that is unknown
	// or belongs to another user.
	ErrWrongCredential = errors.New("factor: webauthn credential not the user's")
	// ErrCounterRegressed: the signature counter did not advance past the stored
	// one, a sign of a cloned authenticator or a replay.
	ErrCounterRegressed = errors.New("factor: webauthn sign counter regressed")
	// ErrNoCredential: the user has no WebAuthn credential.
	ErrNoCredential = errors.New("factor: no webauthn credential")
	// ErrCredentialExists: the credential id is registered already.
	ErrCredentialExists = errors.New("factor: webauthn credential already registered")
)
