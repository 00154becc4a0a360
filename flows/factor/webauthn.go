package factor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/lockstep-id/lockstep/storage"
)

// RFC 8176 amr values of a WebAuthn assertion (see Assertion.Method and the
// package documentation). AMRUser is added when the user was verified.
const (
	AMRHardwareKey = "hwk"
	AMRSoftwareKey = "swk"
	AMRUser        = "user"
)

// DefaultCeremonyTTL is how long a begun WebAuthn ceremony can be finished.
const DefaultCeremonyTTL = 5 * time.Minute

// Default names of a WebAuthn credential registered without a name.
const (
	DefaultSecurityKeyName = "Security key"
	DefaultPasskeyName     = "Passkey"
)

// ceremonyPrefix namespaces the keys this factor uses in the ceremony store.
const ceremonyPrefix = "webauthn/"

// WebAuthnStore is the part of storage.WebAuthnStore and storage.CeremonyStore
// the WebAuthn factor uses.
type WebAuthnStore interface {
	CreateWebAuthnCredential(ctx context.Context, c storage.WebAuthnCredential) error
	GetWebAuthnCredential(ctx context.Context, id []byte) (storage.WebAuthnCredential, error)
	ListWebAuthnCredentials(ctx context.Context, userID string) ([]storage.WebAuthnCredential, error)
	UseWebAuthnCredential(ctx context.Context, id []byte, count uint32, at time.Time) error
	RenameWebAuthnCredential(ctx context.Context, id []byte, name string) error
	DeleteWebAuthnCredential(ctx context.Context, id []byte) error
	PutCeremony(ctx context.Context, key string, data []byte, expiresAt time.Time) error
	TakeCeremony(ctx context.Context, key string, now time.Time) ([]byte, error)
}

var _ WebAuthnStore = storage.Storage(nil)

// UserInfo is what the WebAuthn factor needs to know about a user. ID becomes the
// WebAuthn user handle, so it must be at most 64 bytes and should carry no
// personal data (Lockstep's user ids are random).
type UserInfo struct {
	ID          string
	Email       string
	DisplayName string
}

// WebAuthn is the security key and passkey factor (SPEC MFA-3).
type WebAuthn struct {
	Store       WebAuthnStore
	RP          *webauthn.WebAuthn
	Now         func() time.Time
	CeremonyTTL time.Duration // DefaultCeremonyTTL when zero
}

// NewWebAuthn configures the relying party rpID (the registrable domain the
// credentials are scoped to, e.g. "login.example.com"), shown to users as rpName,
// accepting responses collected at exactly the given origins
// (e.g. "https://login.example.com"). now may be nil (time.Now).
func NewWebAuthn(rpID, rpName string, origins []string, store WebAuthnStore, now func() time.Time) (*WebAuthn, error) {
	if store == nil {
		return nil, errors.New("factor: webauthn: nil store")
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID:                  rpID,
		RPDisplayName:         rpName,
		RPOrigins:             slices.Clone(origins),
		AttestationPreference: protocol.PreferNoAttestation,
	})
	if err != nil {
		return nil, fmt.Errorf("factor: webauthn config: %w", err)
	}
	return &WebAuthn{Store: store, RP: rp, Now: now}, nil
}

// Assertion is a verified WebAuthn assertion.
type Assertion struct {
	UserID       string
	CredentialID []byte
	// UserVerified: the authenticator verified the user (PIN or biometrics).
	UserVerified bool
	// Method is AMRHardwareKey or AMRSoftwareKey, see the package documentation.
	Method string
	// Discoverable: the credential is a passkey.
	Discoverable bool
}

// AMR returns the amr values the assertion proves: Method, plus AMRUser when
// the user was verified.
func (a Assertion) AMR() []string {
	if a.UserVerified {
		return []string{a.Method, AMRUser}
	}
	return []string{a.Method}
}

// Ceremony kinds, recorded with the session data so that a ceremony begun for one
// purpose cannot be finished as another.
const (
	kindRegister = "register"
	kindLogin    = "login"
	kindPasskey  = "passkey"
)

// ceremony is what is kept server-side between Begin and Finish.
type ceremony struct {
	Kind      string               `json:"kind"`
	UserID    string               `json:"user_id,omitempty"`
	Passkey   bool                 `json:"passkey,omitempty"`
	RequireUV bool                 `json:"require_uv,omitempty"`
	Expires   time.Time            `json:"expires"`
	Session   webauthn.SessionData `json:"session"`
}

// BeginRegistration starts registering a new credential for user and returns the
// options for navigator.credentials.create (a {"publicKey": ...} object; pass
// publicKey to PublicKeyCredential.parseCreationOptionsFromJSON). The session
// data is kept server-side under ceremonyKey, which the caller binds to its flow
// or session; it can be finished once, within CeremonyTTL.
//
// passkey asks for a discoverable credential with user verification (both
// required); otherwise a security key or platform authenticator used as second
// factor (resident key and user verification discouraged). The user's existing
// credentials are excluded, so one authenticator is not registered twice.
func (w *WebAuthn) BeginRegistration(ctx context.Context, user UserInfo, ceremonyKey string, passkey bool) ([]byte, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	creds, err := w.list(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	sel := protocol.AuthenticatorSelection{
		ResidentKey:      protocol.ResidentKeyRequirementDiscouraged,
		UserVerification: protocol.VerificationDiscouraged,
	}
	if passkey {
		sel = protocol.AuthenticatorSelection{
			RequireResidentKey: protocol.ResidentKeyRequired(),
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationRequired,
		}
	}
	u := newWebAuthnUser(user, creds)
	creation, session, err := w.RP.BeginRegistration(u,
		webauthn.WithAuthenticatorSelection(sel),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return nil, fmt.Errorf("factor: webauthn begin registration: %w", err)
	}
	if err := w.put(ctx, ceremonyKey, ceremony{Kind: kindRegister, UserID: user.ID, Passkey: passkey,
		RequireUV: passkey, Session: *session}); err != nil {
		return nil, err
	}
	return marshalOptions(creation)
}

// FinishRegistration verifies the response of navigator.credentials.create
// (its JSON serialisation) against the ceremony under ceremonyKey and stores the
// new credential under name (blank: a default name; cleaned like TOTP device
// names; ErrInvalidName, checked before the ceremony is touched). Otherwise the
// ceremony is consumed whatever the outcome; a used,
// unknown or expired one gives ErrChallengeUsed, a response that does not verify
// (challenge, origin, RP ID, attestation, user presence) ErrInvalidResponse, a
// passkey registration without user verification ErrUserVerificationRequired,
// and a credential id already registered ErrCredentialExists.
func (w *WebAuthn) FinishRegistration(ctx context.Context, user UserInfo, ceremonyKey, name string, responseJSON []byte) (storage.WebAuthnCredential, error) {
	if err := checkUser(user); err != nil {
		return storage.WebAuthnCredential{}, err
	}
	// The name is checked before the ceremony is consumed, so the user can retry.
	name = strings.TrimSpace(name)
	if name != "" {
		var err error
		if name, err = cleanDeviceName(name); err != nil {
			return storage.WebAuthnCredential{}, err
		}
	}
	c, err := w.take(ctx, ceremonyKey, kindRegister)
	if err != nil {
		return storage.WebAuthnCredential{}, err
	}
	if c.UserID != user.ID {
		return storage.WebAuthnCredential{}, ErrChallengeUsed
	}
	if name == "" {
		name = DefaultSecurityKeyName
		if c.Passkey {
			name = DefaultPasskeyName
		}
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(responseJSON)
	if err != nil {
		return storage.WebAuthnCredential{}, invalid(err)
	}
	flags := parsed.Response.AttestationObject.AuthData.Flags
	if !flags.HasUserPresent() {
		return storage.WebAuthnCredential{}, ErrUserPresenceRequired
	}
	if c.RequireUV && !flags.HasUserVerified() {
		return storage.WebAuthnCredential{}, ErrUserVerificationRequired
	}
	creds, err := w.list(ctx, user.ID)
	if err != nil {
		return storage.WebAuthnCredential{}, err
	}
	cred, err := w.RP.CreateCredential(newWebAuthnUser(user, creds), c.Session, parsed)
	if err != nil {
		return storage.WebAuthnCredential{}, invalid(err)
	}
	transports := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	now := w.now()
	sc := storage.WebAuthnCredential{
		ID:              slices.Clone(cred.ID),
		UserID:          user.ID,
		Name:            name,
		PublicKey:       slices.Clone(cred.PublicKey),
		AttestationType: cred.AttestationType,
		Transports:      transports,
		AAGUID:          slices.Clone(cred.Authenticator.AAGUID),
		SignCount:       cred.Authenticator.SignCount,
		UserVerified:    cred.Flags.UserVerified,
		Discoverable:    c.Passkey,
		BackupEligible:  cred.Flags.BackupEligible,
		BackupState:     cred.Flags.BackupState,
		CreatedAt:       now,
	}
	switch err := w.Store.CreateWebAuthnCredential(ctx, sc); {
	case errors.Is(err, storage.ErrAlreadyExists):
		return storage.WebAuthnCredential{}, ErrCredentialExists
	case err != nil:
		return storage.WebAuthnCredential{}, fmt.Errorf("factor: create webauthn credential: %w", err)
	}
	return sc, nil
}

// BeginLogin starts a second-factor assertion for user, allowing any of the
// user's credentials, and returns the options for navigator.credentials.get
// ({"publicKey": ...}). With requireUV the authenticator must verify the user;
// otherwise verification is discouraged. A user without credentials gives
// ErrNoCredential.
func (w *WebAuthn) BeginLogin(ctx context.Context, user UserInfo, ceremonyKey string, requireUV bool) ([]byte, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	creds, err := w.list(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	if len(creds) == 0 {
		return nil, ErrNoCredential
	}
	uv := protocol.VerificationDiscouraged
	if requireUV {
		uv = protocol.VerificationRequired
	}
	u := newWebAuthnUser(user, creds)
	assertion, session, err := w.RP.BeginLogin(u, webauthn.WithUserVerification(uv))
	if err != nil {
		return nil, fmt.Errorf("factor: webauthn begin login: %w", err)
	}
	if err := w.put(ctx, ceremonyKey, ceremony{Kind: kindLogin, UserID: user.ID, RequireUV: requireUV, Session: *session}); err != nil {
		return nil, err
	}
	return marshalOptions(assertion)
}

// BeginPasskeyLogin starts a passwordless sign-in with a discoverable credential
// (no allowCredentials; user verification required) and returns the options for
// navigator.credentials.get.
func (w *WebAuthn) BeginPasskeyLogin(ctx context.Context, ceremonyKey string) ([]byte, error) {
	assertion, session, err := w.RP.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("factor: webauthn begin passkey login: %w", err)
	}
	if err := w.put(ctx, ceremonyKey, ceremony{Kind: kindPasskey, RequireUV: true, Session: *session}); err != nil {
		return nil, err
	}
	return marshalOptions(assertion)
}

// FinishLogin verifies the response of navigator.credentials.get for user against
// the ceremony begun by BeginLogin. User verification is required when it was
// required at BeginLogin or is required now. The ceremony is consumed whatever
// the outcome. Errors: ErrChallengeUsed (used, unknown, expired, or begun for
// another user or purpose), ErrWrongCredential (not one of the user's
// credentials), ErrUserPresenceRequired, ErrUserVerificationRequired,
// ErrInvalidResponse (challenge, origin, RP ID or signature wrong; malformed),
// ErrCounterRegressed (the signature counter did not advance: a cloned
// authenticator or a replay).
func (w *WebAuthn) FinishLogin(ctx context.Context, user UserInfo, ceremonyKey string, responseJSON []byte, requireUV bool) (Assertion, error) {
	if err := checkUser(user); err != nil {
		return Assertion{}, err
	}
	c, err := w.take(ctx, ceremonyKey, kindLogin)
	if err != nil {
		return Assertion{}, err
	}
	if c.UserID != user.ID {
		return Assertion{}, ErrChallengeUsed
	}
	parsed, err := parseAssertion(responseJSON, c.RequireUV || requireUV)
	if err != nil {
		return Assertion{}, err
	}
	c.Session.UserVerification = protocol.VerificationDiscouraged
	if c.RequireUV || requireUV {
		c.Session.UserVerification = protocol.VerificationRequired
	}
	return w.verify(ctx, user, c, parsed)
}

// FinishPasskeyLogin verifies the response to BeginPasskeyLogin. lookupUser maps
// the user handle the authenticator returned (a user id) to the user; its error
// is returned wrapped. Errors as for FinishLogin; a credential that does not
// belong to the user named by the handle is ErrWrongCredential.
func (w *WebAuthn) FinishPasskeyLogin(ctx context.Context, ceremonyKey string, responseJSON []byte, lookupUser func(ctx context.Context, userHandle []byte) (UserInfo, error)) (Assertion, error) {
	c, err := w.take(ctx, ceremonyKey, kindPasskey)
	if err != nil {
		return Assertion{}, err
	}
	parsed, err := parseAssertion(responseJSON, true)
	if err != nil {
		return Assertion{}, err
	}
	handle := parsed.Response.UserHandle
	if len(handle) == 0 {
		return Assertion{}, fmt.Errorf("%w: no user handle", ErrInvalidResponse)
	}
	user, err := lookupUser(ctx, handle)
	if err != nil {
		return Assertion{}, fmt.Errorf("factor: webauthn user lookup: %w", err)
	}
	if user.ID == "" || !bytes.Equal([]byte(user.ID), handle) {
		return Assertion{}, ErrWrongCredential
	}
	c.Session.UserVerification = protocol.VerificationRequired
	return w.verify(ctx, user, c, parsed)
}

// verify checks an assertion of user against the ceremony c: the credential
// must be the user's, the library checks challenge, origin, RP ID, flags and
// signature, and the store advances the sign counter atomically.
func (w *WebAuthn) verify(ctx context.Context, user UserInfo, c ceremony, parsed *protocol.ParsedCredentialAssertionData) (Assertion, error) {
	stored, err := w.Store.GetWebAuthnCredential(ctx, parsed.RawID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Assertion{}, ErrWrongCredential
	case err != nil:
		return Assertion{}, fmt.Errorf("factor: get webauthn credential: %w", err)
	case stored.UserID != user.ID:
		return Assertion{}, ErrWrongCredential
	}
	creds, err := w.list(ctx, user.ID)
	if err != nil {
		return Assertion{}, err
	}
	u := newWebAuthnUser(user, creds)
	if c.Kind == kindPasskey {
		_, _, err = w.RP.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return u, nil }, c.Session, parsed)
	} else {
		_, err = w.RP.ValidateLogin(u, c.Session, parsed)
	}
	if err != nil {
		var unknown *protocol.ErrorUnknownCredential
		if errors.As(err, &unknown) {
			return Assertion{}, ErrWrongCredential
		}
		return Assertion{}, invalid(err)
	}
	switch err := w.Store.UseWebAuthnCredential(ctx, stored.ID, parsed.Response.AuthenticatorData.Counter, w.now()); {
	case errors.Is(err, storage.ErrConflict):
		return Assertion{}, ErrCounterRegressed
	case errors.Is(err, storage.ErrNotFound):
		return Assertion{}, ErrWrongCredential // removed meanwhile
	case err != nil:
		return Assertion{}, fmt.Errorf("factor: use webauthn credential: %w", err)
	}
	return Assertion{
		UserID:       user.ID,
		CredentialID: slices.Clone(stored.ID),
		UserVerified: parsed.Response.AuthenticatorData.Flags.HasUserVerified(),
		Method:       webAuthnMethod(stored, parsed.AuthenticatorAttachment),
		Discoverable: stored.Discoverable,
	}, nil
}

// Credentials lists the user's WebAuthn credentials, oldest first.
func (w *WebAuthn) Credentials(ctx context.Context, userID string) ([]storage.WebAuthnCredential, error) {
	return w.list(ctx, userID)
}

// Remove deletes one of the user's credentials. Another user's credential, or
// an unknown id, gives ErrUnknownDevice.
func (w *WebAuthn) Remove(ctx context.Context, userID string, id []byte) error {
	if err := w.owned(ctx, userID, id); err != nil {
		return err
	}
	switch err := w.Store.DeleteWebAuthnCredential(ctx, id); {
	case errors.Is(err, storage.ErrNotFound):
		return ErrUnknownDevice
	case err != nil:
		return fmt.Errorf("factor: delete webauthn credential: %w", err)
	}
	return nil
}

// Rename names one of the user's credentials (cleaned like TOTP device names;
// blank gives DefaultSecurityKeyName or DefaultPasskeyName).
func (w *WebAuthn) Rename(ctx context.Context, userID string, id []byte, name string) error {
	c, err := w.Store.GetWebAuthnCredential(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ErrUnknownDevice
	case err != nil:
		return fmt.Errorf("factor: get webauthn credential: %w", err)
	case c.UserID != userID:
		return ErrUnknownDevice
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultSecurityKeyName
		if c.Discoverable {
			name = DefaultPasskeyName
		}
	}
	if name, err = cleanDeviceName(name); err != nil {
		return err
	}
	switch err := w.Store.RenameWebAuthnCredential(ctx, id, name); {
	case errors.Is(err, storage.ErrNotFound):
		return ErrUnknownDevice
	case err != nil:
		return fmt.Errorf("factor: rename webauthn credential: %w", err)
	}
	return nil
}

// webAuthnMethod decides between "hwk" and "swk" (see the package documentation).
// Attachment and transports are reported by the client, not signed by the
// authenticator, so this is a best-effort description, not a security boundary.
func webAuthnMethod(c storage.WebAuthnCredential, attachment protocol.AuthenticatorAttachment) string {
	if c.BackupEligible || attachment == protocol.Platform {
		return AMRSoftwareKey
	}
	hardware := attachment == protocol.CrossPlatform
	for _, t := range c.Transports {
		switch protocol.AuthenticatorTransport(t) {
		case protocol.Internal, protocol.Hybrid:
			return AMRSoftwareKey
		case protocol.USB, protocol.NFC, protocol.BLE, protocol.SmartCard:
			hardware = true
		}
	}
	if hardware {
		return AMRHardwareKey
	}
	return AMRSoftwareKey
}

// parseAssertion parses a navigator.credentials.get response and checks the
// presence and verification flags up front, so that those refusals get their
// own errors (the library would refuse them too).
func parseAssertion(responseJSON []byte, requireUV bool) (*protocol.ParsedCredentialAssertionData, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(responseJSON)
	if err != nil {
		return nil, invalid(err)
	}
	flags := parsed.Response.AuthenticatorData.Flags
	if !flags.HasUserPresent() {
		return nil, ErrUserPresenceRequired
	}
	if requireUV && !flags.HasUserVerified() {
		return nil, ErrUserVerificationRequired
	}
	return parsed, nil
}

func (w *WebAuthn) put(ctx context.Context, key string, c ceremony) error {
	if key == "" {
		return errors.New("factor: webauthn: empty ceremony key")
	}
	c.Expires = w.now().Add(w.ttl())
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("factor: webauthn ceremony: %w", err)
	}
	if err := w.Store.PutCeremony(ctx, ceremonyPrefix+key, data, c.Expires); err != nil {
		return fmt.Errorf("factor: put webauthn ceremony: %w", err)
	}
	return nil
}

// take consumes the ceremony under key; it must be of the given kind and unexpired.
func (w *WebAuthn) take(ctx context.Context, key, kind string) (ceremony, error) {
	if key == "" {
		return ceremony{}, ErrChallengeUsed
	}
	now := w.now()
	data, err := w.Store.TakeCeremony(ctx, ceremonyPrefix+key, now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ceremony{}, ErrChallengeUsed
	case err != nil:
		return ceremony{}, fmt.Errorf("factor: take webauthn ceremony: %w", err)
	}
	var c ceremony
	if err := json.Unmarshal(data, &c); err != nil || c.Kind != kind || !now.Before(c.Expires) {
		return ceremony{}, ErrChallengeUsed
	}
	return c, nil
}

func (w *WebAuthn) list(ctx context.Context, userID string) ([]storage.WebAuthnCredential, error) {
	all, err := w.Store.ListWebAuthnCredentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("factor: list webauthn credentials: %w", err)
	}
	out := make([]storage.WebAuthnCredential, 0, len(all))
	for _, c := range all {
		if c.UserID == userID {
			out = append(out, c)
		}
	}
	return out, nil
}

func (w *WebAuthn) owned(ctx context.Context, userID string, id []byte) error {
	c, err := w.Store.GetWebAuthnCredential(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ErrUnknownDevice
	case err != nil:
		return fmt.Errorf("factor: get webauthn credential: %w", err)
	case c.UserID != userID:
		return ErrUnknownDevice
	}
	return nil
}

func (w *WebAuthn) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *WebAuthn) ttl() time.Duration {
	if w.CeremonyTTL > 0 {
		return w.CeremonyTTL
	}
	return DefaultCeremonyTTL
}

func checkUser(u UserInfo) error {
	if u.ID == "" || len(u.ID) > 64 {
		return fmt.Errorf("factor: webauthn: user id must be 1 to 64 bytes, got %d", len(u.ID))
	}
	return nil
}

func invalid(err error) error {
	return fmt.Errorf("%w: %w", ErrInvalidResponse, err)
}

func marshalOptions(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("factor: webauthn options: %w", err)
	}
	return b, nil
}

// webAuthnUser adapts a user and its stored credentials to webauthn.User.
type webAuthnUser struct {
	info  UserInfo
	creds []webauthn.Credential
}

func newWebAuthnUser(info UserInfo, stored []storage.WebAuthnCredential) *webAuthnUser {
	u := &webAuthnUser{info: info}
	for _, c := range stored {
		ts := make([]protocol.AuthenticatorTransport, 0, len(c.Transports))
		for _, t := range c.Transports {
			ts = append(ts, protocol.AuthenticatorTransport(t))
		}
		u.creds = append(u.creds, webauthn.Credential{
			ID:              slices.Clone(c.ID),
			PublicKey:       slices.Clone(c.PublicKey),
			AttestationType: c.AttestationType,
			Transport:       ts,
			Flags: webauthn.CredentialFlags{
				UserPresent:    true,
				UserVerified:   c.UserVerified,
				BackupEligible: c.BackupEligible,
				BackupState:    c.BackupState,
			},
			Authenticator: webauthn.Authenticator{AAGUID: slices.Clone(c.AAGUID), SignCount: c.SignCount},
		})
	}
	return u
}

func (u *webAuthnUser) WebAuthnID() []byte { return []byte(u.info.ID) }

func (u *webAuthnUser) WebAuthnName() string {
	if u.info.Email != "" {
		return u.info.Email
	}
	return u.info.ID
}

func (u *webAuthnUser) WebAuthnDisplayName() string {
	if u.info.DisplayName != "" {
		return u.info.DisplayName
	}
	return u.WebAuthnName()
}

func (u *webAuthnUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }
