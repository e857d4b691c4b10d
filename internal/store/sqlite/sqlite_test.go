package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
	"github.com/octopus-venue/octopus/internal/store/storetest"
)

// newStore opens a migrated store in a fresh temporary directory.
func newStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data", "octopus.db")
	s, err := sqlite.Open(tb.Context(), path, sqlite.Options{})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

func BenchmarkCommitBatch(b *testing.B) {
	storetest.BenchCommitBatch(b, newStore(b))
}

func BenchmarkCommitBatchParallel(b *testing.B) {
	storetest.BenchCommitBatchParallel(b, newStore(b), 4)
}
