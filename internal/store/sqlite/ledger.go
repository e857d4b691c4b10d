package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// ApplyEntries writes entries and applies them to balances in one transaction.
func (s *Store) ApplyEntries(ctx context.Context, entries []store.LedgerEntry) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return applyEntries(ctx, tx, entries, stamp(time.Time{}))
	})
	if err != nil {
		return mapError("apply entries", err)
	}
	return nil
}

// applyEntries adds the net change of entries to each balance, creating missing
// balances, and inserts the entries; now stamps entries without a time.
func applyEntries(ctx context.Context, tx *sql.Tx, entries []store.LedgerEntry, now time.Time) error {
	if len(entries) == 0 {
		return nil
	}
	deltas, err := store.NetEntries(entries)
	if err != nil {
		return err
	}

	for _, d := range deltas {
		res, err := tx.ExecContext(ctx, qAddToBalance, d.Total, d.Reserved, d.UserID, d.Asset)
		if err != nil {
			return fmt.Errorf("update balance: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("update balance: %w", err)
		}
		if n == 1 {
			continue
		}
		_, err = tx.ExecContext(ctx, qInsertBalance, d.UserID, d.Asset, d.Total, d.Reserved)
		if err != nil {
			return fmt.Errorf("insert balance: %w", err)
		}
	}

	stmt, err := tx.PrepareContext(ctx, qInsertLedgerEntry)
	if err != nil {
		return fmt.Errorf("insert ledger entry: %w", err)
	}
	defer stmt.Close()
	for _, e := range entries {
		created := e.CreatedAt
		if created.IsZero() {
			created = now
		}
		_, err := stmt.ExecContext(ctx, e.UserID, e.Asset, e.Kind, e.Amount, e.Reserved,
			nullID(e.OrderID), nullID(e.TradeID), e.Reason, created.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert ledger entry: %w", err)
		}
	}
	return nil
}

// ListBalances returns a user's balances ordered by asset.
func (s *Store) ListBalances(ctx context.Context, userID int64) ([]store.Balance, error) {
	rows, err := s.reader.QueryContext(ctx, qListBalances, userID)
	if err != nil {
		return nil, fmt.Errorf("list balances: %w", err)
	}
	list, err := collect(rows, scanBalance)
	if err != nil {
		return nil, fmt.Errorf("list balances: %w", err)
	}
	return list, nil
}

// AllBalances returns every balance ordered by user then asset.
func (s *Store) AllBalances(ctx context.Context) ([]store.Balance, error) {
	rows, err := s.reader.QueryContext(ctx, qAllBalances)
	if err != nil {
		return nil, fmt.Errorf("all balances: %w", err)
	}
	list, err := collect(rows, scanBalance)
	if err != nil {
		return nil, fmt.Errorf("all balances: %w", err)
	}
	return list, nil
}

// ListLedger returns a user's ledger entries newest first, before p.Before.
func (s *Store) ListLedger(
	ctx context.Context, userID int64, p store.Page,
) ([]store.LedgerEntry, error) {
	after, before, limit := bounds(p)
	rows, err := s.reader.QueryContext(ctx, qListLedger, userID, after, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list ledger: %w", err)
	}
	list, err := collect(rows, scanLedgerEntry)
	if err != nil {
		return nil, fmt.Errorf("list ledger: %w", err)
	}
	return list, nil
}

// AssetTotals sums balances per asset; UserID is zero in the results.
func (s *Store) AssetTotals(ctx context.Context) (map[string]store.Balance, error) {
	rows, err := s.reader.QueryContext(ctx, qAssetTotals)
	if err != nil {
		return nil, fmt.Errorf("asset totals: %w", err)
	}
	defer rows.Close()

	totals := make(map[string]store.Balance)
	for rows.Next() {
		var b store.Balance
		if err := rows.Scan(&b.Asset, &b.Total, &b.Reserved); err != nil {
			return nil, fmt.Errorf("asset totals: %w", err)
		}
		totals[b.Asset] = b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("asset totals: %w", err)
	}
	return totals, nil
}

func scanBalance(row rowScanner) (store.Balance, error) {
	var b store.Balance
	err := row.Scan(&b.UserID, &b.Asset, &b.Total, &b.Reserved)
	return b, err
}

func scanLedgerEntry(row rowScanner) (store.LedgerEntry, error) {
	var (
		e                store.LedgerEntry
		orderID, tradeID sql.NullInt64
		created          int64
	)
	err := row.Scan(&e.ID, &e.UserID, &e.Asset, &e.Kind, &e.Amount, &e.Reserved,
		&orderID, &tradeID, &e.Reason, &created)
	if err != nil {
		return store.LedgerEntry{}, err
	}
	e.OrderID, e.TradeID = orderID.Int64, tradeID.Int64
	e.CreatedAt = time.UnixMicro(created).UTC()
	return e, nil
}
