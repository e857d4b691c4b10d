package sqlite

import (
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/octopus-venue/octopus/internal/store"
)

// fundsConstraint is the CHECK on balances whose violation means ErrInsufficient.
const fundsConstraint = "balances_funds"

// mapError translates constraint violations into the store's sentinel errors and
// wraps the result with context. The driver error stays in the chain.
func mapError(context string, err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", context, err)
	}

	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%s: %w: %w", context, store.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%s: referenced row: %w: %w", context, store.ErrNotFound, err)
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		if strings.Contains(se.Error(), fundsConstraint) {
			return fmt.Errorf("%s: %w: %w", context, store.ErrInsufficient, err)
		}
	}
	return fmt.Errorf("%s: %w", context, err)
}
