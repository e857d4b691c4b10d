package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

func insertTrades(ctx context.Context, tx *sql.Tx, trades []store.Trade, now time.Time) error {
	if len(trades) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, qInsertTrade)
	if err != nil {
		return fmt.Errorf("insert trade: %w", err)
	}
	defer stmt.Close()

	for _, t := range trades {
		_, err := stmt.ExecContext(ctx, t.ID, t.Symbol, t.Price, t.Quantity, t.BuyOrderID,
			t.SellOrderID, t.BuyerID, t.SellerID, t.TakerSide,
			orDefault(t.ExecutedAt, now).UnixMicro())
		if err != nil {
			return fmt.Errorf("insert trade %d: %w", t.ID, err)
		}
	}
	return nil
}

// ListTrades returns a symbol's trades newest first, before p.Before.
func (s *Store) ListTrades(
	ctx context.Context, symbol string, p store.Page,
) ([]store.Trade, error) {
	after, before, limit := bounds(p)
	rows, err := s.reader.QueryContext(ctx, qListTrades, symbol, after, before, limit)
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
	rows, err := s.reader.QueryContext(ctx, qListUserTrades, userID, after, before, limit)
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
	rows, err := s.reader.QueryContext(ctx, qTradesBetween, symbol, from.UnixMicro(),
		to.UnixMicro(), clampLimit(limit, maxTradesBetween))
	if err != nil {
		return nil, fmt.Errorf("trades between: %w", err)
	}
	list, err := collect(rows, scanTrade)
	if err != nil {
		return nil, fmt.Errorf("trades between: %w", err)
	}
	return list, nil
}

func scanTrade(row rowScanner) (store.Trade, error) {
	var (
		t        store.Trade
		executed int64
	)
	err := row.Scan(&t.ID, &t.Symbol, &t.Price, &t.Quantity, &t.BuyOrderID, &t.SellOrderID,
		&t.BuyerID, &t.SellerID, &t.TakerSide, &executed)
	if err != nil {
		return store.Trade{}, err
	}
	t.ExecutedAt = time.UnixMicro(executed).UTC()
	return t, nil
}
