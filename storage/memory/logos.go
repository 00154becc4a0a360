package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

type logoKey struct {
	owner storage.LogoOwner
	id    string
}

// setOwnerSum sets the LogoSum of the owner, or says it does not exist. The
// caller holds the lock.
func (s *Store) setOwnerSum(owner storage.LogoOwner, id, sum string) error {
	switch owner {
	case storage.LogoClient:
		c, ok := s.clients[id]
		if !ok {
			return storage.ErrNotFound
		}
		c.LogoSum = sum
		s.clients[id] = c
	case storage.LogoOrg:
		o, ok := s.orgs[id]
		if !ok {
			return storage.ErrNotFound
		}
		o.LogoSum = sum
		s.orgs[id] = o
	default:
		return storage.ErrInvalid
	}
	return nil
}

func (s *Store) SetLogo(_ context.Context, l storage.Logo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.setOwnerSum(l.Owner, l.OwnerID, l.Sum); err != nil {
		return fmt.Errorf("memory: set logo of %s %q: %w", l.Owner, l.OwnerID, err)
	}
	l.Content = slices.Clone(l.Content)
	s.logos[logoKey{l.Owner, l.OwnerID}] = l
	return nil
}

func (s *Store) GetLogo(_ context.Context, owner storage.LogoOwner, ownerID string) (storage.Logo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.logos[logoKey{owner, ownerID}]
	if !ok {
		return storage.Logo{}, notFound("get logo of "+string(owner), ownerID)
	}
	l.Content = slices.Clone(l.Content)
	return l, nil
}

func (s *Store) DeleteLogo(_ context.Context, owner storage.LogoOwner, ownerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := logoKey{owner, ownerID}
	if _, ok := s.logos[k]; !ok {
		return notFound("delete logo of "+string(owner), ownerID)
	}
	if err := s.setOwnerSum(owner, ownerID, ""); err != nil {
		return fmt.Errorf("memory: delete logo of %s %q: %w", owner, ownerID, err)
	}
	delete(s.logos, k)
	return nil
}

func (s *Store) SetOrgBrandName(_ context.Context, orgID, name string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[orgID]
	if !ok {
		return notFound("set brand name of organisation", orgID)
	}
	o.BrandName, o.UpdatedAt = name, now
	s.orgs[orgID] = o
	return nil
}
