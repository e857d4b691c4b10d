package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// CommitBatch writes new orders, order updates, trades and ledger entries in one
// transaction. Any failure, such as a taken client order id (ErrConflict) or a
// balance that would go negative (ErrInsufficient), leaves nothing written.
func (s *Store) CommitBatch(ctx context.Context, b *store.Batch) error {
	now := stamp(time.Time{})
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertOrders(ctx, tx, b.NewOrders, now); err != nil {
			return err
		}
		if err := updateOrders(ctx, tx, b.Updates, now); err != nil {
			return err
		}
		if err := insertTrades(ctx, tx, b.Trades, now); err != nil {
			return err
		}
		return applyEntries(ctx, tx, b.Entries, now)
	})
	if err != nil {
		return mapError("commit batch", err)
	}
	return nil
}

func insertOrders(ctx context.Context, tx *sql.Tx, orders []store.Order, now time.Time) error {
	if len(orders) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, qInsertOrder)
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	defer stmt.Close()

	for _, o := range orders {
		created := orDefault(o.CreatedAt, now)
		updated := orDefault(o.UpdatedAt, created)
		_, err := stmt.ExecContext(ctx, o.ID, o.UserID, o.Symbol, o.ClientOrderID, o.Side,
			o.Type, o.TimeInForce, o.STP, o.Price, o.Quantity, o.Filled, o.MaxNotional,
			o.Reserved, o.Status, o.Reason, created.UnixMicro(), updated.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert order %d: %w", o.ID, err)
		}
	}
	return nil
}

// updateOrders applies updates in order, so a later update of the same order
// wins. An update of an unknown order fails the batch with ErrNotFound.
func updateOrders(ctx context.Context, tx *sql.Tx, updates []store.OrderUpdate, now time.Time) error {
	if len(updates) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, qUpdateOrder)
	if err != nil {
		return fmt.Errorf("update order: %w", err)
	}
	defer stmt.Close()

	for _, u := range updates {
		res, err := stmt.ExecContext(ctx, u.Filled, u.Reserved, u.Status, u.Reason,
			orDefault(u.UpdatedAt, now).UnixMicro(), u.ID)
		if err != nil {
			return fmt.Errorf("update order %d: %w", u.ID, err)
		}
		if err := expectOne(fmt.Sprintf("update order %d", u.ID), res); err != nil {
			return err
		}
	}
	return nil
}

// orDefault is t, or def when t is zero.
func orDefault(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// GetOrder returns the order with id.
func (s *Store) GetOrder(ctx context.Context, id int64) (store.Order, error) {
	o, err := scanOrder(s.reader.QueryRowContext(ctx, qGetOrder, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Order{}, fmt.Errorf("get order: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Order{}, fmt.Errorf("get order: %w", err)
	}
	return o, nil
}

// ListOrders returns the orders matching f newest first, before p.Before.
func (s *Store) ListOrders(
	ctx context.Context, f store.OrderFilter, p store.Page,
) ([]store.Order, error) {
	after, before, limit := bounds(p)
	var b strings.Builder
	b.WriteString(qListOrdersPrefix)
	args := []any{after, before}

	if f.UserID != 0 {
		b.WriteString(" AND user_id = ?")
		args = append(args, f.UserID)
	}
	if f.Symbol != "" {
		b.WriteString(" AND symbol = ?")
		args = append(args, f.Symbol)
	}
	if f.ClientOrderID != "" {
		b.WriteString(" AND client_order_id = ?")
		args = append(args, f.ClientOrderID)
	}
	if f.OpenOnly {
		b.WriteString(" AND status IN ('new', 'partially_filled')")
	}
	b.WriteString(qListOrdersSuffix)
	args = append(args, limit)

	rows, err := s.reader.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	list, err := collect(rows, scanOrder)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return list, nil
}

// OpenOrders returns a symbol's resting orders in id order.
func (s *Store) OpenOrders(ctx context.Context, symbol string) ([]store.Order, error) {
	rows, err := s.reader.QueryContext(ctx, qOpenOrders, symbol)
	if err != nil {
		return nil, fmt.Errorf("open orders: %w", err)
	}
	list, err := collect(rows, scanOrder)
	if err != nil {
		return nil, fmt.Errorf("open orders: %w", err)
	}
	return list, nil
}

// MaxIDs returns the highest order and trade ids, zero when there are none.
func (s *Store) MaxIDs(ctx context.Context) (orderID, tradeID int64, err error) {
	err = s.reader.QueryRowContext(ctx, qMaxIDs).Scan(&orderID, &tradeID)
	if err != nil {
		return 0, 0, fmt.Errorf("max ids: %w", err)
	}
	return orderID, tradeID, nil
}

func scanOrder(row rowScanner) (store.Order, error) {
	var (
		o                store.Order
		created, updated int64
	)
	err := row.Scan(&o.ID, &o.UserID, &o.Symbol, &o.ClientOrderID, &o.Side, &o.Type,
		&o.TimeInForce, &o.STP, &o.Price, &o.Quantity, &o.Filled, &o.MaxNotional,
		&o.Reserved, &o.Status, &o.Reason, &created, &updated)
	if err != nil {
		return store.Order{}, err
	}
	o.CreatedAt = time.UnixMicro(created).UTC()
	o.UpdatedAt = time.UnixMicro(updated).UTC()
	return o, nil
}
