package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

func queueTrades(b *pgx.Batch, trades []store.Trade, now time.Time) {
	n := len(trades)
	if n == 0 {
		return
	}
	var (
		ids, prices, quantities = make([]int64, n), make([]int64, n), make([]int64, n)
		buyOrders, sellOrders   = make([]int64, n), make([]int64, n)
		buyers, sellers         = make([]int64, n), make([]int64, n)
		symbols, takers         = make([]string, n), make([]string, n)
		executed                = make([]time.Time, n)
	)
	for i, t := range trades {
		ids[i], symbols[i], prices[i], quantities[i] = t.ID, t.Symbol, t.Price, t.Quantity
		buyOrders[i], sellOrders[i] = t.BuyOrderID, t.SellOrderID
		buyers[i], sellers[i] = t.BuyerID, t.SellerID
		takers[i], executed[i] = t.TakerSide, orDefault(t.ExecutedAt, now)
	}
	b.Queue(qInsertTrades, ids, symbols, prices, quantities, buyOrders, sellOrders, buyers,
		sellers, takers, executed)
}

// ListTrades returns a symbol's trades newest first, before p.Before.
func (s *Store) ListTrades(
	ctx context.Context, symbol string, p store.Page,
) ([]store.Trade, error) {
	after, before, limit := bounds(p)
	rows, err := s.pool.Query(ctx, qListTrades, symbol, after, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list trades: %w", err)
	}
	list, err := collect(rows, scanTrade)
	if err != nil {
		return nil, fmt.Errorf("list trades: %w", err)
	}
	return list, nil
}

// ListUserTrades returns the trades a user bought or sold in, newest first,
// before p.Before.
func (s *Store) ListUserTrades(
	ctx context.Context, userID int64, p store.Page,
) ([]store.Trade, error) {
	after, before, limit := bounds(p)
	rows, err := s.pool.Query(ctx, qListUserTrades, userID, after, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list user trades: %w", err)
	}
	list, err := collect(rows, scanTrade)
	if err != nil {
		return nil, fmt.Errorf("list user trades: %w", err)
	}
	return list, nil
}

// TradesBetween returns a symbol's trades executed in [from, to) oldest first, at
// most limit of them: zero means the default page size, and at most
// maxTradesBetween are returned at once.
func (s *Store) TradesBetween(
	ctx context.Context, symbol string, from, to time.Time, limit int,
) ([]store.Trade, error) {
	rows, err := s.pool.Query(ctx, qTradesBetween, symbol, from, to,
		clampLimit(limit, maxTradesBetween))
	if err != nil {
		return nil, fmt.Errorf("trades between: %w", err)
	}
	list, err := collect(rows, scanTrade)
	if err != nil {
		return nil, fmt.Errorf("trades between: %w", err)
	}
	return list, nil
}

func scanTrade(row pgx.Row) (store.Trade, error) {
	var t store.Trade
	err := row.Scan(&t.ID, &t.Symbol, &t.Price, &t.Quantity, &t.BuyOrderID, &t.SellOrderID,
		&t.BuyerID, &t.SellerID, &t.TakerSide, &t.ExecutedAt)
	t.ExecutedAt = t.ExecutedAt.UTC()
	return t, err
}
