package memory_test

import (
	"testing"

	"github.com/lockstep-id/lockstep/storage"
	"github.com/lockstep-id/lockstep/storage/conformance"
	"github.com/lockstep-id/lockstep/storage/memory"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, func(*testing.T) storage.Storage { return memory.New() })
}
