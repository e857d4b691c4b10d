package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/postgres"
	"github.com/octopus-venue/octopus/internal/store/storetest"
)

// databaseURL returns the test database, skipping the test when none is
// configured, or failing it on CI where one must be.
func databaseURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("OCTOPUS_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("OCTOPUS_TEST_DATABASE_URL must be set on CI")
		}
		tb.Skip("OCTOPUS_TEST_DATABASE_URL not set")
	}
	return url
}

// newStore opens a migrated store in a fresh schema of its own, dropped when tb
// ends, so concurrent test runs never see each other's rows.
func newStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	url := databaseURL(tb)
	schema := createSchema(tb, url)

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatalf("parse database url: %v", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	s, err := postgres.OpenConfig(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

// createSchema creates an empty schema with a random name and drops it, with
// everything in it, when tb ends.
func createSchema(tb testing.TB, url string) string {
	tb.Helper()
	suffix := make([]byte, 6)
	rand.Read(suffix)
	schema := "octopus_test_" + hex.EncodeToString(suffix)

	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	// The name is generated above from hex digits only, so it is safe to quote.
	if err := exec(tb.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
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

// TestConcurrentMigrations migrates one fresh schema from several pools at once,
// as processes starting together do: every migration must be applied once.
func TestConcurrentMigrations(t *testing.T) {
	url := databaseURL(t)
	schema := createSchema(t, url)
	stores := make([]*postgres.Store, 4)
	for i := range stores {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatalf("parse database url: %v", err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
		if stores[i], err = postgres.OpenConfig(t.Context(), cfg); err != nil {
			t.Fatalf("open: %v", err)
		}
		defer stores[i].Close()
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

	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(t.Context())
	var total, distinct int
	q := "SELECT count(*), count(DISTINCT version) FROM " +
		pgx.Identifier{schema, "schema_migrations"}.Sanitize()
	if err := conn.QueryRow(t.Context(), q).Scan(&total, &distinct); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	if total == 0 || total != distinct {
		t.Fatalf("schema_migrations holds %d rows for %d versions", total, distinct)
	}
}
