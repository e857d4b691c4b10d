package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octopus-venue/octopus/internal/store"
)

// fundsConstraint is the CHECK on balances whose violation means ErrInsufficient.
const fundsConstraint = "balances_funds"

// SQLSTATE codes of the constraint violations the store translates
// (PostgreSQL documentation, appendix A).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeNoDataFound         = "P0002" // raised by expect_rows
)

// mapError translates no rows and constraint violations into the store's
// sentinel errors and wraps the result with context. The driver error stays in
// the chain.
func mapError(context string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", context, store.ErrNotFound)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", context, err)
	}

	switch {
	case pe.Code == codeUniqueViolation:
		return fmt.Errorf("%s: %w: %w", context, store.ErrConflict, err)
	case pe.Code == codeForeignKeyViolation, pe.Code == codeNoDataFound:
		return fmt.Errorf("%s: referenced row: %w: %w", context, store.ErrNotFound, err)
	case pe.Code == codeCheckViolation && pe.ConstraintName == fundsConstraint:
		return fmt.Errorf("%s: %w: %w", context, store.ErrInsufficient, err)
	}
	return fmt.Errorf("%s: %w", context, err)
}
