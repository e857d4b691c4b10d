package audit_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/postgres"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
)

// auditDB is one real database the tests run against: it opens stores on the
// same data (for restarts and outages) and runs raw SQL on it, as an attacker
// with database access would.
type auditDB interface {
	open(t testing.TB) closableStore
	// exec runs one statement with $1-style parameters outside the store.
	exec(t testing.TB, query string, args ...any)
}

// closableStore is an audit store that can be shut, to cause an outage.
type closableStore interface {
	store.AuditStore
	Close() error
}

// backends returns the databases to test: SQLite always, PostgreSQL when
// OCTOPUS_TEST_DATABASE_URL is set (and required when CI=true).
func backends(t *testing.T) map[string]func(t testing.TB) auditDB {
	m := map[string]func(t testing.TB) auditDB{
		"sqlite": func(t testing.TB) auditDB { return newSQLiteDB(t) },
	}
	if url := os.Getenv("OCTOPUS_TEST_DATABASE_URL"); url != "" {
		m["postgres"] = func(t testing.TB) auditDB { return newPostgresDB(t, url) }
	} else if os.Getenv("CI") == "true" {
		t.Fatal("OCTOPUS_TEST_DATABASE_URL must be set on CI")
	}
	return m
}

// forEachBackend runs test once per backend as a subtest.
func forEachBackend(t *testing.T, test func(t *testing.T, db auditDB)) {
	for name, newDB := range backends(t) {
		t.Run(name, func(t *testing.T) { test(t, newDB(t)) })
	}
}

type sqliteDB struct{ path string }

func newSQLiteDB(t testing.TB) *sqliteDB {
	return &sqliteDB{path: filepath.Join(t.TempDir(), "octopus.db")}
}

func (d *sqliteDB) open(t testing.TB) closableStore {
	t.Helper()
	s, err := sqlite.Open(context.Background(), d.path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return s
}

func (d *sqliteDB) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", d.path)
	if err != nil {
		t.Fatalf("open raw sqlite: %v", err)
	}
	defer db.Close()
	// SQLite numbers parameters ?1, ?2 where PostgreSQL writes $1, $2.
	for i := len(args); i >= 1; i-- {
		query = strings.ReplaceAll(query, fmt.Sprintf("$%d", i), fmt.Sprintf("?%d", i))
	}
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("raw sqlite %q: %v", query, err)
	}
}

type postgresDB struct {
	url    string
	schema string
}

// newPostgresDB creates a schema of its own, dropped when t ends.
func newPostgresDB(t testing.TB, url string) *postgresDB {
	t.Helper()
	suffix := make([]byte, 6)
	rand.Read(suffix)
	d := &postgresDB{url: url, schema: "audit_test_" + hex.EncodeToString(suffix)}
	d.admin(t, "CREATE SCHEMA "+pgx.Identifier{d.schema}.Sanitize())
	t.Cleanup(func() { d.admin(t, "DROP SCHEMA "+pgx.Identifier{d.schema}.Sanitize()+" CASCADE") })
	return d
}

func (d *postgresDB) admin(t testing.TB, query string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, query); err != nil {
		t.Errorf("postgres %q: %v", query, err)
	}
}

func (d *postgresDB) config(t testing.TB) *pgxpool.Config {
	cfg, err := pgxpool.ParseConfig(d.url)
	if err != nil {
		t.Fatalf("parse database url: %v", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = d.schema
	return cfg
}

func (d *postgresDB) open(t testing.TB) closableStore {
	t.Helper()
	s, err := postgres.OpenConfig(context.Background(), d.config(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return s
}

func (d *postgresDB) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, d.config(t).ConnConfig)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, query, args...); err != nil {
		t.Fatalf("raw postgres %q: %v", query, err)
	}
}

// swappable is an audit store whose database can be shut and brought back
// while a writer uses it: a real outage, not a simulated error.
type swappable struct {
	mu sync.RWMutex
	st closableStore
}

func (s *swappable) get() store.AuditStore {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st
}

// outage closes the database under the writer.
func (s *swappable) outage(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
}

// recover puts a freshly opened store on the same data in place.
func (s *swappable) recover(st closableStore) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
}

func (s *swappable) AppendAudit(ctx context.Context, records []store.AuditRecord) error {
	return s.get().AppendAudit(ctx, records)
}

func (s *swappable) LastAudit(ctx context.Context) (store.AuditHead, error) {
	return s.get().LastAudit(ctx)
}

func (s *swappable) ListAudit(ctx context.Context, f store.AuditFilter, p store.Page) ([]store.AuditRecord, error) {
	return s.get().ListAudit(ctx, f, p)
}

func (s *swappable) ScanAudit(ctx context.Context, afterID int64, limit int) ([]store.AuditRecord, error) {
	return s.get().ScanAudit(ctx, afterID, limit)
}

func (s *swappable) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	return s.get().PruneAudit(ctx, before)
}
