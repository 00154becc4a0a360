package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/flows/password"
	"github.com/lockstep-id/lockstep/orgs"
	"github.com/lockstep-id/lockstep/storage"
)

// Store is what the Service reads and changes.
type Store interface {
	storage.ClientStore
	storage.UserStore
	storage.OrgStore
	storage.AdminStore
	storage.SessionStore
	storage.TokenStore
	storage.ThrottleStore
	storage.AuditStore
	storage.TOTPStore
	storage.WebAuthnStore
	storage.PhoneStore
	storage.RecoveryCodeStore
	storage.BrandStore
}

// Service is what an administrator does through the admin API and console: each
// call takes the acting Principal, refuses what its role does not reach (see
// access.go) and audits every change with the principal as Detail["actor"].
type Service struct {
	Store     Store
	Secrets   SecretHasher
	Passwords *password.Hasher
	// Removal removes a user's second factors as the user's own reset does
	// (flows.Core.RemoveSecondFactors).
	Removal interface {
		RemoveSecondFactors(ctx context.Context, userID string) error
	}
	Now func() time.Time
}

// Audit event types of the Service's changes (organisations' are orgs').
const (
	EventClientCreated  = "client.created"
	EventClientUpdated  = "client.updated"
	EventClientDeleted  = "client.deleted"
	EventClientRotated  = "client.secret_rotated"
	EventUserCreated    = "user.created"
	EventUserDisabled   = "user.disabled"
	EventUserEnabled    = "user.enabled"
	EventUserUnlocked   = "user.unlocked"
	EventMFAReset       = "mfa.reset"
	EventSessionRevoked = "session.revoked"
	EventAdminGranted   = "admin.granted"
	EventAdminRevoked   = "admin.revoked"
)

// audit appends one event of p's change (the request's buffer when there is one).
func (s *Service) audit(ctx context.Context, p Principal, typ, userID, clientID string, detail map[string]string) error {
	if detail == nil {
		detail = map[string]string{}
	}
	detail["actor"] = p.Actor
	e := storage.AuditEvent{ID: rand.Text(), At: s.Now().UTC(), Type: typ, UserID: userID, ClientID: clientID, Detail: detail}
	if err := flows.AppendAudit(ctx, s.Store, e); err != nil {
		return fmt.Errorf("audit %s: %w", typ, err)
	}
	return nil
}

// Clients.

// Clients lists every client.
func (s *Service) Clients(ctx context.Context, p Principal) ([]storage.Client, error) {
	if err := p.platformOnly("the clients"); err != nil {
		return nil, err
	}
	return s.Store.ListClients(ctx)
}

// Client reads one client.
func (s *Service) Client(ctx context.Context, p Principal, id string) (storage.Client, error) {
	if err := p.platformOnly("the clients"); err != nil {
		return storage.Client{}, err
	}
	return s.Store.GetClient(ctx, id)
}

// CreateClient registers a client (CreateClient) and returns its secret, shown once.
func (s *Service) CreateClient(ctx context.Context, p Principal, spec ClientSpec) (storage.Client, string, error) {
	if err := p.platformOnly("creating a client"); err != nil {
		return storage.Client{}, "", err
	}
	c, secret, err := CreateClient(ctx, s.Store, s.Secrets, spec, s.Now())
	if err != nil {
		return c, "", err
	}
	return c, secret, s.audit(ctx, p, EventClientCreated, "", c.ID, map[string]string{"name": c.Name})
}

// UpdateClient changes a client as UpdateClient does.
func (s *Service) UpdateClient(ctx context.Context, p Principal, id string, change func(*ClientSpec)) (storage.Client, error) {
	if err := p.platformOnly("changing a client"); err != nil {
		return storage.Client{}, err
	}
	c, err := UpdateClient(ctx, s.Store, id, change, s.Now())
	if err != nil {
		return c, err
	}
	return c, s.audit(ctx, p, EventClientUpdated, "", c.ID, nil)
}

// DeleteClient removes a client; its tokens stop working with it.
func (s *Service) DeleteClient(ctx context.Context, p Principal, id string) error {
	if err := p.platformOnly("deleting a client"); err != nil {
		return err
	}
	if err := s.Store.DeleteClient(ctx, id); err != nil {
		return fmt.Errorf("delete client %q: %w", id, err)
	}
	return s.audit(ctx, p, EventClientDeleted, "", id, nil)
}

// RotateClientSecret gives a confidential client a new secret, shown once.
func (s *Service) RotateClientSecret(ctx context.Context, p Principal, id string) (string, error) {
	if err := p.platformOnly("rotating a client secret"); err != nil {
		return "", err
	}
	secret, err := RotateClientSecret(ctx, s.Store, s.Secrets, id, s.Now())
	if err != nil {
		return "", err
	}
	return secret, s.audit(ctx, p, EventClientRotated, "", id, nil)
}

// Users.

// Users returns a page of the users q matches that p sees, ordered by id, and
// the cursor of the next page ("" after the last).
func (s *Service) Users(ctx context.Context, p Principal, q storage.UserQuery) ([]storage.User, string, error) {
	q, err := p.users(q)
	if err != nil {
		return nil, "", err
	}
	return pageOf(q.Limit, func(limit int) ([]storage.User, error) {
		q.Limit = limit
		return s.Store.SearchUsers(ctx, q)
	}, func(u storage.User) string { return u.ID })
}

// pageOf fetches one more row than limit (zero or less: all), to tell whether a
// next page follows, and returns the page and the cursor of the next one (the
// id of the page's last row; "" after the last page).
func pageOf[T any](limit int, fetch func(limit int) ([]T, error), id func(T) string) ([]T, string, error) {
	ask := limit
	if limit > 0 {
		ask = limit + 1
	}
	rows, err := fetch(ask)
	if err != nil {
		return nil, "", err
	}
	if limit > 0 && len(rows) > limit {
		return rows[:limit], id(rows[limit-1]), nil
	}
	return rows, "", nil
}

// CountUsers counts the users q matches that p sees.
func (s *Service) CountUsers(ctx context.Context, p Principal, q storage.UserQuery) (int, error) {
	q, err := p.users(q)
	if err != nil {
		return 0, err
	}
	return s.Store.CountUsers(ctx, q)
}

// User reads a user p sees; any other is storage.ErrNotFound.
func (s *Service) User(ctx context.Context, p Principal, id string) (storage.User, error) {
	u, err := s.Store.GetUser(ctx, id)
	if err != nil {
		return storage.User{}, fmt.Errorf("user %q: %w", id, err)
	}
	if err := p.seeUser(u); err != nil {
		return storage.User{}, err
	}
	return u, nil
}

// CreateUser creates a user in the organisation with these groups (an
// organisation administrator: only in theirs).
func (s *Service) CreateUser(ctx context.Context, p Principal, spec UserSpec, orgID string, groups []string) (storage.User, error) {
	if err := p.placeUser(orgID); err != nil {
		return storage.User{}, err
	}
	u, err := CreateMember(ctx, s.Store, s.Passwords, spec, orgID, groups, p.Actor, s.Now())
	if err != nil {
		return u, err
	}
	return u, s.audit(ctx, p, EventUserCreated, u.ID, "", nil)
}

// DisableUser disables a user and ends what they hold (as DisableUser does).
func (s *Service) DisableUser(ctx context.Context, p Principal, id string) (storage.User, error) {
	u, err := s.changeable(ctx, p, id)
	if err != nil {
		return u, err
	}
	if u, err = disable(ctx, s.Store, u, s.Now()); err != nil {
		return u, err
	}
	return u, s.audit(ctx, p, EventUserDisabled, u.ID, "", nil)
}

// EnableUser lets a disabled user sign in again.
func (s *Service) EnableUser(ctx context.Context, p Principal, id string) (storage.User, error) {
	u, err := s.changeable(ctx, p, id)
	if err != nil {
		return u, err
	}
	u.Disabled, u.UpdatedAt = false, s.Now().UTC()
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return u, fmt.Errorf("enable user %q: %w", id, err)
	}
	return u, s.audit(ctx, p, EventUserEnabled, u.ID, "", nil)
}

// Unlock clears the user's failure counters: the password's (by email) and the
// second factor's. Counters by address stay, being nobody's in particular.
func (s *Service) Unlock(ctx context.Context, p Principal, id string) error {
	u, err := s.changeable(ctx, p, id)
	if err != nil {
		return err
	}
	for _, key := range UserThrottleKeys(u) {
		if err := s.Store.ResetThrottle(ctx, key); err != nil {
			return fmt.Errorf("unlock %q: %w", id, err)
		}
	}
	return s.audit(ctx, p, EventUserUnlocked, u.ID, "", nil)
}

// UserThrottleKeys are the failure counters that lock one user out: the
// sign-in's password counter for their email and their second-factor counter.
func UserThrottleKeys(u storage.User) []string {
	return []string{"login:acct:" + flows.Digest(u.Email), "2fa:user:" + u.ID}
}

// ResetSecondFactors removes every second factor of the user and what stood in
// for one, and ends their sessions: the effect of a user's own reset (MFA-10),
// audited as the administrator's. The caller tells the user.
func (s *Service) ResetSecondFactors(ctx context.Context, p Principal, id string) error {
	u, err := s.changeable(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.Removal.RemoveSecondFactors(ctx, u.ID); err != nil {
		return fmt.Errorf("reset %q: %w", u.ID, err)
	}
	// Sessions hold proofs of the removed factors: they end.
	if _, err := s.Store.DeleteSessionsByUser(ctx, u.ID); err != nil {
		return fmt.Errorf("reset %q: end sessions: %w", u.ID, err)
	}
	return s.audit(ctx, p, EventMFAReset, u.ID, "", map[string]string{"via": "admin"})
}

// SetUserOrg moves a user p sees into an organisation p may place users in.
func (s *Service) SetUserOrg(ctx context.Context, p Principal, id, orgID string, groups []string) (storage.User, error) {
	if _, err := s.changeable(ctx, p, id); err != nil {
		return storage.User{}, err
	}
	if err := p.placeUser(orgID); err != nil {
		return storage.User{}, err
	}
	if err := orgs.SetUserOrg(ctx, s.Store, id, orgID, groups, p.Actor, s.Now()); err != nil {
		return storage.User{}, err
	}
	return s.Store.GetUser(ctx, id)
}

// Factor is one second factor of a user as an administrator sees it: never a
// secret.
type Factor struct {
	// Kind is "totp", "webauthn", "phone" or "recovery_codes".
	Kind string
	ID   string
	// Name is the factor's name; for a phone, the number's last digits only.
	Name       string
	Passkey    bool
	Primary    bool
	Unused     int // recovery codes left
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Factors lists the user's second factors.
func (s *Service) Factors(ctx context.Context, p Principal, id string) ([]Factor, error) {
	u, err := s.User(ctx, p, id)
	if err != nil {
		return nil, err
	}
	var out []Factor
	devices, err := s.Store.ListTOTPDevices(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	for _, d := range devices {
		if d.Active {
			out = append(out, Factor{Kind: "totp", ID: d.ID, Name: d.Name, CreatedAt: d.CreatedAt, LastUsedAt: d.LastUsedAt})
		}
	}
	keys, err := s.Store.ListWebAuthnCredentials(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	for _, k := range keys {
		out = append(out, Factor{Kind: "webauthn", ID: hex.EncodeToString(k.ID), Name: k.Name,
			Passkey: k.Discoverable && k.UserVerified, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt})
	}
	switch ph, err := s.Store.GetPhoneNumber(ctx, u.ID); {
	case err == nil:
		out = append(out, Factor{Kind: "phone", Name: maskPhone(ph.E164), Primary: ph.Primary, CreatedAt: ph.VerifiedAt, LastUsedAt: ph.LastUsedAt})
	case !errors.Is(err, storage.ErrNotFound):
		return nil, fmt.Errorf("read phone: %w", err)
	}
	total, unused, err := s.Store.CountRecoveryCodes(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("count recovery codes: %w", err)
	}
	if total > 0 {
		out = append(out, Factor{Kind: "recovery_codes", Name: "Recovery codes", Unused: unused})
	}
	return out, nil
}

// maskPhone keeps the last two digits of a number.
func maskPhone(e164 string) string {
	if len(e164) <= 2 {
		return "••"
	}
	return "••• " + e164[len(e164)-2:]
}

// Sessions lists the user's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, p Principal, id string) ([]storage.Session, error) {
	u, err := s.User(ctx, p, id)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.ListSessionsByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	now := s.Now()
	var live []storage.Session
	for _, x := range all {
		if now.Before(x.ExpiresAt) {
			live = append(live, x)
		}
	}
	return live, nil
}

// RevokeSessions ends one session of the user (sessionID) or, with sessionID "",
// every one of them, with their refresh and access tokens.
func (s *Service) RevokeSessions(ctx context.Context, p Principal, id, sessionID string) error {
	u, err := s.changeable(ctx, p, id)
	if err != nil {
		return err
	}
	if sessionID == "" {
		if _, err := s.Store.DeleteSessionsByUser(ctx, u.ID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		for _, k := range []storage.TokenKind{storage.TokenAccess, storage.TokenRefresh} {
			if err := s.Store.DeactivateTokensBySubject(ctx, k, u.ID); err != nil {
				return fmt.Errorf("revoke tokens (%s): %w", k, err)
			}
		}
		return s.audit(ctx, p, EventSessionRevoked, u.ID, "", map[string]string{"session": "all"})
	}
	x, err := s.Store.GetSession(ctx, sessionID)
	if err == nil && x.UserID != u.ID {
		err = storage.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("session of user %q: %w", id, err)
	}
	if err := s.Store.DeleteSession(ctx, x.ID); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return s.audit(ctx, p, EventSessionRevoked, u.ID, "", map[string]string{"session": x.ID})
}

// Organisations.

// Orgs lists the organisations p sees.
func (s *Service) Orgs(ctx context.Context, p Principal) ([]storage.Organisation, error) {
	all, err := s.Store.ListOrganisations(ctx)
	if err != nil {
		return nil, err
	}
	var out []storage.Organisation
	for _, o := range all {
		if p.seeOrg(o.ID) == nil {
			out = append(out, o)
		}
	}
	return out, nil
}

// Org reads an organisation p sees.
func (s *Service) Org(ctx context.Context, p Principal, id string) (storage.Organisation, error) {
	if err := p.seeOrg(id); err != nil {
		return storage.Organisation{}, err
	}
	o, err := s.Store.GetOrganisation(ctx, id)
	if err != nil {
		return o, fmt.Errorf("organisation %q: %w", id, err)
	}
	return o, nil
}

// CreateOrg creates an organisation (platform administrators only).
func (s *Service) CreateOrg(ctx context.Context, p Principal, spec orgs.CreateSpec) (storage.Organisation, error) {
	if err := p.platformOnly("creating an organisation"); err != nil {
		return storage.Organisation{}, err
	}
	return orgs.Create(ctx, s.Store, spec, p.Actor, s.Now())
}

// RenameOrg renames an organisation p sees.
func (s *Service) RenameOrg(ctx context.Context, p Principal, id, name string) (storage.Organisation, error) {
	if err := p.seeOrg(id); err != nil {
		return storage.Organisation{}, err
	}
	if err := orgs.Rename(ctx, s.Store, id, name, p.Actor, s.Now()); err != nil {
		return storage.Organisation{}, err
	}
	return s.Store.GetOrganisation(ctx, id)
}

// AddGroup adds a group to an organisation p sees.
func (s *Service) AddGroup(ctx context.Context, p Principal, id, name string) error {
	if err := p.seeOrg(id); err != nil {
		return err
	}
	return orgs.AddGroup(ctx, s.Store, id, name, p.Actor, s.Now())
}

// RenameGroup renames a group of an organisation p sees.
func (s *Service) RenameGroup(ctx context.Context, p Principal, id, oldName, newName string) error {
	if err := p.seeOrg(id); err != nil {
		return err
	}
	return orgs.RenameGroup(ctx, s.Store, id, oldName, newName, p.Actor, s.Now())
}

// SetPolicy sets the security policy of an organisation p sees.
func (s *Service) SetPolicy(ctx context.Context, p Principal, id string, policy storage.OrgPolicy) (storage.Organisation, error) {
	if err := p.seeOrg(id); err != nil {
		return storage.Organisation{}, err
	}
	if err := orgs.SetPolicy(ctx, s.Store, id, policy, p.Actor, s.Now()); err != nil {
		return storage.Organisation{}, err
	}
	return s.Store.GetOrganisation(ctx, id)
}

// Audit returns a page of the audit events q matches that p sees, newest first,
// and the cursor of the next page ("" after the last).
func (s *Service) Audit(ctx context.Context, p Principal, q storage.AuditQuery) ([]storage.AuditEvent, string, error) {
	q, err := p.audit(q)
	if err != nil {
		return nil, "", err
	}
	return pageOf(q.Limit, func(limit int) ([]storage.AuditEvent, error) {
		q.Limit = limit
		return s.Store.QueryAudit(ctx, q)
	}, func(e storage.AuditEvent) string { return e.ID })
}
