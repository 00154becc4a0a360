// Package memory is an in-process storage.Storage: maps behind one mutex. It backs
// dev mode and fast tests, and passes the same conformance suite as Postgres.
//
// Every record is copied on the way in and on the way out, so callers can neither
// change stored state through a slice they passed nor through one they got back.
// Times are kept as given (nanoseconds, caller's location); Postgres keeps
// microseconds in UTC, which is why the conformance suite compares with time.Equal.
package memory

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

var _ storage.Storage = (*Store)(nil)

type tokenKey struct {
	kind      storage.TokenKind
	signature string
}

type consentKey struct {
	userID, clientID string
}

type throttleEntry struct {
	count   int
	resetAt time.Time
}

// Store is the in-memory backend. The zero value is not usable; call New.
type Store struct {
	mu       sync.Mutex
	clients  map[string]storage.Client
	users    map[string]storage.User
	emails   map[string]string // email -> user ID, for uniqueness and lookup
	orgs     map[string]storage.Organisation
	tokens   map[tokenKey]storage.Token
	flows    map[string]storage.Flow
	sessions map[string]storage.Session
	consents map[consentKey]storage.Consent
	keys     map[string]storage.SigningKey
	throttle map[string]throttleEntry
	nonces   map[string]time.Time
	audit    []storage.AuditEvent // in append order
	auditIDs map[string]struct{}
	totp     map[string]storage.TOTPDevice
	recovery map[string]map[string]bool // user ID -> hash -> used; no times, as none is read back
	// webauthn is keyed by string(credential ID).
	webauthn map[string]storage.WebAuthnCredential
	ceremony map[string]ceremony
	phones   map[string]storage.PhoneNumber // by user ID
	codes    map[string]storage.OneTimeCode // by key
	trusts   map[string]storage.Trust
	links    map[string]storage.EmailLink // by hash
	admins   map[string]bool              // platform administrators' user IDs (admins.go)
	logos    map[logoKey]storage.Logo     // logos.go
}

type ceremony struct {
	data      []byte
	expiresAt time.Time
}

// New returns an empty store.
func New() *Store {
	return &Store{
		clients:  map[string]storage.Client{},
		users:    map[string]storage.User{},
		emails:   map[string]string{},
		orgs:     map[string]storage.Organisation{},
		tokens:   map[tokenKey]storage.Token{},
		flows:    map[string]storage.Flow{},
		sessions: map[string]storage.Session{},
		consents: map[consentKey]storage.Consent{},
		keys:     map[string]storage.SigningKey{},
		throttle: map[string]throttleEntry{},
		nonces:   map[string]time.Time{},
		auditIDs: map[string]struct{}{},
		totp:     map[string]storage.TOTPDevice{},
		recovery: map[string]map[string]bool{},
		webauthn: map[string]storage.WebAuthnCredential{},
		ceremony: map[string]ceremony{},
		phones:   map[string]storage.PhoneNumber{},
		codes:    map[string]storage.OneTimeCode{},
		trusts:   map[string]storage.Trust{},
		links:    map[string]storage.EmailLink{},
		logos:    map[logoKey]storage.Logo{},
	}
}

// Ping always succeeds.
func (s *Store) Ping(context.Context) error { return nil }

// Close does nothing; the store stays usable.
func (s *Store) Close() error { return nil }

func notFound(what, id string) error {
	return fmt.Errorf("memory: %s %q: %w", what, id, storage.ErrNotFound)
}

func exists(what, id string) error {
	return fmt.Errorf("memory: %s %q: %w", what, id, storage.ErrAlreadyExists)
}

func conflict(what, id string) error {
	return fmt.Errorf("memory: %s %q: %w", what, id, storage.ErrConflict)
}

// Clients.

func copyClient(c storage.Client) storage.Client {
	c.SecretHash = slices.Clone(c.SecretHash)
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	c.Scopes = slices.Clone(c.Scopes)
	c.DefaultACRValues = slices.Clone(c.DefaultACRValues)
	return c
}

func (s *Store) CreateClient(_ context.Context, c storage.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return exists("create client", c.ID)
	}
	c.LogoSum = "" // a new client has no logo
	s.clients[c.ID] = copyClient(c)
	return nil
}

func (s *Store) GetClient(_ context.Context, id string) (storage.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return storage.Client{}, notFound("get client", id)
	}
	return copyClient(c), nil
}

func (s *Store) ListClients(context.Context) ([]storage.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]storage.Client, 0, len(s.clients))
	for _, id := range slices.Sorted(maps.Keys(s.clients)) {
		out = append(out, copyClient(s.clients[id]))
	}
	return out, nil
}

func (s *Store) UpdateClient(_ context.Context, c storage.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.clients[c.ID]
	if !ok {
		return notFound("update client", c.ID)
	}
	c.LogoSum = old.LogoSum // only SetLogo and DeleteLogo change it
	s.clients[c.ID] = copyClient(c)
	return nil
}

func (s *Store) DeleteClient(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return notFound("delete client", id)
	}
	delete(s.clients, id)
	delete(s.logos, logoKey{storage.LogoClient, id})
	return nil
}

// Users.

func copyUser(u storage.User) storage.User {
	u.Groups = slices.Clone(u.Groups)
	return u
}

func (s *Store) CreateUser(_ context.Context, u storage.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.orgOf("create user", u.OrgID)
	if err != nil {
		return err
	}
	if err := o.CheckGroups(u.Groups); err != nil {
		return fmt.Errorf("memory: create user %q: %w", u.ID, err)
	}
	if _, ok := s.users[u.ID]; ok {
		return exists("create user", u.ID)
	}
	if _, ok := s.emails[u.Email]; ok {
		return fmt.Errorf("memory: create user %q: email %q: %w", u.ID, u.Email, storage.ErrAlreadyExists)
	}
	u = copyUser(u)
	u.MFADeadline = deadline(o, u.Groups, time.Time{}, u.CreatedAt)
	s.users[u.ID] = u
	s.emails[u.Email] = u.ID
	return nil
}

func (s *Store) GetUser(_ context.Context, id string) (storage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return storage.User{}, notFound("get user", id)
	}
	return copyUser(u), nil
}

func (s *Store) GetUserByEmail(_ context.Context, email string) (storage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.emails[email]
	if !ok {
		return storage.User{}, notFound("get user by email", email)
	}
	return copyUser(s.users[id]), nil
}

func (s *Store) ListUsers(context.Context) ([]storage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]storage.User, 0, len(s.users))
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		out = append(out, copyUser(s.users[id]))
	}
	return out, nil
}

func (s *Store) UpdateUser(_ context.Context, u storage.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[u.ID]
	if !ok {
		return notFound("update user", u.ID)
	}
	if owner, ok := s.emails[u.Email]; ok && owner != u.ID {
		return fmt.Errorf("memory: update user %q: email %q: %w", u.ID, u.Email, storage.ErrAlreadyExists)
	}
	delete(s.emails, old.Email)
	s.emails[u.Email] = u.ID
	u.OrgID, u.Groups, u.MFADeadline = old.OrgID, old.Groups, old.MFADeadline
	s.users[u.ID] = u
	return nil
}

func (s *Store) SetUserNames(_ context.Context, id, given, family string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return notFound("set user names", id)
	}
	u.GivenName, u.FamilyName, u.UpdatedAt = given, family, now
	s.users[id] = u
	return nil
}

func (s *Store) SetUserEmail(_ context.Context, id, email string, verified bool, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return notFound("set user email", id)
	}
	if owner, ok := s.emails[email]; ok && owner != id {
		return fmt.Errorf("memory: set email of user %q: email %q: %w", id, email, storage.ErrAlreadyExists)
	}
	delete(s.emails, u.Email)
	s.emails[email] = id
	u.Email, u.EmailVerified, u.UpdatedAt = email, verified, now
	s.users[id] = u
	return nil
}

// Organisations.

func copyOrg(o storage.Organisation) storage.Organisation {
	o.Groups = slices.Clone(o.Groups)
	o.Policy.CoveredGroups = slices.Clone(o.Policy.CoveredGroups)
	return o
}

// orgOf returns the organisation a user in orgID belongs to, the zero one for
// "". The caller holds the lock.
func (s *Store) orgOf(what, orgID string) (storage.Organisation, error) {
	if orgID == "" {
		return storage.Organisation{}, nil
	}
	o, ok := s.orgs[orgID]
	if !ok {
		return storage.Organisation{}, notFound(what+": organisation", orgID)
	}
	return o, nil
}

// deadline is the MFADeadline, after a change at now, of a member of o with
// groups who had deadline kept in o (zero when none or not in o): storage.OrgStore's
// rule, which postgres states in SQL.
func deadline(o storage.Organisation, groups []string, kept, now time.Time) time.Time {
	switch {
	case !o.Policy.Covers(groups):
		return time.Time{}
	case kept.IsZero():
		return now.Add(time.Duration(o.Policy.GraceDays) * 24 * time.Hour)
	default:
		return kept
	}
}

func (s *Store) CreateOrganisation(_ context.Context, o storage.Organisation, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := o.Check(); err != nil {
		return fmt.Errorf("memory: create organisation %q: %w", o.ID, err)
	}
	if _, ok := s.orgs[o.ID]; ok {
		return exists("create organisation", o.ID)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	o.BrandName, o.LogoSum = "", "" // only the BrandStore calls set them
	s.orgs[o.ID] = copyOrg(o)
	s.putAudit(audit)
	return nil
}

func (s *Store) GetOrganisation(_ context.Context, id string) (storage.Organisation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		return storage.Organisation{}, notFound("get organisation", id)
	}
	return copyOrg(o), nil
}

func (s *Store) ListOrganisations(context.Context) ([]storage.Organisation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]storage.Organisation, 0, len(s.orgs))
	for _, id := range slices.Sorted(maps.Keys(s.orgs)) {
		out = append(out, copyOrg(s.orgs[id]))
	}
	return out, nil
}

func (s *Store) AddGroup(_ context.Context, orgID, name string, now time.Time, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[orgID]
	if !ok {
		return notFound("add group: organisation", orgID)
	}
	if slices.Contains(o.Groups, name) {
		return exists("add group to "+orgID, name)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	o.Groups = append(slices.Clone(o.Groups), name)
	o.UpdatedAt = now
	s.orgs[orgID] = o
	s.putAudit(audit)
	return nil
}

func (s *Store) RenameGroup(_ context.Context, orgID, oldName, newName string, now time.Time, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[orgID]
	if !ok {
		return notFound("rename group: organisation", orgID)
	}
	if !slices.Contains(o.Groups, oldName) {
		return fmt.Errorf("memory: rename group: organisation %q has no group %q: %w", orgID, oldName, storage.ErrInvalid)
	}
	if slices.Contains(o.Groups, newName) {
		return exists("rename group in "+orgID+" to", newName)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	rename := func(gs []string) []string {
		gs = slices.Clone(gs)
		if i := slices.Index(gs, oldName); i >= 0 {
			gs[i] = newName
		}
		return gs
	}
	o.Groups, o.Policy.CoveredGroups = rename(o.Groups), rename(o.Policy.CoveredGroups)
	o.UpdatedAt = now
	s.orgs[orgID] = o
	for id, u := range s.users {
		if u.OrgID == orgID {
			u.Groups = rename(u.Groups)
			s.users[id] = u
		}
	}
	s.putAudit(audit)
	return nil
}

func (s *Store) SetOrgPolicy(_ context.Context, orgID string, p storage.OrgPolicy, now time.Time, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[orgID]
	if !ok {
		return notFound("set policy: organisation", orgID)
	}
	if err := o.CheckPolicy(p); err != nil {
		return fmt.Errorf("memory: set policy of organisation %q: %w", orgID, err)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	o.Policy = p
	o.Policy.CoveredGroups = slices.Clone(p.CoveredGroups)
	o.UpdatedAt = now
	s.orgs[orgID] = o
	for id, u := range s.users {
		if u.OrgID == orgID {
			u.MFADeadline = deadline(o, u.Groups, u.MFADeadline, now)
			s.users[id] = u
		}
	}
	s.putAudit(audit)
	return nil
}

func (s *Store) SetUserOrg(_ context.Context, userID, orgID string, groups []string, now time.Time, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.orgOf("set organisation of user", orgID)
	if err != nil {
		return err
	}
	if err := o.CheckGroups(groups); err != nil {
		return fmt.Errorf("memory: set organisation of user %q: %w", userID, err)
	}
	u, ok := s.users[userID]
	if !ok {
		return notFound("set organisation of user", userID)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	var kept time.Time
	if u.OrgID == orgID {
		kept = u.MFADeadline
	}
	u.OrgID, u.Groups, u.UpdatedAt = orgID, slices.Clone(groups), now
	u.MFADeadline = deadline(o, groups, kept, now)
	s.users[userID] = u
	s.putAudit(audit)
	return nil
}

func (s *Store) ListUsersByOrg(_ context.Context, orgID string) ([]storage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.User
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		if u := s.users[id]; u.OrgID == orgID {
			out = append(out, copyUser(u))
		}
	}
	return out, nil
}

// Tokens.

func copyToken(t storage.Token) storage.Token {
	t.Data = slices.Clone(t.Data)
	return t
}

func (s *Store) CreateToken(_ context.Context, t storage.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{t.Kind, t.Signature}
	if _, ok := s.tokens[k]; ok {
		return exists("create token "+string(t.Kind), t.Signature)
	}
	s.tokens[k] = copyToken(t)
	return nil
}

func (s *Store) CreateTokens(_ context.Context, ts []storage.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.tokensFree(ts); err != nil {
		return err
	}
	s.putTokens(ts)
	return nil
}

// tokensFree reports ErrAlreadyExists when a token of ts is stored or listed twice.
// The caller holds the lock.
func (s *Store) tokensFree(ts []storage.Token) error {
	seen := make(map[tokenKey]bool, len(ts))
	for _, t := range ts {
		k := tokenKey{t.Kind, t.Signature}
		if _, ok := s.tokens[k]; ok || seen[k] {
			return exists("create token "+string(t.Kind), t.Signature)
		}
		seen[k] = true
	}
	return nil
}

func (s *Store) putTokens(ts []storage.Token) {
	for _, t := range ts {
		s.tokens[tokenKey{t.Kind, t.Signature}] = copyToken(t)
	}
}

func (s *Store) GetTokens(_ context.Context, signature string, kinds ...storage.TokenKind) ([]storage.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.Token
	for _, kind := range kinds {
		if t, ok := s.tokens[tokenKey{kind, signature}]; ok {
			out = append(out, copyToken(t))
		}
	}
	return out, nil
}

func (s *Store) GetToken(_ context.Context, kind storage.TokenKind, signature string) (storage.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenKey{kind, signature}]
	if !ok {
		return storage.Token{}, notFound("get token "+string(kind), signature)
	}
	return copyToken(t), nil
}

func (s *Store) DeleteToken(_ context.Context, kind storage.TokenKind, signature string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{kind, signature}
	if _, ok := s.tokens[k]; !ok {
		return notFound("delete token "+string(kind), signature)
	}
	delete(s.tokens, k)
	return nil
}

func (s *Store) ConsumeToken(ctx context.Context, kind storage.TokenKind, signature string) error {
	return s.ConsumeTokenCreating(ctx, kind, signature, nil, nil)
}

func (s *Store) ConsumeTokenCreating(_ context.Context, kind storage.TokenKind, signature string, also []storage.TokenKind, ts []storage.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumeCreating(kind, signature, also, "", ts)
}

func (s *Store) SpendRefreshToken(_ context.Context, signature, requestID string, ts []storage.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumeCreating(storage.TokenRefresh, signature, nil, requestID, ts)
}

// consumeCreating spends the token, deletes its also records, ends the access
// tokens of family (unless "") and stores ts; s.mu is held.
func (s *Store) consumeCreating(kind storage.TokenKind, signature string, also []storage.TokenKind, family string, ts []storage.Token) error {
	k := tokenKey{kind, signature}
	t, ok := s.tokens[k]
	if !ok {
		return notFound("consume token "+string(kind), signature)
	}
	if !t.Active {
		return conflict("consume token "+string(kind), signature)
	}
	if u, ok := s.users[t.Subject]; ok && u.Disabled {
		return fmt.Errorf("memory: consume token %s %q: %w", kind, signature, storage.ErrDisabled)
	}
	if err := s.tokensFree(ts); err != nil {
		return err
	}
	t.Active = false
	s.tokens[k] = t
	for _, other := range also {
		delete(s.tokens, tokenKey{other, signature})
	}
	if family != "" {
		s.deactivateTokensLocked(storage.TokenAccess, func(t storage.Token) bool { return t.RequestID == family })
	}
	s.putTokens(ts)
	return nil
}

// deactivateTokens marks inactive every token of kind for which match is true.
// A linear scan is fine at dev-mode sizes.
func (s *Store) deactivateTokens(kind storage.TokenKind, match func(storage.Token) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deactivateTokensLocked(kind, match)
}

// deactivateTokensLocked is deactivateTokens with s.mu held.
func (s *Store) deactivateTokensLocked(kind storage.TokenKind, match func(storage.Token) bool) {
	for k, t := range s.tokens {
		if k.kind == kind && t.Active && match(t) {
			t.Active = false
			s.tokens[k] = t
		}
	}
}

func (s *Store) DeactivateTokensByRequestID(_ context.Context, kind storage.TokenKind, requestID string) error {
	s.deactivateTokens(kind, func(t storage.Token) bool { return t.RequestID == requestID })
	return nil
}

func (s *Store) DeactivateTokensBySubject(_ context.Context, kind storage.TokenKind, subject string) error {
	s.deactivateTokens(kind, func(t storage.Token) bool { return t.Subject == subject })
	return nil
}

// deleteExpired removes the entries of m whose expiry is before the given time.
func deleteExpired[K comparable, V any](m map[K]V, expiresAt func(V) time.Time, before time.Time) int {
	n := 0
	for k, v := range m {
		if expiresAt(v).Before(before) {
			delete(m, k)
			n++
		}
	}
	return n
}

func (s *Store) DeleteExpiredTokens(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.tokens, func(t storage.Token) time.Time { return t.ExpiresAt }, before), nil
}

// Flows.

func copyFlow(f storage.Flow) storage.Flow {
	f.Proven = slices.Clone(f.Proven)
	return f
}

func (s *Store) CreateFlowAudited(_ context.Context, f storage.Flow, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.flows[f.ID]; ok {
		return exists("create flow", f.ID)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	s.flows[f.ID] = copyFlow(f)
	s.putAudit(audit)
	return nil
}

func (s *Store) GetFlow(_ context.Context, id string) (storage.Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.flows[id]
	if !ok {
		return storage.Flow{}, notFound("get flow", id)
	}
	return copyFlow(f), nil
}

// flowAt reports whether f's stored version is f.Version. The caller holds the lock.
func (s *Store) flowAt(f storage.Flow) error {
	old, ok := s.flows[f.ID]
	if !ok {
		return notFound("update flow", f.ID)
	}
	if old.Version != f.Version {
		return fmt.Errorf("memory: update flow %q at version %d (stored %d): %w", f.ID, f.Version, old.Version, storage.ErrConflict)
	}
	return nil
}

// putFlowNext stores f as its next version.
func (s *Store) putFlowNext(f storage.Flow) {
	f = copyFlow(f)
	f.Version++
	s.flows[f.ID] = f
}

func (s *Store) DeleteFlow(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.flows[id]; !ok {
		return notFound("delete flow", id)
	}
	delete(s.flows, id)
	return nil
}

func (s *Store) DeleteExpiredFlows(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.flows, func(f storage.Flow) time.Time { return f.ExpiresAt }, before), nil
}

// Sessions.

func copySession(x storage.Session) storage.Session {
	x.Factors = slices.Clone(x.Factors)
	return x
}

func (s *Store) CreateSession(_ context.Context, x storage.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[x.ID]; ok {
		return exists("create session", x.ID)
	}
	s.sessions[x.ID] = copySession(x)
	return nil
}

func (s *Store) GetSession(_ context.Context, id string) (storage.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[id]
	if !ok {
		return storage.Session{}, notFound("get session", id)
	}
	return copySession(x), nil
}

func (s *Store) DeleteSession(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[id]; !ok {
		return notFound("delete session", id)
	}
	delete(s.sessions, id)
	return nil
}

func (s *Store) SetSessionFactors(_ context.Context, id string, factors []storage.FactorProof, authTime time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[id]
	if !ok {
		return notFound("set session factors", id)
	}
	x.Factors, x.AuthTime = slices.Clone(factors), authTime
	s.sessions[id] = x
	return nil
}

func (s *Store) TouchSession(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[id]
	if !ok {
		return notFound("touch session", id)
	}
	x.LastSeenAt = at
	s.sessions[id] = x
	return nil
}

func (s *Store) ListSessionsByUser(_ context.Context, userID string) ([]storage.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.Session
	for _, x := range s.sessions {
		if x.UserID == userID {
			out = append(out, copySession(x))
		}
	}
	slices.SortFunc(out, func(a, b storage.Session) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) DeleteSessionsByUser(_ context.Context, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, x := range s.sessions {
		if x.UserID == userID {
			delete(s.sessions, id)
			n++
		}
	}
	return n, nil
}

func (s *Store) DeleteExpiredSessions(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.sessions, func(x storage.Session) time.Time { return x.ExpiresAt }, before), nil
}

// Consents.

func (s *Store) SaveConsent(_ context.Context, c storage.Consent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Scopes = slices.Clone(c.Scopes)
	s.consents[consentKey{c.UserID, c.ClientID}] = c
	return nil
}

func (s *Store) GetConsent(_ context.Context, userID, clientID string) (storage.Consent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.consents[consentKey{userID, clientID}]
	if !ok {
		return storage.Consent{}, notFound("get consent", userID+"/"+clientID)
	}
	c.Scopes = slices.Clone(c.Scopes)
	return c, nil
}

func (s *Store) DeleteConsent(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := consentKey{userID, clientID}
	if _, ok := s.consents[k]; !ok {
		return notFound("delete consent", userID+"/"+clientID)
	}
	delete(s.consents, k)
	return nil
}

// Signing keys.

func copyKey(k storage.SigningKey) storage.SigningKey {
	k.PrivateEnc = slices.Clone(k.PrivateEnc)
	k.PublicJWK = slices.Clone(k.PublicJWK)
	return k
}

func (s *Store) ListSigningKeys(context.Context) ([]storage.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]storage.SigningKey, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, copyKey(k))
	}
	slices.SortFunc(out, func(a, b storage.SigningKey) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) AddSigningKey(_ context.Context, k storage.SigningKey, retiredUntil time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.ID]; ok {
		return exists("add signing key", k.ID)
	}
	for id, old := range s.keys {
		if old.Algorithm == k.Algorithm && old.RetiredAt.IsZero() {
			old.RetiredAt = k.CreatedAt
			old.ExpiresAt = retiredUntil
			s.keys[id] = old
		}
	}
	s.keys[k.ID] = copyKey(k)
	return nil
}

func (s *Store) DeleteExpiredSigningKeys(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, k := range s.keys {
		if !k.ExpiresAt.IsZero() && k.ExpiresAt.Before(before) {
			delete(s.keys, id)
			n++
		}
	}
	return n, nil
}

// Throttle.

func (s *Store) HitThrottle(_ context.Context, key string, window time.Duration, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.throttle[key]
	if !ok || !e.resetAt.After(now) {
		e = throttleEntry{resetAt: now.Add(window)}
	}
	e.count++
	s.throttle[key] = e
	return e.count, nil
}

func (s *Store) ThrottleCount(_ context.Context, key string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.throttle[key]
	if !ok || !e.resetAt.After(now) {
		return 0, nil
	}
	return e.count, nil
}

func (s *Store) ResetThrottle(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.throttle, key)
	return nil
}

func (s *Store) DeleteExpiredThrottles(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.throttle, func(e throttleEntry) time.Time { return e.resetAt }, before), nil
}

// Nonces.

func (s *Store) DeleteExpiredNonces(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.nonces, func(t time.Time) time.Time { return t }, before), nil
}

func (s *Store) UseNonce(_ context.Context, key string, expiresAt time.Time, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.nonces[key]; ok && old.After(now) {
		return conflict("use nonce", key)
	}
	s.nonces[key] = expiresAt
	return nil
}

// Audit.

func copyEvent(e storage.AuditEvent) storage.AuditEvent {
	e.Detail = maps.Clone(e.Detail)
	return e
}

func (s *Store) AppendAudit(_ context.Context, e storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.auditIDs[e.ID]; ok {
		return exists("append audit", e.ID)
	}
	s.auditIDs[e.ID] = struct{}{}
	s.audit = append(s.audit, copyEvent(e))
	return nil
}

func (s *Store) AppendAudits(_ context.Context, es []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.auditFree(es); err != nil {
		return err
	}
	s.putAudit(es)
	return nil
}

// auditFree reports ErrAlreadyExists when an event id of es is in use or listed
// twice. The caller holds the lock.
func (s *Store) auditFree(es []storage.AuditEvent) error {
	seen := make(map[string]bool, len(es))
	for _, e := range es {
		if _, ok := s.auditIDs[e.ID]; ok || seen[e.ID] {
			return exists("append audit", e.ID)
		}
		seen[e.ID] = true
	}
	return nil
}

func (s *Store) putAudit(es []storage.AuditEvent) {
	for _, e := range es {
		s.auditIDs[e.ID] = struct{}{}
		s.audit = append(s.audit, copyEvent(e))
	}
}

func (s *Store) ListAudit(_ context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.AuditEvent
	// Walking backwards and sorting stably puts events with equal At newest-appended first.
	for _, e := range slices.Backward(s.audit) {
		if (f.UserID == "" || e.UserID == f.UserID) &&
			(f.ClientID == "" || e.ClientID == f.ClientID) &&
			(f.Since.IsZero() || !e.At.Before(f.Since)) &&
			(f.Until.IsZero() || e.At.Before(f.Until)) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b storage.AuditEvent) int { return b.At.Compare(a.At) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i] = copyEvent(out[i])
	}
	return out, nil
}

// TOTP devices.

func copyTOTPDevice(d storage.TOTPDevice) storage.TOTPDevice {
	d.SecretEnc = slices.Clone(d.SecretEnc)
	return d
}

func (s *Store) CreateTOTPDevice(_ context.Context, d storage.TOTPDevice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.totp[d.ID]; ok {
		return exists("create totp device", d.ID)
	}
	s.totp[d.ID] = copyTOTPDevice(d)
	return nil
}

func (s *Store) GetTOTPDevice(_ context.Context, id string) (storage.TOTPDevice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.totp[id]
	if !ok {
		return storage.TOTPDevice{}, notFound("get totp device", id)
	}
	return copyTOTPDevice(d), nil
}

func (s *Store) ListTOTPDevices(_ context.Context, userID string) ([]storage.TOTPDevice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.TOTPDevice
	for _, d := range s.totp {
		if d.UserID == userID {
			out = append(out, copyTOTPDevice(d))
		}
	}
	slices.SortFunc(out, func(a, b storage.TOTPDevice) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) ActivateTOTPDevice(_ context.Context, id string, step int64, at time.Time, revokeOthers bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.totp[id]
	if !ok {
		return notFound("activate totp device", id)
	}
	if d.Active {
		return conflict("activate totp device", id)
	}
	d.Active, d.LastStep, d.ConfirmedAt, d.LastUsedAt = true, step, at, at
	s.totp[id] = d
	if revokeOthers {
		for other, o := range s.totp {
			if o.UserID == d.UserID && other != id {
				delete(s.totp, other)
			}
		}
	}
	return nil
}

func (s *Store) AdvanceTOTPStep(_ context.Context, id string, step int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.totp[id]
	if !ok {
		return notFound("advance totp device", id)
	}
	if !d.Active || d.LastStep >= step {
		return fmt.Errorf("memory: advance totp device %q to step %d (active %t, last step %d): %w", id, step, d.Active, d.LastStep, storage.ErrConflict)
	}
	d.LastStep, d.LastUsedAt = step, at
	s.totp[id] = d
	return nil
}

func (s *Store) RenameTOTPDevice(_ context.Context, id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.totp[id]
	if !ok {
		return notFound("rename totp device", id)
	}
	d.Name = name
	s.totp[id] = d
	return nil
}

func (s *Store) DeleteTOTPDevice(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.totp[id]; !ok {
		return notFound("delete totp device", id)
	}
	delete(s.totp, id)
	return nil
}

func (s *Store) DeleteTOTPDevicesByUser(_ context.Context, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, d := range s.totp {
		if d.UserID == userID {
			delete(s.totp, id)
			n++
		}
	}
	return n, nil
}

// Recovery codes. Errors name the user but never the hash.

func (s *Store) ReplaceRecoveryCodes(_ context.Context, userID string, hashes []string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	codes := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		if _, ok := codes[h]; ok {
			return fmt.Errorf("memory: replace recovery codes of user %q: duplicate hash: %w", userID, storage.ErrAlreadyExists)
		}
		codes[h] = false
	}
	if len(codes) == 0 {
		delete(s.recovery, userID)
		return nil
	}
	s.recovery[userID] = codes
	return nil
}

func (s *Store) UseRecoveryCode(_ context.Context, userID, hash string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	used, ok := s.recovery[userID][hash]
	if !ok {
		return fmt.Errorf("memory: use recovery code of user %q: %w", userID, storage.ErrNotFound)
	}
	if used {
		return fmt.Errorf("memory: use recovery code of user %q: %w", userID, storage.ErrConflict)
	}
	s.recovery[userID][hash] = true
	return nil
}

func (s *Store) CountRecoveryCodes(_ context.Context, userID string) (total, unused int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, used := range s.recovery[userID] {
		total++
		if !used {
			unused++
		}
	}
	return total, unused, nil
}

func (s *Store) DeleteRecoveryCodes(_ context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.recovery, userID)
	return nil
}

// WebAuthn credentials. Errors show credential IDs in hex.

func copyWebAuthnCredential(c storage.WebAuthnCredential) storage.WebAuthnCredential {
	c.ID = slices.Clone(c.ID)
	c.PublicKey = slices.Clone(c.PublicKey)
	c.Transports = slices.Clone(c.Transports)
	c.AAGUID = slices.Clone(c.AAGUID)
	return c
}

func (s *Store) CreateWebAuthnCredential(_ context.Context, c storage.WebAuthnCredential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webauthn[string(c.ID)]; ok {
		return exists("create webauthn credential", hex.EncodeToString(c.ID))
	}
	s.webauthn[string(c.ID)] = copyWebAuthnCredential(c)
	return nil
}

func (s *Store) GetWebAuthnCredential(_ context.Context, id []byte) (storage.WebAuthnCredential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.webauthn[string(id)]
	if !ok {
		return storage.WebAuthnCredential{}, notFound("get webauthn credential", hex.EncodeToString(id))
	}
	return copyWebAuthnCredential(c), nil
}

func (s *Store) ListWebAuthnCredentials(_ context.Context, userID string) ([]storage.WebAuthnCredential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.WebAuthnCredential
	for _, c := range s.webauthn {
		if c.UserID == userID {
			out = append(out, copyWebAuthnCredential(c))
		}
	}
	slices.SortFunc(out, func(a, b storage.WebAuthnCredential) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), bytes.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) UseWebAuthnCredential(_ context.Context, id []byte, count uint32, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.webauthn[string(id)]
	if !ok {
		return notFound("use webauthn credential", hex.EncodeToString(id))
	}
	if c.SignCount >= count && (c.SignCount != 0 || count != 0) {
		return fmt.Errorf("memory: use webauthn credential %x with count %d (stored %d): %w", id, count, c.SignCount, storage.ErrConflict)
	}
	c.SignCount, c.LastUsedAt = count, at
	s.webauthn[string(id)] = c
	return nil
}

func (s *Store) RenameWebAuthnCredential(_ context.Context, id []byte, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.webauthn[string(id)]
	if !ok {
		return notFound("rename webauthn credential", hex.EncodeToString(id))
	}
	c.Name = name
	s.webauthn[string(id)] = c
	return nil
}

func (s *Store) DeleteWebAuthnCredential(_ context.Context, id []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webauthn[string(id)]; !ok {
		return notFound("delete webauthn credential", hex.EncodeToString(id))
	}
	delete(s.webauthn, string(id))
	return nil
}

func (s *Store) DeleteWebAuthnCredentialsByUser(_ context.Context, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, c := range s.webauthn {
		if c.UserID == userID {
			delete(s.webauthn, id)
			n++
		}
	}
	return n, nil
}

// Ceremonies. Errors never name the key, which a caller may derive from a cookie.

func (s *Store) PutCeremony(_ context.Context, key string, data []byte, expiresAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ceremony[key] = ceremony{data: slices.Clone(data), expiresAt: expiresAt}
	return nil
}

func (s *Store) TakeCeremony(_ context.Context, key string, now time.Time) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.ceremony[key]
	if !ok {
		return nil, fmt.Errorf("memory: take ceremony: %w", storage.ErrNotFound)
	}
	// An expired ceremony is removed all the same.
	delete(s.ceremony, key)
	if !c.expiresAt.After(now) {
		return nil, fmt.Errorf("memory: take ceremony: expired: %w", storage.ErrNotFound)
	}
	// The stored slice is no longer reachable from the store, so no copy is needed.
	return c.data, nil
}

func (s *Store) DeleteExpiredCeremonies(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.ceremony, func(c ceremony) time.Time { return c.expiresAt }, before), nil
}

// Phone numbers, one-time codes and trusts have no reference fields, so plain
// assignment copies them. Errors name users but never numbers, which are personal.

func (s *Store) SetPhoneNumber(_ context.Context, p storage.PhoneNumber) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phones[p.UserID] = p
	return nil
}

func (s *Store) GetPhoneNumber(_ context.Context, userID string) (storage.PhoneNumber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[userID]
	if !ok {
		return storage.PhoneNumber{}, notFound("get phone number of user", userID)
	}
	return p, nil
}

func (s *Store) DeletePhoneNumber(_ context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.phones[userID]; !ok {
		return notFound("delete phone number of user", userID)
	}
	delete(s.phones, userID)
	return nil
}

// One-time codes. Errors never name the key, which holds a flow ID.

func (s *Store) PutOneTimeCode(_ context.Context, c storage.OneTimeCode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[c.Key] = c
	return nil
}

func (s *Store) GetOneTimeCode(_ context.Context, key string) (storage.OneTimeCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[key]
	if !ok {
		return storage.OneTimeCode{}, fmt.Errorf("memory: get one-time code: %w", storage.ErrNotFound)
	}
	return c, nil
}

func (s *Store) UseOneTimeCode(_ context.Context, key, hash string, now time.Time, maxAttempts int) (storage.OneTimeCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[key]
	if !ok {
		return storage.OneTimeCode{}, fmt.Errorf("memory: use one-time code: %w", storage.ErrNotFound)
	}
	var why string
	switch {
	case !c.UsedAt.IsZero():
		why = "used"
	case !c.ExpiresAt.After(now):
		why = "expired"
	case c.Attempts >= maxAttempts:
		why = "too many attempts"
	case c.Hash != hash:
		why = "wrong code"
		c.Attempts++
	default:
		c.UsedAt = now
	}
	s.codes[key] = c
	if why != "" {
		return c, fmt.Errorf("memory: use one-time code: %s: %w", why, storage.ErrConflict)
	}
	return c, nil
}

func (s *Store) DeleteOneTimeCode(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.codes, key)
	return nil
}

func (s *Store) DeleteExpiredOneTimeCodes(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.codes, func(c storage.OneTimeCode) time.Time { return c.ExpiresAt }, before), nil
}

// Trusts.

func (s *Store) PutTrust(_ context.Context, t storage.Trust) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trusts[t.ID] = t
	return nil
}

func (s *Store) GetTrust(_ context.Context, id string) (storage.Trust, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.trusts[id]
	if !ok {
		return storage.Trust{}, notFound("get trust", id)
	}
	return t, nil
}

func (s *Store) ListTrusts(_ context.Context, userID string) ([]storage.Trust, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.Trust
	for _, t := range s.trusts {
		if t.UserID == userID {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b storage.Trust) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) DeleteTrust(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.trusts[id]; !ok {
		return notFound("delete trust", id)
	}
	delete(s.trusts, id)
	return nil
}

func (s *Store) DeleteTrustsByUser(_ context.Context, userID string, kinds ...storage.TrustKind) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, t := range s.trusts {
		if t.UserID == userID && (len(kinds) == 0 || slices.Contains(kinds, t.Kind)) {
			delete(s.trusts, id)
			n++
		}
	}
	return n, nil
}

func (s *Store) DeleteExpiredTrusts(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.trusts, func(t storage.Trust) time.Time { return t.ExpiresAt }, before), nil
}

func (s *Store) SummarizeFactors(_ context.Context, userID string) (storage.FactorSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var f storage.FactorSummary
	for _, d := range s.totp {
		if d.UserID == userID && d.Active {
			f.TOTP = true
		}
	}
	for _, c := range s.webauthn {
		if c.UserID == userID {
			f.WebAuthn = true
		}
	}
	_, f.Phone = s.phones[userID]
	for _, used := range s.recovery[userID] {
		if !used {
			f.RecoveryCodes++
		}
	}
	return f, nil
}

func (s *Store) CommitSignIn(_ context.Context, in storage.SignIn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flowAt(in.Flow); err != nil {
		return err
	}
	if in.Session != nil && in.Session.ID != in.EndSession {
		if _, ok := s.sessions[in.Session.ID]; ok {
			return exists("create session", in.Session.ID)
		}
	}
	if err := s.tokensFree(in.Tokens); err != nil {
		return err
	}
	if err := s.auditFree(in.Audit); err != nil {
		return err
	}
	s.putFlowNext(in.Flow)
	if in.EndSession != "" {
		delete(s.sessions, in.EndSession)
	}
	if in.Session != nil {
		s.sessions[in.Session.ID] = copySession(*in.Session)
	}
	s.putTokens(in.Tokens)
	s.putAudit(in.Audit)
	for _, k := range in.ResetThrottles {
		delete(s.throttle, k)
	}
	return nil
}

func (s *Store) LookupLogin(ctx context.Context, q storage.LoginLookup) (storage.Login, error) {
	switch {
	case q.Email != "" && q.UserID != "", q.Email == "" && q.UserID == "" && q.FlowID == "", q.FlowID != "" && q.ClientID != "":
		return storage.Login{}, fmt.Errorf("memory: look up login: give an email or a user id (or neither, with a flow), and a client only without a flow: %w", storage.ErrInvalid)
	}
	var l storage.Login
	userID, clientID := q.UserID, q.ClientID
	if q.FlowID != "" {
		if f, err := s.GetFlow(ctx, q.FlowID); err == nil {
			l.Flow = &f
			clientID = f.ClientID
			if q.Email == "" && userID == "" {
				userID = f.UserID
			}
		}
	}
	l.Throttles = make([]int, len(q.ThrottleKeys))
	for i, k := range q.ThrottleKeys {
		l.Throttles[i], _ = s.ThrottleCount(ctx, k, q.Now)
	}
	var u storage.User
	var err error
	switch {
	case q.Email != "":
		u, err = s.GetUserByEmail(ctx, q.Email)
	case userID != "":
		u, err = s.GetUser(ctx, userID)
	default: // the flow has no user (yet), or there is no flow
		err = storage.ErrNotFound
	}
	if errors.Is(err, storage.ErrNotFound) {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	l.Found, l.User = true, u
	l.Factors, _ = s.SummarizeFactors(ctx, u.ID)
	if c, err := s.GetConsent(ctx, u.ID, clientID); err == nil {
		l.Consent = &c
	}
	if q.TOTPDevices {
		l.TOTPDevices, _ = s.ListTOTPDevices(ctx, u.ID)
	}
	return l, nil
}
