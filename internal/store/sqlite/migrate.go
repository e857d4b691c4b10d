package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies every migration not yet recorded in schema_migrations, each
// in its own transaction. BEGIN IMMEDIATE takes the database write lock, so two
// processes migrating the same file at once apply each version exactly once.
func (s *Store) Migrate(ctx context.Context) error {
	list, err := store.LoadMigrations(migrationFiles)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := s.writer.ExecContext(ctx, qCreateMigrationsTable); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}

	for _, m := range list {
		err := s.inTx(ctx, func(tx *sql.Tx) error { return applyMigration(ctx, tx, m) })
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// applyMigration runs m unless it is already recorded.
func applyMigration(ctx context.Context, tx *sql.Tx, m store.Migration) error {
	var applied int
	if err := tx.QueryRowContext(ctx, qMigrationApplied, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, qRecordMigration, m.Version, time.Now().UnixMicro())
	return err
}
