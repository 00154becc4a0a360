package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// Emailed links. Hashes stay out of errors like every key of a secret.

// copyLink copies the UsedAt pointer, so no caller shares it with the store.
func copyLink(l storage.EmailLink) storage.EmailLink {
	if l.UsedAt != nil {
		used := *l.UsedAt
		l.UsedAt = &used
	}
	return l
}

// liveLink returns the live link with that purpose and hash; the caller holds s.mu.
func (s *Store) liveLink(purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, bool) {
	l, ok := s.links[hash]
	if !ok || l.Purpose != purpose || l.UsedAt != nil || !l.ExpiresAt.After(now) {
		return storage.EmailLink{}, false
	}
	return l, true
}

func (s *Store) PutEmailLink(_ context.Context, l storage.EmailLink) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.links[l.Hash]; ok {
		return fmt.Errorf("memory: put email link: %w", storage.ErrAlreadyExists)
	}
	s.links[l.Hash] = copyLink(l)
	return nil
}

func (s *Store) UseEmailLink(_ context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.liveLink(purpose, hash, now)
	if !ok {
		return storage.EmailLink{}, fmt.Errorf("memory: use email link: %w", storage.ErrNotFound)
	}
	l.UsedAt = &now
	s.links[hash] = l
	return copyLink(l), nil
}

func (s *Store) GetEmailLink(_ context.Context, purpose storage.LinkPurpose, hash string, now time.Time) (storage.EmailLink, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.liveLink(purpose, hash, now)
	if !ok {
		return storage.EmailLink{}, fmt.Errorf("memory: get email link: %w", storage.ErrNotFound)
	}
	return copyLink(l), nil
}

func (s *Store) DeleteEmailLinks(_ context.Context, userID string, purpose storage.LinkPurpose) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for h, l := range s.links {
		if l.UserID == userID && l.Purpose == purpose {
			delete(s.links, h)
			n++
		}
	}
	return n, nil
}

func (s *Store) DeleteExpiredEmailLinks(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deleteExpired(s.links, func(l storage.EmailLink) time.Time { return l.ExpiresAt }, before), nil
}
