package idp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/memory"
)

// A client change (rotated secret, new redirect URI, deletion) reaches the
// provider within ClientCacheTTL, and not before: the cache keeps every client
// it loaded until then.
func TestClientCache(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	cache := NewClientCache(store, func() time.Time { return now })
	for _, id := range []string{"a", "b"} {
		must(t, store.CreateClient(ctx, storage.Client{ID: id, Name: "old"}))
		if c, err := cache.GetClient(ctx, id); err != nil || c.Name != "old" {
			t.Fatalf("client %s: %+v, %v", id, c, err)
		}
	}
	for _, id := range []string{"a", "b"} {
		must(t, store.UpdateClient(ctx, storage.Client{ID: id, Name: "new"}))
	}
	must(t, store.DeleteClient(ctx, "b"))
	now = now.Add(ClientCacheTTL - time.Millisecond)
	for _, id := range []string{"a", "b"} {
		if c, err := cache.GetClient(ctx, id); err != nil || c.Name != "old" {
			t.Errorf("client %s within the TTL: %+v, %v; want the cached one", id, c, err)
		}
	}
	now = now.Add(time.Millisecond)
	if c, err := cache.GetClient(ctx, "a"); err != nil || c.Name != "new" {
		t.Errorf("client a after the TTL: %+v, %v; want the change", c, err)
	}
	if _, err := cache.GetClient(ctx, "b"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted client b after the TTL: %v", err)
	}
}
