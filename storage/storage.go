// Package storage defines Lockstep's domain records (with the few rules every
// backend applies to them, such as OrgPolicy.Covers), the small per-entity store
// interfaces that combine into Storage, and the sentinel errors every backend returns.
//
// Backends (storage/memory, storage/postgres) implement Storage and nothing else, and
// both must pass storage/conformance. Operations that must be atomic across nodes and
// concurrent requests (consuming a code, rotating a refresh token, bumping a throttle
// counter, updating a flow at a known version) are single store calls, never
// read-modify-write in handlers.
//
// Times are always supplied by the caller (an injected clock), so tests move time
// instead of sleeping; backends never call time.Now for anything they return.
package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sentinel errors. Backends wrap them with %w; callers test with errors.Is.
// Get, Update and Delete of a single record that does not exist return ErrNotFound;
// Create of a key that exists returns ErrAlreadyExists.
var (
	// ErrNotFound: no record with that key.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a record with that unique key exists already.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConflict: a concurrent change won (version mismatch), or a single-use
	// record was already consumed.
	ErrConflict = errors.New("storage: conflict")
	// ErrInvalid: a value does not fit the record it is for: a group the
	// organisation does not have, an unknown security level, a user's groups that
	// do not fit their organisation.
	ErrInvalid = errors.New("storage: invalid")
	// ErrDisabled: the token's user is disabled, so it is not spent and nothing
	// is stored for it.
	ErrDisabled = errors.New("storage: the user is disabled")
	// ErrUnavailable: the store cannot be reached right now (connection refused or
	// lost, the server shutting down, no connection within the deadline). The
	// request may succeed if tried again shortly.
	ErrUnavailable = errors.New("storage: unavailable")
)

// Client is a registered OAuth 2.0 / OIDC client (relying party).
type Client struct {
	ID string
	// SecretHash is a keyed hash of the client secret (see idp's secret hasher);
	// empty for public clients.
	SecretHash             []byte
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	Public                 bool
	// FirstParty clients skip the consent page.
	FirstParty bool
	// MinACR is the lowest acr this client accepts ("" for none): every sign-in for it
	// must reach at least this level.
	MinACR string
	// DefaultACRValues apply when a request names no acr of its own.
	DefaultACRValues []string
	// MaxAuthAge, when not zero, caps how old the proven factors may be (like max_age).
	MaxAuthAge time.Duration
	// AccessTokenFormat is "opaque" (default, also for "") or "jwt" (RFC 9068).
	AccessTokenFormat string
	// IDTokenAlg signs the client's ID tokens and JWT access tokens: "RS256",
	// "ES256", or "" for the server's default (OIDC id_token_signed_response_alg).
	IDTokenAlg string
	// LogoSum is the Sum of the client's logo, "" for none. Only BrandStore
	// calls change it: CreateClient and UpdateClient ignore it.
	LogoSum   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientStore keeps OAuth clients.
type ClientStore interface {
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client ordered by ID.
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient replaces every field of the client with that ID but LogoSum.
	UpdateClient(ctx context.Context, c Client) error
	// DeleteClient deletes the client and its logo.
	DeleteClient(ctx context.Context, id string) error
}

// User is an end user who signs in.
type User struct {
	ID string
	// Email is stored lower-cased and is unique.
	Email string
	// EmailVerified says the user proved they receive mail at Email (by following
	// a link sent there); false for an address nobody confirmed, such as one an
	// admin typed in.
	EmailVerified bool
	// PasswordHash is a PHC-format argon2id string; never the password.
	PasswordHash string
	GivenName    string
	FamilyName   string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// OrgID is the user's organisation, "" for none (the server-wide settings
	// apply); Groups are the user's groups in it, at least one when OrgID is set.
	OrgID  string
	Groups []string
	// MFADeadline is when the user must have a second factor by: set exactly while
	// their organisation's policy covers them (OrgPolicy.Covers), zero otherwise.
	// The store keeps it: it is fixed when the policy starts to cover the user, so
	// sign-ins read it and never recompute it.
	MFADeadline time.Time
	// SetupOfferedAt is when the user answered the offer to set up a second factor
	// that a first sign-in makes (zero: never), so that it is made once.
	SetupOfferedAt time.Time
}

// UserStore keeps users.
type UserStore interface {
	// CreateUser stores u with its OrgID and Groups (as SetUserOrg checks them) and
	// sets its MFADeadline from the organisation's policy, counting the grace period
	// from u.CreatedAt; the MFADeadline given is ignored.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByEmail matches the lower-cased email exactly.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers returns every user ordered by ID.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser replaces every field of the user with that ID but OrgID, Groups
	// and MFADeadline, which only OrgStore calls change (so a user read before a
	// policy change cannot undo it); taking another user's email returns
	// ErrAlreadyExists.
	UpdateUser(ctx context.Context, u User) error
	// SetUserNames changes only the user's given and family names and UpdatedAt
	// (to now), so a profile edit cannot undo a concurrent change of anything else.
	SetUserNames(ctx context.Context, id, given, family string, now time.Time) error
	// SetUserEmail changes only the user's email (lower-cased by the caller), its
	// EmailVerified and UpdatedAt (to now); taking another user's email returns
	// ErrAlreadyExists and changes nothing.
	SetUserEmail(ctx context.Context, id, email string, verified bool, now time.Time) error
}

// SecurityLevel says whether an organisation requires a second factor (ADM-1).
type SecurityLevel string

const (
	// LevelLow: a second factor is optional.
	LevelLow SecurityLevel = "low"
	// LevelHigh: a second factor is required of the users in the covered groups.
	LevelHigh SecurityLevel = "high"
)

// OrgPolicy is an organisation's security policy.
type OrgPolicy struct {
	Level SecurityLevel
	// CoveredGroups are the groups the level applies to, each one of the
	// organisation's groups.
	CoveredGroups []string
	// GraceDays is how long a user has to set up a second factor once the policy
	// covers them; a day is 24 hours.
	GraceDays int
}

// Covers reports whether p requires a second factor of a member of groups: the
// level is high and at least one of groups is covered. Backends apply this rule
// when they keep User.MFADeadline.
func (p OrgPolicy) Covers(groups []string) bool {
	return p.Level == LevelHigh && slices.ContainsFunc(groups, func(g string) bool {
		return slices.Contains(p.CoveredGroups, g)
	})
}

// Organisation groups users under one security policy.
type Organisation struct {
	ID   string
	Name string
	// Groups are the organisation's group names, in the order they were added.
	Groups []string
	Policy OrgPolicy
	// BrandName and LogoSum (the Sum of its logo) are what its members see
	// instead of the product's name and logo ("": the product's). Only
	// BrandStore calls change them: CreateOrganisation ignores them.
	BrandName string
	LogoSum   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Check returns an error wrapping ErrAlreadyExists when a new organisation lists a
// group twice, and what CheckPolicy returns for its policy.
func (o Organisation) Check() error {
	for i, g := range o.Groups {
		if slices.Contains(o.Groups[:i], g) {
			return fmt.Errorf("organisation %q lists group %q twice: %w", o.ID, g, ErrAlreadyExists)
		}
	}
	return o.CheckPolicy(o.Policy)
}

// CheckPolicy returns an error wrapping ErrInvalid unless p fits o: its level is
// LevelLow or LevelHigh, its grace period is not negative and it covers only
// groups of o.
func (o Organisation) CheckPolicy(p OrgPolicy) error {
	if p.Level != LevelLow && p.Level != LevelHigh {
		return fmt.Errorf("security level %q: %w", p.Level, ErrInvalid)
	}
	if p.GraceDays < 0 {
		return fmt.Errorf("grace period of %d days: %w", p.GraceDays, ErrInvalid)
	}
	for _, g := range p.CoveredGroups {
		if !slices.Contains(o.Groups, g) {
			return fmt.Errorf("organisation %q has no group %q to cover: %w", o.ID, g, ErrInvalid)
		}
	}
	return nil
}

// CheckGroups returns an error wrapping ErrInvalid unless a user of o may be in
// groups: at least one, each one of o's; for the zero Organisation (no
// organisation), none.
func (o Organisation) CheckGroups(groups []string) error {
	switch {
	case o.ID == "" && len(groups) > 0:
		return fmt.Errorf("groups %q without an organisation: %w", groups, ErrInvalid)
	case o.ID != "" && len(groups) == 0:
		return fmt.Errorf("a member of organisation %q needs a group: %w", o.ID, ErrInvalid)
	}
	for _, g := range groups {
		if !slices.Contains(o.Groups, g) {
			return fmt.Errorf("organisation %q has no group %q: %w", o.ID, g, ErrInvalid)
		}
	}
	return nil
}

// OrgStore keeps organisations and their users' memberships. Every call that can
// change which users the policy covers also sets those users' MFADeadline in the
// same atomic step, under the rule below, and appends audit with it (like
// CreateFlowAudited). A failed call changes nothing.
//
// The deadline rule: a user the policy covers after the call keeps the deadline
// they had if they were covered before it in the same organisation; one it covers
// anew gets now plus the policy's GraceDays; one it does not cover has none. So a
// new grace period moves no deadline, lowering the level or leaving the covered
// groups clears it, and being covered again later starts a new period.
//
// Errors: an unknown organisation or user gives ErrNotFound; an organisation id or
// a group name in use gives ErrAlreadyExists, and so does a new organisation that
// lists a group twice (Organisation.Check); a policy or a user's groups that do
// not fit the organisation (Organisation.CheckPolicy, CheckGroups), or renaming a
// group it does not have, gives ErrInvalid. Backends check in this order: the
// organisation, the groups and policy, then the user and the audit ids.
type OrgStore interface {
	// CreateOrganisation stores o, whose policy may only cover groups of o.
	CreateOrganisation(ctx context.Context, o Organisation, audit []AuditEvent) error
	GetOrganisation(ctx context.Context, id string) (Organisation, error)
	// ListOrganisations returns every organisation ordered by ID.
	ListOrganisations(ctx context.Context) ([]Organisation, error)
	// AddGroup appends a group to the organisation; no deadline changes.
	AddGroup(ctx context.Context, orgID, name string, now time.Time, audit []AuditEvent) error
	// RenameGroup renames a group in the organisation, its policy and its members'
	// Groups; coverage, and so every deadline, stays as it was.
	RenameGroup(ctx context.Context, orgID, oldName, newName string, now time.Time, audit []AuditEvent) error
	// SetOrgPolicy replaces the organisation's policy and sets every member's
	// deadline by the rule.
	SetOrgPolicy(ctx context.Context, orgID string, p OrgPolicy, now time.Time, audit []AuditEvent) error
	// SetUserOrg moves the user into the organisation with these groups (orgID ""
	// and no groups: out of any organisation), sets their UpdatedAt to now and
	// their deadline by the rule. Moving to another organisation counts as being
	// covered anew.
	SetUserOrg(ctx context.Context, userID, orgID string, groups []string, now time.Time, audit []AuditEvent) error
	// ListUsersByOrg returns the organisation's users ordered by ID (none for an
	// unknown organisation; orgID "": the users in none).
	ListUsersByOrg(ctx context.Context, orgID string) ([]User, error)
}

// TokenKind separates the token tables fosite needs.
type TokenKind string

const (
	TokenAuthorizeCode TokenKind = "authorize_code"
	TokenAccess        TokenKind = "access_token"
	TokenRefresh       TokenKind = "refresh_token"
	TokenPKCE          TokenKind = "pkce"
	TokenOIDC          TokenKind = "oidc"
)

// Token is one stored OAuth artefact, keyed by (Kind, Signature). Signature is the
// HMAC signature of the token, never the token itself. RequestID groups every token
// of one grant (its "family"), so revoking by RequestID revokes the family.
type Token struct {
	Kind      TokenKind
	Signature string
	RequestID string
	ClientID  string
	Subject   string
	Active    bool
	// Data is the serialized authorization request and session (opaque here).
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TokenStore keeps OAuth tokens and codes.
type TokenStore interface {
	CreateToken(ctx context.Context, t Token) error
	// CreateTokens stores every token or none, in one round trip; one that exists
	// already gives ErrAlreadyExists and nothing is stored.
	CreateTokens(ctx context.Context, ts []Token) error
	// GetToken returns the token whatever its Active state; callers decide.
	GetToken(ctx context.Context, kind TokenKind, signature string) (Token, error)
	// GetTokens returns the tokens of the given kinds stored under one signature, in
	// the order of kinds, skipping kinds that have none (never ErrNotFound).
	GetTokens(ctx context.Context, signature string, kinds ...TokenKind) ([]Token, error)
	DeleteToken(ctx context.Context, kind TokenKind, signature string) error
	// ConsumeToken atomically flips Active from true to false. Exactly one of any
	// number of concurrent callers succeeds; the others get ErrConflict. A token that
	// does not exist gives ErrNotFound.
	ConsumeToken(ctx context.Context, kind TokenKind, signature string) error
	// ConsumeTokenCreating is ConsumeToken that, when it succeeds, also deletes the
	// tokens of the kinds in also stored under the same signature (an authorization
	// code's PKCE and OpenID Connect records) and stores ts, all in one atomic step:
	// only the caller that consumed the token changes anything, and a caller that did
	// not gets ErrConflict (or ErrNotFound). A token of ts that exists already gives
	// ErrAlreadyExists and changes nothing. A token whose subject is a disabled user
	// gives ErrDisabled and changes nothing; the check holds against a concurrent
	// disable (the user's row is locked for it), so a user disabled and then rid of
	// their tokens never keeps one made by a code or refresh spent meanwhile.
	ConsumeTokenCreating(ctx context.Context, kind TokenKind, signature string, also []TokenKind, ts []Token) error
	// SpendRefreshToken is ConsumeTokenCreating for a refresh token (nothing else
	// deleted) that, in the same atomic step, also ends the active access tokens
	// issued before it under requestID, its family's: a rotation is one statement,
	// and a caller that did not spend the token changes nothing.
	SpendRefreshToken(ctx context.Context, signature, requestID string, ts []Token) error
	// DeactivateTokensByRequestID marks every token of that kind and family inactive.
	DeactivateTokensByRequestID(ctx context.Context, kind TokenKind, requestID string) error
	// DeactivateTokensBySubject marks every token of that kind for the subject inactive.
	DeactivateTokensBySubject(ctx context.Context, kind TokenKind, subject string) error
	// DeleteExpiredTokens removes tokens whose ExpiresAt is before the given time and
	// returns how many it removed.
	DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error)
}

// FactorProof records one factor a user proved, and when.
type FactorProof struct {
	// Method is an RFC 8176 amr value such as "pwd" or "otp".
	Method string    `json:"method"`
	At     time.Time `json:"at"`
}

// Flow is the server-side record of one pending authorization request while the
// user works through the login steps.
type Flow struct {
	ID string
	// BrowserHash binds the flow to the browser that started it (hash of a cookie value).
	BrowserHash string
	ClientID    string
	// AuthorizeQuery is the original /authorize query string, replayed through fosite
	// when the flow completes.
	AuthorizeQuery string
	RequestedAt    time.Time
	// Kind and State belong to the sign-in state machine in package flows, which
	// names their values and guards every change of State; storage keeps them as
	// plain strings.
	Kind   string
	State  string
	UserID string
	// Declined: the user answered "Later" to the offer to set up a second factor.
	Declined bool
	// Reset: two-step verification was reset during this sign-in (the set-up is
	// offered again right after).
	Reset bool
	// ReturnTo is where a re-verification of the account page (Kind "account")
	// goes when it is done: the account page the user was on its way to, as a
	// path under the issuer with its query ("" for the overview). Package flows
	// checks it again before it redirects there.
	ReturnTo string
	// Proven holds the factors proven during this flow.
	Proven    []FactorProof
	ExpiresAt time.Time
	// Version increments on every update; CommitSignIn checks it.
	Version int
}

// FlowStore keeps login flows.
type FlowStore interface {
	// CreateFlowAudited stores a new flow and AppendAudits(audit) in one atomic step
	// (one commit): the flow of a new sign-in with the decision that started it.
	// An id in use gives ErrAlreadyExists.
	CreateFlowAudited(ctx context.Context, f Flow, audit []AuditEvent) error
	GetFlow(ctx context.Context, id string) (Flow, error)
	DeleteFlow(ctx context.Context, id string) error
	DeleteExpiredFlows(ctx context.Context, before time.Time) (int, error)
}

// Session is a server-side SSO session. ID is the hash of the opaque cookie value.
type Session struct {
	ID     string
	UserID string
	// Factors holds every factor proven in this session with its latest time.
	Factors []FactorProof
	// AuthTime is when the user last actively authenticated (the password).
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
	// UserAgent and IP are the browser's when the session was made; LastSeenAt is
	// when it was last used (kept coarse: see TouchSession). The account page
	// lists them so the user can tell their sessions apart.
	UserAgent  string
	IP         string
	LastSeenAt time.Time
}

// SessionStore keeps SSO sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, id string) (Session, error)
	DeleteSession(ctx context.Context, id string) error
	// SetSessionFactors replaces a session's proofs and auth time (what is left
	// when a factor that made some of them was removed); ErrNotFound when the
	// session is gone.
	SetSessionFactors(ctx context.Context, id string, factors []FactorProof, authTime time.Time) error
	// TouchSession records that the session was used at (a missing one gives
	// ErrNotFound).
	TouchSession(ctx context.Context, id string, at time.Time) error
	// ListSessionsByUser returns the user's sessions, newest (CreatedAt) first.
	ListSessionsByUser(ctx context.Context, userID string) ([]Session, error)
	DeleteSessionsByUser(ctx context.Context, userID string) (int, error)
	DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error)
}

// Consent remembers the scopes a user granted to a client.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
}

// ConsentStore keeps remembered consents.
type ConsentStore interface {
	// SaveConsent creates or replaces the consent for (UserID, ClientID).
	SaveConsent(ctx context.Context, c Consent) error
	GetConsent(ctx context.Context, userID, clientID string) (Consent, error)
	DeleteConsent(ctx context.Context, userID, clientID string) error
}

// SigningKey is a token-signing key. The private key is encrypted before it reaches
// the store; the public JWK is stored in clear for the JWKS.
type SigningKey struct {
	ID         string // the JWK "kid"
	Algorithm  string // "RS256" or "ES256"
	PrivateEnc []byte
	PublicJWK  []byte
	CreatedAt  time.Time
	// RetiredAt is zero while the key signs; a retired key is only published.
	RetiredAt time.Time
	// ExpiresAt is zero while the key signs; after it the key is not even published.
	ExpiresAt time.Time
}

// KeyStore keeps signing keys.
type KeyStore interface {
	// ListSigningKeys returns every key, newest (CreatedAt) first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey stores k and, in the same transaction, retires every active key
	// of the same algorithm at k.CreatedAt, setting their ExpiresAt to retiredUntil.
	AddSigningKey(ctx context.Context, k SigningKey, retiredUntil time.Time) error
	// DeleteExpiredSigningKeys removes retired keys whose ExpiresAt is before the
	// given time; keys with a zero ExpiresAt are kept.
	DeleteExpiredSigningKeys(ctx context.Context, before time.Time) (int, error)
}

// ThrottleStore keeps fixed-window counters for rate limits.
type ThrottleStore interface {
	// HitThrottle atomically adds one to the counter for key and returns the new
	// count. A counter whose window has ended restarts at 1 with a new window of
	// length window starting at now. A window has ended once its end is not after
	// now. No concurrent increment is lost.
	HitThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// ThrottleCount returns the count in the current window (0 when none or ended).
	ThrottleCount(ctx context.Context, key string, now time.Time) (int, error)
	// ResetThrottle forgets the counter; resetting an unknown key is not an error.
	ResetThrottle(ctx context.Context, key string) error
	// DeleteExpiredThrottles removes counters whose window ended before the given time.
	DeleteExpiredThrottles(ctx context.Context, before time.Time) (int, error)
}

// NonceStore guards single-use values (JWT ids, replayed links).
type NonceStore interface {
	// UseNonce records key until expiresAt. It returns ErrConflict if key was
	// recorded before and has not expired (its expiresAt is after now).
	UseNonce(ctx context.Context, key string, expiresAt time.Time, now time.Time) error
	// DeleteExpiredNonces removes nonces that expired before the given time.
	DeleteExpiredNonces(ctx context.Context, before time.Time) (int, error)
}

// AuditEvent is one line of the audit log.
type AuditEvent struct {
	ID       string
	At       time.Time
	Type     string // e.g. "login.success", "login.failure", "client.create"
	UserID   string
	ClientID string
	IP       string
	Detail   map[string]string
}

// AuditFilter narrows ListAudit; zero fields match everything.
type AuditFilter struct {
	UserID   string
	ClientID string
	Since    time.Time // inclusive
	Until    time.Time // exclusive
	Limit    int       // the newest Limit events; zero or less means all
}

// AuditStore appends and reads the audit log.
type AuditStore interface {
	AppendAudit(ctx context.Context, e AuditEvent) error
	// AppendAudits appends the events in order, all or none, in one round trip; an
	// ID in use (or given twice) gives ErrAlreadyExists and nothing is appended.
	AppendAudits(ctx context.Context, es []AuditEvent) error
	// ListAudit returns matching events, newest first; events with the same At come
	// in reverse order of appending.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}

// TOTPDevice is an authenticator app linked to a user (RFC 6238).
type TOTPDevice struct {
	ID     string
	UserID string
	Name   string
	// SecretEnc is the shared secret, encrypted by the caller; never the secret itself.
	SecretEnc []byte
	// Active is false until the user proved the device with one correct code.
	Active bool
	// LastStep is the last time step (unix time / 30 s) accepted; a code is only
	// accepted for a later step, so no code works twice.
	LastStep    int64
	CreatedAt   time.Time
	ConfirmedAt time.Time
	LastUsedAt  time.Time
}

// TOTPStore keeps authenticator-app devices.
type TOTPStore interface {
	CreateTOTPDevice(ctx context.Context, d TOTPDevice) error
	GetTOTPDevice(ctx context.Context, id string) (TOTPDevice, error)
	// ListTOTPDevices returns the user's devices, active or not, oldest first.
	ListTOTPDevices(ctx context.Context, userID string) ([]TOTPDevice, error)
	// ActivateTOTPDevice atomically marks an inactive device active with LastStep =
	// step and ConfirmedAt = LastUsedAt = at. When revokeOthers is set it deletes
	// every other device of the same user in the same transaction. An already active
	// device gives ErrConflict; one that does not exist, or was revoked by a
	// concurrent activation, ErrNotFound.
	ActivateTOTPDevice(ctx context.Context, id string, step int64, at time.Time, revokeOthers bool) error
	// AdvanceTOTPStep atomically sets LastStep = step and LastUsedAt = at if the
	// device is active and its LastStep is lower than step; otherwise ErrConflict
	// (the code, or an older one, was used already). A device that does not exist
	// gives ErrNotFound. Of concurrent callers with the same step exactly one succeeds.
	AdvanceTOTPStep(ctx context.Context, id string, step int64, at time.Time) error
	// RenameTOTPDevice sets the device's name; ErrNotFound when there is none.
	RenameTOTPDevice(ctx context.Context, id, name string) error
	DeleteTOTPDevice(ctx context.Context, id string) error
	// DeleteTOTPDevicesByUser removes every device of the user, returning how many.
	DeleteTOTPDevicesByUser(ctx context.Context, userID string) (int, error)
}

// RecoveryCodeStore keeps single-use recovery codes, by keyed hash only.
type RecoveryCodeStore interface {
	// ReplaceRecoveryCodes atomically deletes the user's codes and stores these hashes;
	// of concurrent replaces exactly one set survives. A hash listed twice gives
	// ErrAlreadyExists and changes nothing.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error
	// UseRecoveryCode atomically marks the unused code with that hash used. A code
	// that does not exist gives ErrNotFound; one already used gives ErrConflict. Of
	// concurrent callers exactly one succeeds.
	UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error
	// CountRecoveryCodes returns how many codes the user has and how many are unused.
	CountRecoveryCodes(ctx context.Context, userID string) (total, unused int, err error)
	// DeleteRecoveryCodes removes every code of the user; none is not an error.
	DeleteRecoveryCodes(ctx context.Context, userID string) error
}

// WebAuthnCredential is a registered security key, platform authenticator or passkey.
type WebAuthnCredential struct {
	// ID is the raw credential id the authenticator chose; unique across users.
	ID     []byte
	UserID string
	Name   string
	// PublicKey is the COSE-encoded public key.
	PublicKey       []byte
	AttestationType string
	Transports      []string
	AAGUID          []byte
	// SignCount is the authenticator's last signature counter (0 when it keeps none).
	SignCount uint32
	// UserVerified records that the authenticator verified the user at registration.
	UserVerified bool
	// Discoverable marks a passkey (client-side discoverable credential).
	Discoverable   bool
	BackupEligible bool
	BackupState    bool
	CreatedAt      time.Time
	LastUsedAt     time.Time
}

// WebAuthnStore keeps WebAuthn credentials.
type WebAuthnStore interface {
	// CreateWebAuthnCredential gives ErrAlreadyExists for a credential id in use.
	CreateWebAuthnCredential(ctx context.Context, c WebAuthnCredential) error
	GetWebAuthnCredential(ctx context.Context, id []byte) (WebAuthnCredential, error)
	// ListWebAuthnCredentials returns the user's credentials, oldest first.
	ListWebAuthnCredentials(ctx context.Context, userID string) ([]WebAuthnCredential, error)
	// UseWebAuthnCredential atomically records a successful assertion: it sets
	// SignCount = count and LastUsedAt = at when count is greater than the stored
	// count, or when both are zero (an authenticator without a counter). Otherwise
	// it returns ErrConflict: the counter went backwards or stood still, a sign of
	// a cloned authenticator or a replay. ErrNotFound when there is no such credential.
	UseWebAuthnCredential(ctx context.Context, id []byte, count uint32, at time.Time) error
	RenameWebAuthnCredential(ctx context.Context, id []byte, name string) error
	DeleteWebAuthnCredential(ctx context.Context, id []byte) error
	// DeleteWebAuthnCredentialsByUser removes every credential of the user, returning how many.
	DeleteWebAuthnCredentialsByUser(ctx context.Context, userID string) (int, error)
}

// CeremonyStore keeps short-lived, single-use server state between the two halves
// of a challenge-response ceremony (a WebAuthn challenge, for instance).
type CeremonyStore interface {
	// PutCeremony stores data under key until expiresAt, replacing what was there.
	PutCeremony(ctx context.Context, key string, data []byte, expiresAt time.Time) error
	// TakeCeremony atomically removes and returns the data. A missing or expired key
	// (expiresAt not after now) gives ErrNotFound, and an expired one is removed all
	// the same; of concurrent callers exactly one gets the data.
	TakeCeremony(ctx context.Context, key string, now time.Time) ([]byte, error)
	// DeleteExpiredCeremonies removes ceremonies that expired before the given time.
	DeleteExpiredCeremonies(ctx context.Context, before time.Time) (int, error)
}

// PhoneNumber is a user's verified mobile number for SMS codes (MFA-4). A user has
// at most one; a number is stored only after a code sent to it was entered.
type PhoneNumber struct {
	UserID string
	// E164 is the number in E.164 form, e.g. "+4915123456789".
	E164 string
	// Primary makes SMS the user's main second factor; otherwise it is a backup,
	// offered after the other methods.
	Primary    bool
	VerifiedAt time.Time
	LastUsedAt time.Time
}

// PhoneStore keeps users' phone numbers.
type PhoneStore interface {
	// SetPhoneNumber creates or replaces the user's number.
	SetPhoneNumber(ctx context.Context, p PhoneNumber) error
	GetPhoneNumber(ctx context.Context, userID string) (PhoneNumber, error)
	// DeletePhoneNumber gives ErrNotFound when the user has none.
	DeletePhoneNumber(ctx context.Context, userID string) error
}

// OneTimeCode is a short code or link token sent to a user by SMS or email, bound
// to one purpose and one flow by its Key (e.g. "sms:login:<flow id>").
type OneTimeCode struct {
	Key    string
	UserID string
	// Hash is a keyed hash of the code; never the code.
	Hash string
	// Destination is where the code went (an E.164 number or an email address).
	Destination string
	// Attempts counts wrong guesses.
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is zero until the code was entered correctly.
	UsedAt time.Time
}

// OneTimeCodeStore keeps one-time codes; one live code per key.
type OneTimeCodeStore interface {
	// PutOneTimeCode stores c, replacing any code under the same key (a resend).
	PutOneTimeCode(ctx context.Context, c OneTimeCode) error
	GetOneTimeCode(ctx context.Context, key string) (OneTimeCode, error)
	// UseOneTimeCode atomically checks a guess. When the code under key is unused,
	// not expired (ExpiresAt after now), has fewer than maxAttempts wrong guesses
	// and its Hash equals hash, it is marked used (UsedAt = now) and returned with a
	// nil error. Otherwise it returns the code as stored after the call together
	// with ErrConflict, so the caller can tell why (used, expired, too many
	// attempts, wrong); a wrong guess at an unused, unexpired code below the limit
	// adds one to Attempts first. ErrNotFound when there is no code under key.
	// Of concurrent callers with the right code exactly one succeeds, and no wrong
	// guess is lost.
	UseOneTimeCode(ctx context.Context, key, hash string, now time.Time, maxAttempts int) (OneTimeCode, error)
	// DeleteOneTimeCode removes the code; none is not an error.
	DeleteOneTimeCode(ctx context.Context, key string) error
	// DeleteExpiredOneTimeCodes removes codes that expired before the given time.
	DeleteExpiredOneTimeCodes(ctx context.Context, before time.Time) (int, error)
}

// TrustKind tells what a Trust lets a user skip.
type TrustKind string

const (
	// TrustRememberedDevice: "don't ask again on this device" after a second factor (MFA-7).
	TrustRememberedDevice TrustKind = "remembered_device"
	// TrustAddress: an IP address trusted for the user's second factor (MFA-8).
	TrustAddress TrustKind = "address"
	// TrustKnownDevice and TrustKnownAddress: a browser or address confirmed by
	// email for a user without a second factor (MFA-9).
	TrustKnownDevice  TrustKind = "known_device"
	TrustKnownAddress TrustKind = "known_address"
)

// Trust is a browser or address a user proved themselves from.
type Trust struct {
	// ID is a hash of the kind, the user and the device token or address; never the token.
	ID     string
	UserID string
	Kind   TrustKind
	// Label describes the browser or address for the account page.
	Label      string
	IP         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
}

// TrustStore keeps remembered devices, trusted addresses and known devices.
type TrustStore interface {
	// PutTrust creates or replaces the trust with that ID.
	PutTrust(ctx context.Context, t Trust) error
	GetTrust(ctx context.Context, id string) (Trust, error)
	// ListTrusts returns the user's trusts of every kind, newest (CreatedAt) first.
	ListTrusts(ctx context.Context, userID string) ([]Trust, error)
	// DeleteTrust gives ErrNotFound when there is none.
	DeleteTrust(ctx context.Context, id string) error
	// DeleteTrustsByUser removes the user's trusts of the given kinds (of every kind
	// when none is given) and returns how many.
	DeleteTrustsByUser(ctx context.Context, userID string, kinds ...TrustKind) (int, error)
	// DeleteExpiredTrusts removes trusts whose ExpiresAt is before the given time.
	DeleteExpiredTrusts(ctx context.Context, before time.Time) (int, error)
}

// FactorSummary says which kinds of second factor a user has set up.
type FactorSummary struct {
	TOTP     bool // an active authenticator app
	WebAuthn bool // a security key or passkey
	Phone    bool // a verified phone number
	// RecoveryCodes is how many of the user's recovery codes are unused.
	RecoveryCodes int
}

// FactorSummaryStore answers, in one round trip, what the policy asks at every
// sign-in.
type FactorSummaryStore interface {
	SummarizeFactors(ctx context.Context, userID string) (FactorSummary, error)
}

// LoginLookup names what a sign-in step reads first: the password step, before it
// hashes, and a second-factor step.
type LoginLookup struct {
	// FlowID, when set, names the step's flow, read with the rest (Login.Flow), so
	// a step costs one round trip: its client is the one whose consent is read, and
	// its user the one looked up when neither Email nor UserID is given.
	FlowID string
	// Email or UserID, at most one, names the user: the password step knows the
	// email typed in, a later step the flow's user. Neither is given only with a
	// FlowID.
	Email  string
	UserID string
	// ClientID is the client whose remembered consent is read; empty with a
	// FlowID (the flow's client is read).
	ClientID string
	// ThrottleKeys are the failure counters to read, each as ThrottleCount reads it.
	ThrottleKeys []string
	// TOTPDevices asks for the user's authenticator apps too (Login.TOTPDevices):
	// the step is about to check an app's code.
	TOTPDevices bool
	Now         time.Time
}

// Login is what a sign-in needs to know about an email or a user, read in one round
// trip whether or not the email belongs to a user.
type Login struct {
	// Flow is LoginLookup.FlowID's flow, nil when there is none (or no FlowID).
	Flow *Flow
	// Throttles are the live counts of LoginLookup.ThrottleKeys, in their order.
	Throttles []int
	// Found says whether User is the email's or id's user; the rest is zero when not.
	Found   bool
	User    User
	Factors FactorSummary
	// Consent is the user's remembered consent for the client, nil when none.
	Consent *Consent
	// TOTPDevices are the user's authenticator apps, active or not, oldest first,
	// as ListTOTPDevices returns them, when LoginLookup.TOTPDevices asked for them.
	TOTPDevices []TOTPDevice
}

// LoginStore reads at once what a sign-in step (password or second factor) and
// the policy after it need.
type LoginStore interface {
	// LookupLogin gives ErrInvalid for a lookup that names its user twice (Email
	// and UserID), not at all (neither, without a FlowID) or names a ClientID with
	// a FlowID.
	LookupLogin(ctx context.Context, q LoginLookup) (Login, error)
}

// SignIn is what a sign-in step writes: the flow at its next step, the request's
// audit events and the failure counters it cleared and, when the step ends the
// sign-in, the browser's new SSO session and the authorization code's records,
// written in one transaction, so the step costs one commit and is all or nothing.
type SignIn struct {
	// EndSession is the browser's previous session, deleted first ("" for none; a
	// missing one is no error).
	EndSession string
	// Session is the new SSO session (nil when the browser's session stays).
	Session *Session
	// Flow is stored only if the stored version equals Flow.Version, and then the
	// stored version becomes Flow.Version+1.
	Flow   Flow
	Tokens []Token
	Audit  []AuditEvent
	// ResetThrottles are failure counters to forget (as ResetThrottle does): the
	// step proved what they count.
	ResetThrottles []string
}

// SignInStore writes a sign-in's step.
type SignInStore interface {
	// CommitSignIn writes everything in s or nothing. A flow that moved on gives
	// ErrConflict (ErrNotFound when it is gone); a session, token or audit id in
	// use gives ErrAlreadyExists.
	CommitSignIn(ctx context.Context, s SignIn) error
}

// Storage is everything a backend provides.
type Storage interface {
	ClientStore
	UserStore
	OrgStore
	TokenStore
	FlowStore
	SessionStore
	ConsentStore
	KeyStore
	ThrottleStore
	NonceStore
	AuditStore
	TOTPStore
	RecoveryCodeStore
	WebAuthnStore
	CeremonyStore
	PhoneStore
	OneTimeCodeStore
	TrustStore
	EmailLinkStore
	FactorSummaryStore
	SignInStore
	LoginStore
	AdminStore
	BrandStore
	// Ping reports whether the store is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
