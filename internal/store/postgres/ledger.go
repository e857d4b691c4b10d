package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// ApplyEntries writes entries and applies them to balances in one transaction.
func (s *Store) ApplyEntries(ctx context.Context, entries []store.LedgerEntry) error {
	var b pgx.Batch
	if err := queueEntries(&b, entries, stamp(time.Time{})); err != nil {
		return fmt.Errorf("apply entries: %w", err)
	}
	if err := s.sendBatch(ctx, &b); err != nil {
		return mapError("apply entries", err)
	}
	return nil
}

// queueEntries queues on b the balance changes entries make, netted per balance
// and sorted, and the entries themselves; now stamps entries without a time.
func queueEntries(b *pgx.Batch, entries []store.LedgerEntry, now time.Time) error {
	if len(entries) == 0 {
		return nil
	}
	deltas, err := store.NetEntries(entries)
	if err != nil {
		return err
	}

	queueBalances(b, deltas)
	queueLedgerRows(b, entries, now)
	return nil
}

// queueBalances queues the three statements that apply deltas (see qEnsureBalances).
func queueBalances(b *pgx.Batch, deltas []store.BalanceDelta) {
	users := make([]int64, len(deltas))
	assets := make([]string, len(deltas))
	totals := make([]int64, len(deltas))
	reserved := make([]int64, len(deltas))
	for i, d := range deltas {
		users[i], assets[i], totals[i], reserved[i] = d.UserID, d.Asset, d.Total, d.Reserved
	}
	b.Queue(qEnsureBalances, users, assets)
	b.Queue(qLockBalances, users, assets)
	b.Queue(qAddToBalances, users, assets, totals, reserved)
}

// queueLedgerRows queues the insert of entries; now stamps those without a time.
func queueLedgerRows(b *pgx.Batch, entries []store.LedgerEntry, now time.Time) {

	n := len(entries)
	var (
		users, amounts, reserved = make([]int64, n), make([]int64, n), make([]int64, n)
		orders, trades           = make([]int64, n), make([]int64, n)
		assets, kinds, reasons   = make([]string, n), make([]string, n), make([]string, n)
		created                  = make([]time.Time, n)
	)
	for i, e := range entries {
		users[i], assets[i], kinds[i] = e.UserID, e.Asset, e.Kind
		amounts[i], reserved[i] = e.Amount, e.Reserved
		orders[i], trades[i], reasons[i] = e.OrderID, e.TradeID, e.Reason
		created[i] = orDefault(e.CreatedAt, now)
	}
	b.Queue(qInsertLedgerEntries, users, assets, kinds, amounts, reserved, orders, trades,
		reasons, created)
}

// sendBatch runs b as one transaction in a single round trip. pgx sends the
// statements as one pipeline ended by a single Sync message, and "if the client
// has not issued an explicit BEGIN, then each Sync ordinarily causes an implicit
// COMMIT if the preceding step(s) succeeded, or an implicit ROLLBACK if they
// failed"; statements after a failed one are skipped (PostgreSQL documentation,
// Frontend/Backend Protocol, Pipelining). So no BEGIN and COMMIT round trips are
// needed, and checks that must undo a batch are made on the server (see
// expect_rows). A batch must hold no command that cannot run in a transaction
// block, which would commit on its own.
func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return s.pool.SendBatch(ctx, b).Close()
}

// ListBalances returns a user's balances ordered by asset.
func (s *Store) ListBalances(ctx context.Context, userID int64) ([]store.Balance, error) {
	rows, err := s.pool.Query(ctx, qListBalances, userID)
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
	rows, err := s.pool.Query(ctx, qAllBalances)
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
	rows, err := s.pool.Query(ctx, qListLedger, userID, after, before, limit)
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
	rows, err := s.pool.Query(ctx, qAssetTotals)
	if err != nil {
		return nil, fmt.Errorf("asset totals: %w", err)
	}
	defer rows.Close()

	totals := make(map[string]store.Balance)
	for rows.Next() {
		var asset, total, reserved string
		if err := rows.Scan(&asset, &total, &reserved); err != nil {
			return nil, fmt.Errorf("asset totals: %w", err)
		}
		b := store.Balance{Asset: asset}
		if b.Total, err = strconv.ParseInt(total, 10, 64); err != nil {
			return nil, fmt.Errorf("asset totals: %s: %w", asset, err)
		}
		if b.Reserved, err = strconv.ParseInt(reserved, 10, 64); err != nil {
			return nil, fmt.Errorf("asset totals: %s: %w", asset, err)
		}
		totals[asset] = b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("asset totals: %w", err)
	}
	return totals, nil
}

func scanBalance(row pgx.Row) (store.Balance, error) {
	var b store.Balance
	err := row.Scan(&b.UserID, &b.Asset, &b.Total, &b.Reserved)
	return b, err
}

func scanLedgerEntry(row pgx.Row) (store.LedgerEntry, error) {
	var (
		e                store.LedgerEntry
		orderID, tradeID *int64
	)
	err := row.Scan(&e.ID, &e.UserID, &e.Asset, &e.Kind, &e.Amount, &e.Reserved,
		&orderID, &tradeID, &e.Reason, &e.CreatedAt)
	if err != nil {
		return store.LedgerEntry{}, err
	}
	if orderID != nil {
		e.OrderID = *orderID
	}
	if tradeID != nil {
		e.TradeID = *tradeID
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}
