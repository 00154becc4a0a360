package factor

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/lockstep-id/lockstep/storage"
)

// clock is an injected clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeTOTPStore is an in-memory TOTPStore following storage.TOTPStore's contract.
// The real backends are checked by storage/conformance.
type fakeTOTPStore struct {
	mu      sync.Mutex
	devices map[string]storage.TOTPDevice
	order   []string // creation order
	// revokeOthers records the flag of every ActivateTOTPDevice call.
	revokeOthers []bool
	// err, when set, is returned by every call.
	err error
}

var _ TOTPStore = (*fakeTOTPStore)(nil)

func newFakeTOTPStore() *fakeTOTPStore {
	return &fakeTOTPStore{devices: map[string]storage.TOTPDevice{}}
}

func (f *fakeTOTPStore) CreateTOTPDevice(_ context.Context, d storage.TOTPDevice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.devices[d.ID]; ok {
		return storage.ErrAlreadyExists
	}
	d.SecretEnc = slices.Clone(d.SecretEnc)
	f.devices[d.ID] = d
	f.order = append(f.order, d.ID)
	return nil
}

func (f *fakeTOTPStore) GetTOTPDevice(_ context.Context, id string) (storage.TOTPDevice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return storage.TOTPDevice{}, f.err
	}
	d, ok := f.devices[id]
	if !ok {
		return storage.TOTPDevice{}, storage.ErrNotFound
	}
	d.SecretEnc = slices.Clone(d.SecretEnc)
	return d, nil
}

func (f *fakeTOTPStore) ListTOTPDevices(_ context.Context, userID string) ([]storage.TOTPDevice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []storage.TOTPDevice
	for _, id := range f.order {
		if d, ok := f.devices[id]; ok && d.UserID == userID {
			d.SecretEnc = slices.Clone(d.SecretEnc)
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeTOTPStore) ActivateTOTPDevice(_ context.Context, id string, step int64, at time.Time, revokeOthers bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.revokeOthers = append(f.revokeOthers, revokeOthers)
	d, ok := f.devices[id]
	if !ok {
		return storage.ErrNotFound
	}
	if d.Active {
		return storage.ErrConflict
	}
	d.Active, d.LastStep, d.ConfirmedAt, d.LastUsedAt = true, step, at, at
	f.devices[id] = d
	if revokeOthers {
		for oid, o := range f.devices {
			if oid != id && o.UserID == d.UserID {
				delete(f.devices, oid)
			}
		}
	}
	return nil
}

func (f *fakeTOTPStore) AdvanceTOTPStep(_ context.Context, id string, step int64, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	d, ok := f.devices[id]
	if !ok {
		return storage.ErrNotFound
	}
	if !d.Active || d.LastStep >= step {
		return storage.ErrConflict
	}
	d.LastStep, d.LastUsedAt = step, at
	f.devices[id] = d
	return nil
}

func (f *fakeTOTPStore) RenameTOTPDevice(_ context.Context, id, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	d, ok := f.devices[id]
	if !ok {
		return storage.ErrNotFound
	}
	d.Name = name
	f.devices[id] = d
	return nil
}

func (f *fakeTOTPStore) DeleteTOTPDevice(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.devices[id]; !ok {
		return storage.ErrNotFound
	}
	delete(f.devices, id)
	return nil
}

func (f *fakeTOTPStore) get(id string) (storage.TOTPDevice, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.devices[id]
	return d, ok
}

func (f *fakeTOTPStore) set(d storage.TOTPDevice) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.devices[d.ID] = d
}

// fakeRecoveryStore is an in-memory RecoveryStore following
// storage.RecoveryCodeStore's contract.
type fakeRecoveryStore struct {
	mu    sync.Mutex
	codes map[string]map[string]bool // user → hash → used
	err   error
	// times are the times the codes were made and used at, in order.
	times []time.Time
}

var _ RecoveryStore = (*fakeRecoveryStore)(nil)

func newFakeRecoveryStore() *fakeRecoveryStore {
	return &fakeRecoveryStore{codes: map[string]map[string]bool{}}
}

func (f *fakeRecoveryStore) ReplaceRecoveryCodes(_ context.Context, userID string, hashes []string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.times = append(f.times, now)
	m := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		m[h] = false
	}
	f.codes[userID] = m
	return nil
}

func (f *fakeRecoveryStore) UseRecoveryCode(_ context.Context, userID, hash string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.times = append(f.times, now)
	used, ok := f.codes[userID][hash]
	switch {
	case !ok:
		return storage.ErrNotFound
	case used:
		return storage.ErrConflict
	}
	f.codes[userID][hash] = true
	return nil
}

func (f *fakeRecoveryStore) CountRecoveryCodes(_ context.Context, userID string) (total, unused int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, 0, f.err
	}
	for _, used := range f.codes[userID] {
		total++
		if !used {
			unused++
		}
	}
	return total, unused, nil
}

func (f *fakeRecoveryStore) hashes(userID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for h := range f.codes[userID] {
		out = append(out, h)
	}
	return out
}
