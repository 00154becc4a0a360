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
