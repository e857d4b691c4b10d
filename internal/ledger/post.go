package ledger

import (
	"context"
	"fmt"

	"github.com/octopus-venue/octopus/internal/store"
)

// EntryWriter persists ledger entries and their balance changes in one transaction.
type EntryWriter interface {
	ApplyEntries(ctx context.Context, entries []store.LedgerEntry) error
}

// Post applies entries in memory and in the store, or in neither: when the store
// refuses, the memory change is reverted.
func (l *Ledger) Post(ctx context.Context, w EntryWriter, entries []store.LedgerEntry) error {
	if err := l.Apply(entries); err != nil {
		return err
	}
	if err := w.ApplyEntries(ctx, entries); err != nil {
		l.Revert(entries)
		return fmt.Errorf("post entries: %w", err)
	}
	return nil
}
