package memory

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

func (s *Store) SetPlatformAdmin(_ context.Context, userID string, admin bool, _ time.Time, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return notFound("set platform admin", userID)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	if s.admins == nil {
		s.admins = map[string]bool{}
	}
	if admin {
		s.admins[userID] = true
	} else {
		delete(s.admins, userID)
	}
	s.putAudit(audit)
	return nil
}

func (s *Store) IsPlatformAdmin(_ context.Context, userID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.users[userID]
	return ok && s.admins[userID], nil
}

func (s *Store) ListPlatformAdmins(context.Context) ([]storage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.User
	for _, id := range slices.Sorted(maps.Keys(s.admins)) {
		if u, ok := s.users[id]; ok {
			out = append(out, copyUser(u))
		}
	}
	return out, nil
}

// hasSecondFactor is SummarizeFactors' answer without the recovery codes; the
// caller holds the lock.
func (s *Store) hasSecondFactor(userID string) bool {
	if _, ok := s.phones[userID]; ok {
		return true
	}
	for _, d := range s.totp {
		if d.UserID == userID && d.Active {
			return true
		}
	}
	for _, c := range s.webauthn {
		if c.UserID == userID {
			return true
		}
	}
	return false
}

// matchUsers returns the users q matches, ordered by ID, ignoring After and
// Limit; the caller holds the lock.
func (s *Store) matchUsers(q storage.UserQuery) []storage.User {
	var out []storage.User
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		u := s.users[id]
		if (q.Email == "" || strings.Contains(u.Email, strings.ToLower(q.Email))) &&
			(q.OrgID == "" || u.OrgID == q.OrgID) &&
			(q.Group == "" || slices.Contains(u.Groups, q.Group)) &&
			(q.DeadlineBefore.IsZero() || !u.MFADeadline.IsZero() && u.MFADeadline.Before(q.DeadlineBefore)) &&
			(!q.WithoutSecondFactor || !s.hasSecondFactor(id)) {
			out = append(out, u)
		}
	}
	return out
}

func (s *Store) SearchUsers(_ context.Context, q storage.UserQuery) ([]storage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.User
	for _, u := range s.matchUsers(q) {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		if u.ID > q.After {
			out = append(out, copyUser(u))
		}
	}
	return out, nil
}

func (s *Store) CountUsers(_ context.Context, q storage.UserQuery) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.matchUsers(q)), nil
}

func (s *Store) QueryAudit(_ context.Context, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The log in newest-first order: walking backwards and sorting stably puts
	// events with equal At newest-appended first.
	all := slices.Clone(s.audit)
	slices.Reverse(all)
	slices.SortStableFunc(all, func(a, b storage.AuditEvent) int { return b.At.Compare(a.At) })
	if q.Before != "" {
		i := slices.IndexFunc(all, func(e storage.AuditEvent) bool { return e.ID == q.Before })
		if i < 0 {
			return nil, notFound("query audit after", q.Before)
		}
		all = all[i+1:]
	}
	var out []storage.AuditEvent
	for _, e := range all {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		if (q.UserID == "" || e.UserID == q.UserID) &&
			(q.ClientID == "" || e.ClientID == q.ClientID) &&
			(q.Type == "" || e.Type == q.Type) &&
			(q.OrgID == "" || e.Detail["org"] == q.OrgID || e.UserID != "" && s.users[e.UserID].OrgID == q.OrgID) &&
			(q.Since.IsZero() || !e.At.Before(q.Since)) &&
			(q.Until.IsZero() || e.At.Before(q.Until)) {
			out = append(out, copyEvent(e))
		}
	}
	return out, nil
}

func (s *Store) RenameOrganisation(_ context.Context, id, name string, now time.Time, audit []storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		return notFound("rename organisation", id)
	}
	if err := s.auditFree(audit); err != nil {
		return err
	}
	o.Name, o.UpdatedAt = name, now
	s.orgs[id] = o
	s.putAudit(audit)
	return nil
}
