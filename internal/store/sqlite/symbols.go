package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// CreateSymbol inserts sym; a zero CreatedAt is set to now.
func (s *Store) CreateSymbol(ctx context.Context, sym *store.Symbol) error {
	created := stamp(sym.CreatedAt)
	_, err := s.writer.ExecContext(ctx, qCreateSymbol, sym.Code, sym.BaseAsset,
		sym.QuoteAsset, sym.TickSize, sym.LotSize, sym.Halted, created.UnixMicro())
	if err != nil {
		return mapError("create symbol", err)
	}
	sym.CreatedAt = created
	return nil
}

// GetSymbol returns the symbol with code.
func (s *Store) GetSymbol(ctx context.Context, code string) (store.Symbol, error) {
	sym, err := scanSymbol(s.reader.QueryRowContext(ctx, qGetSymbol, code))
	if err != nil {
		return store.Symbol{}, fmt.Errorf("get symbol: %w", err)
	}
	return sym, nil
}

// ListSymbols returns all symbols ordered by code.
func (s *Store) ListSymbols(ctx context.Context) ([]store.Symbol, error) {
	rows, err := s.reader.QueryContext(ctx, qListSymbols)
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
	res, err := s.writer.ExecContext(ctx, qSetSymbolHalted, halted, code)
	if err != nil {
		return fmt.Errorf("set symbol halted: %w", err)
	}
	return expectOne("set symbol halted", res)
}

func scanSymbol(row rowScanner) (store.Symbol, error) {
	var (
		sym     store.Symbol
		created int64
	)
	err := row.Scan(&sym.Code, &sym.BaseAsset, &sym.QuoteAsset, &sym.TickSize, &sym.LotSize,
		&sym.Halted, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Symbol{}, store.ErrNotFound
	}
	if err != nil {
		return store.Symbol{}, err
	}
	sym.CreatedAt = time.UnixMicro(created).UTC()
	return sym, nil
}
