package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// CommitBatch writes new orders, order updates, trades and ledger entries in one
// transaction, sent to the server in one round trip (see sendBatch). Any
// failure, such as a taken client order id (ErrConflict) or a balance that would
// go negative (ErrInsufficient), leaves nothing written.
func (s *Store) CommitBatch(ctx context.Context, batch *store.Batch) error {
	now := stamp(time.Time{})
	var b pgx.Batch
	queueNewOrders(&b, batch.NewOrders, now)
	queueOrderUpdates(&b, batch.Updates, now)
	queueTrades(&b, batch.Trades, now)
	if err := queueEntries(&b, batch.Entries, now); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	if err := s.sendBatch(ctx, &b); err != nil {
		return mapError("commit batch", err)
	}
	return nil
}

func queueNewOrders(b *pgx.Batch, orders []store.Order, now time.Time) {
	n := len(orders)
	if n == 0 {
		return
	}
	var (
		ids, users, prices, quantities = make([]int64, n), make([]int64, n), make([]int64, n),
			make([]int64, n)
		filled, notionals, reserved = make([]int64, n), make([]int64, n), make([]int64, n)
		symbols, clientIDs, sides   = make([]string, n), make([]string, n), make([]string, n)
		types, tifs, stps           = make([]string, n), make([]string, n), make([]string, n)
		statuses, reasons           = make([]string, n), make([]string, n)
		created, updated            = make([]time.Time, n), make([]time.Time, n)
	)
	for i, o := range orders {
		ids[i], users[i], symbols[i], clientIDs[i] = o.ID, o.UserID, o.Symbol, o.ClientOrderID
		sides[i], types[i], tifs[i], stps[i] = o.Side, o.Type, o.TimeInForce, o.STP
		prices[i], quantities[i], filled[i] = o.Price, o.Quantity, o.Filled
		notionals[i], reserved[i] = o.MaxNotional, o.Reserved
		statuses[i], reasons[i] = o.Status, o.Reason
		created[i] = orDefault(o.CreatedAt, now)
		updated[i] = orDefault(o.UpdatedAt, created[i])
	}
	b.Queue(qInsertOrders, ids, users, symbols, clientIDs, sides, types, tifs, stps, prices,
		quantities, filled, notionals, reserved, statuses, reasons, created, updated)
}

// queueOrderUpdates queues the updates, keeping only the last update of each
// order, which is its state after the batch. An update of an unknown order fails
// the batch with ErrNotFound.
func queueOrderUpdates(b *pgx.Batch, updates []store.OrderUpdate, now time.Time) {
	if len(updates) == 0 {
		return
	}
	last := make(map[int64]int, len(updates))
	for i, u := range updates {
		last[u.ID] = i
	}

	n := len(last)
	var (
		ids, filled, reserved = make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
		statuses, reasons     = make([]string, 0, n), make([]string, 0, n)
		updated               = make([]time.Time, 0, n)
	)
	for i, u := range updates {
		if last[u.ID] != i {
			continue
		}
		ids, filled, reserved = append(ids, u.ID), append(filled, u.Filled), append(reserved, u.Reserved)
		statuses, reasons = append(statuses, u.Status), append(reasons, u.Reason)
		updated = append(updated, orDefault(u.UpdatedAt, now))
	}
	b.Queue(qUpdateOrders, ids, filled, reserved, statuses, reasons, updated)
}

// GetOrder returns the order with id.
func (s *Store) GetOrder(ctx context.Context, id int64) (store.Order, error) {
	o, err := scanOrder(s.pool.QueryRow(ctx, qGetOrder, id))
	if err != nil {
		return store.Order{}, mapError("get order", err)
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

	where := func(condition string, value any) {
		args = append(args, value)
		b.WriteString(" AND " + condition + " $" + strconv.Itoa(len(args)))
	}
	if f.UserID != 0 {
		where("user_id =", f.UserID)
	}
	if f.Symbol != "" {
		where("symbol =", f.Symbol)
	}
	if f.ClientOrderID != "" {
		where("client_order_id =", f.ClientOrderID)
	}
	if f.OpenOnly {
		b.WriteString(" AND status IN ('new', 'partially_filled')")
	}
	args = append(args, limit)
	fmt.Fprintf(&b, qListOrdersSuffix, len(args))

	rows, err := s.pool.Query(ctx, b.String(), args...)
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
	rows, err := s.pool.Query(ctx, qOpenOrders, symbol)
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
	if err := s.pool.QueryRow(ctx, qMaxIDs).Scan(&orderID, &tradeID); err != nil {
		return 0, 0, fmt.Errorf("max ids: %w", err)
	}
	return orderID, tradeID, nil
}

func scanOrder(row pgx.Row) (store.Order, error) {
	var o store.Order
	err := row.Scan(&o.ID, &o.UserID, &o.Symbol, &o.ClientOrderID, &o.Side, &o.Type,
		&o.TimeInForce, &o.STP, &o.Price, &o.Quantity, &o.Filled, &o.MaxNotional,
		&o.Reserved, &o.Status, &o.Reason, &o.CreatedAt, &o.UpdatedAt)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}
