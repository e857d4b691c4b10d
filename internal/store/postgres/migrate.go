package postgres

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order. File names
// start with the version number: 0001_init.sql.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}

	var list []migration
	for _, name := range names {
		base := path.Base(name)
		prefix, _, _ := strings.Cut(base, "_")
		version, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a version number", base)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: version, name: base, sql: string(body)})
	}

	slices.SortFunc(list, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(list); i++ {
		if list[i].version == list[i-1].version {
			return nil, fmt.Errorf("migration version %d used twice", list[i].version)
		}
	}
	return list, nil
}

// Migrate applies every migration not yet recorded in schema_migrations, each
// in its own transaction. Every transaction first takes a transaction-scoped
// advisory lock for the current schema, so processes migrating at once apply
// each version exactly once, and a lock can never outlive its transaction.
func (s *Store) Migrate(ctx context.Context) error {
	list, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qLockMigrations, migrationLockClass); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, qCreateMigrationsTable)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}

	for _, m := range list {
		err := s.inTx(ctx, func(tx pgx.Tx) error { return applyMigration(ctx, tx, m) })
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

// applyMigration runs m unless it is already recorded.
func applyMigration(ctx context.Context, tx pgx.Tx, m migration) error {
	if _, err := tx.Exec(ctx, qLockMigrations, migrationLockClass); err != nil {
		return err
	}
	var applied bool
	if err := tx.QueryRow(ctx, qMigrationApplied, m.version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, qRecordMigration, m.version)
	return err
}
