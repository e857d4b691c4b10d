package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies every migration not yet recorded in schema_migrations, each
// in its own transaction. Every transaction first takes a transaction-scoped
// advisory lock for the current schema, so processes migrating at once apply
// each version exactly once, and a lock can never outlive its transaction.
func (s *Store) Migrate(ctx context.Context) error {
	list, err := store.LoadMigrations(migrationFiles)
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
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// applyMigration runs m unless it is already recorded.
func applyMigration(ctx context.Context, tx pgx.Tx, m store.Migration) error {
	if _, err := tx.Exec(ctx, qLockMigrations, migrationLockClass); err != nil {
		return err
	}
	var applied bool
	if err := tx.QueryRow(ctx, qMigrationApplied, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, qRecordMigration, m.Version)
	return err
}
