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

// TestConcurrentMigrations migrates one new file from several stores at once,
// as processes starting together do: every migration must be applied once.
func TestConcurrentMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "octopus.db")
	stores := make([]*sqlite.Store, 4)
	for i := range stores {
		s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer s.Close()
		stores[i] = s
	}

	errs := make(chan error, len(stores))
	for _, s := range stores {
		go func() { errs <- s.Migrate(t.Context()) }()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}

	u := store.User{Username: "alice", Role: "trader", PasswordHash: "h"}
	if err := stores[0].CreateUser(t.Context(), &u); err != nil {
		t.Fatalf("schema unusable after concurrent migrations: %v", err)
	}
}
