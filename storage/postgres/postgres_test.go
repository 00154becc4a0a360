package postgres_test

import (
	"testing"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/conformance"
	"github.com/lockstep-id/lockstep/storage/postgres/pgtest"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Storage { return pgtest.NewStore(t) })
}
