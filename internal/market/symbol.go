package market

import (
	"fmt"
	"regexp"
	"time"

	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
)

var (
	symbolPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,11}$`)
	assetPattern  = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,11}$`)
)

// SymbolError names the field of a symbol definition that is wrong.
type SymbolError struct {
	Field   string
	Message string
}

func (e *SymbolError) Error() string { return e.Field + " " + e.Message }

// ValidSymbol reports whether code is a well-formed symbol code.
func ValidSymbol(code string) bool { return symbolPattern.MatchString(code) }

// ValidAsset reports whether code is a well-formed asset code.
func ValidAsset(code string) bool { return assetPattern.MatchString(code) }

// NewSymbol checks a symbol definition from its decimal strings, so the API and the
// command line apply the same rules.
func NewSymbol(code, base, quote, tickSize, lotSize string, now time.Time) (store.Symbol, error) {
	sym := store.Symbol{Code: code, BaseAsset: base, QuoteAsset: quote, CreatedAt: now.UTC()}
	switch {
	case !symbolPattern.MatchString(code):
		return sym, &SymbolError{"symbol", "must be 1 to 12 upper-case letters or digits, starting with a letter"}
	case !assetPattern.MatchString(base):
		return sym, &SymbolError{"base_asset", "must be 2 to 12 upper-case letters or digits, starting with a letter"}
	case !assetPattern.MatchString(quote):
		return sym, &SymbolError{"quote_asset", "must be 2 to 12 upper-case letters or digits, starting with a letter"}
	case base == quote:
		return sym, &SymbolError{"quote_asset", "must differ from base_asset"}
	}
	var err error
	if sym.TickSize, err = money.ParsePositive(tickSize); err != nil {
		return sym, &SymbolError{"tick_size", stepMessage(err)}
	}
	if sym.LotSize, err = money.ParsePositive(lotSize); err != nil {
		return sym, &SymbolError{"lot_size", stepMessage(err)}
	}
	in := money.Instrument{TickSize: sym.TickSize, LotSize: sym.LotSize}
	if err := in.Validate(); err != nil {
		return sym, &SymbolError{"tick_size", fmt.Sprintf(
			"and lot_size together may have at most %d decimals, and their product must fit", money.Scale)}
	}
	return sym, nil
}

func stepMessage(err error) string {
	switch err {
	case money.ErrOverflow:
		return "is too large"
	case money.ErrNotPositive:
		return "must be greater than zero"
	case money.ErrPrecision:
		return "may have at most 8 decimals"
	}
	return "must be a decimal string such as \"0.01\""
}
