package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// CreateSymbol inserts sym; a zero CreatedAt is set to now.
func (s *Store) CreateSymbol(ctx context.Context, sym *store.Symbol) error {
	created := stamp(sym.CreatedAt)
	_, err := s.pool.Exec(ctx, qCreateSymbol, sym.Code, sym.BaseAsset, sym.QuoteAsset,
		sym.TickSize, sym.LotSize, sym.Halted, created)
	if err != nil {
		return mapError("create symbol", err)
	}
	sym.CreatedAt = created
	return nil
}

// GetSymbol returns the symbol with code.
func (s *Store) GetSymbol(ctx context.Context, code string) (store.Symbol, error) {
	sym, err := scanSymbol(s.pool.QueryRow(ctx, qGetSymbol, code))
	if err != nil {
		return store.Symbol{}, mapError("get symbol", err)
	}
	return sym, nil
}

// ListSymbols returns all symbols ordered by code.
func (s *Store) ListSymbols(ctx context.Context) ([]store.Symbol, error) {
	rows, err := s.pool.Query(ctx, qListSymbols)
	if err != nil {
		return nil, fmt.Errorf("list symbols: %w", err)
	}
	list, err := collect(rows, scanSymbol)
	if err != nil {
		return nil, fmt.Errorf("list symbols: %w", err)
	}
	return list, nil
}

// SetSymbolHalted halts or resumes trading in a symbol.
func (s *Store) SetSymbolHalted(ctx context.Context, code string, halted bool) error {
	tag, err := s.pool.Exec(ctx, qSetSymbolHalted, halted, code)
	if err != nil {
		return fmt.Errorf("set symbol halted: %w", err)
	}
	return expectOne("set symbol halted", tag)
}

func scanSymbol(row pgx.Row) (store.Symbol, error) {
	var sym store.Symbol
	err := row.Scan(&sym.Code, &sym.BaseAsset, &sym.QuoteAsset, &sym.TickSize, &sym.LotSize,
		&sym.Halted, &sym.CreatedAt)
	sym.CreatedAt = sym.CreatedAt.UTC()
	return sym, err
}
