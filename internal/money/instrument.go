package money

import (
	"errors"
	"fmt"
)

// Instrument converts between the decimal strings of the API and the ticks and lots the
// engine trades in, for one symbol. TickSize and LotSize are in 10^-8 units.
//
// A notional (price × quantity) is an amount of the quote asset. It is exact because a
// symbol is only accepted when the decimals of its tick and lot add up to at most Scale,
// so one tick × one lot is a whole number of units: NotionalUnit.
type Instrument struct {
	TickSize int64
	LotSize  int64
}

// ErrInstrument reports a tick and lot pair the venue cannot trade exactly.
var ErrInstrument = errors.New("invalid instrument")

// Validate checks that the instrument can express every notional exactly.
func (in Instrument) Validate() error {
	if in.TickSize <= 0 || in.LotSize <= 0 {
		return fmt.Errorf("%w: tick size and lot size must be greater than zero", ErrInstrument)
	}
	if Decimals(in.TickSize)+Decimals(in.LotSize) > Scale {
		return fmt.Errorf("%w: tick size and lot size together need more than %d decimals",
			ErrInstrument, Scale)
	}
	if _, ok := Mul(in.TickSize, in.LotSize); !ok {
		return fmt.Errorf("%w: tick size times lot size overflows", ErrInstrument)
	}
	return nil
}

// NotionalUnit is the quote amount of one tick of price on one lot of quantity.
func (in Instrument) NotionalUnit() int64 {
	p, _ := Mul(in.TickSize, in.LotSize)
	return p / One
}

// Ticks parses a price string into whole ticks.
func (in Instrument) Ticks(price string) (int64, error) {
	return toSteps(price, in.TickSize)
}

// Lots parses a quantity string into whole lots.
func (in Instrument) Lots(quantity string) (int64, error) {
	return toSteps(quantity, in.LotSize)
}

// Notional returns the quote amount of lots at a price in ticks, or ErrOverflow.
func (in Instrument) Notional(ticks, lots int64) (int64, error) {
	p, ok := Mul(ticks, lots)
	if !ok {
		return 0, ErrOverflow
	}
	n, ok := Mul(p, in.NotionalUnit())
	if !ok {
		return 0, ErrOverflow
	}
	return n, nil
}

// BaseAmount returns the base asset amount of a quantity in lots, or ErrOverflow.
func (in Instrument) BaseAmount(lots int64) (int64, error) {
	n, ok := Mul(lots, in.LotSize)
	if !ok {
		return 0, ErrOverflow
	}
	return n, nil
}

// FormatPrice writes ticks as a price with the tick's decimals.
func (in Instrument) FormatPrice(ticks int64) string {
	return FormatFixed(ticks*in.TickSize, Decimals(in.TickSize))
}

// FormatQuantity writes lots as a quantity with the lot's decimals.
func (in Instrument) FormatQuantity(lots int64) string {
	return FormatFixed(lots*in.LotSize, Decimals(in.LotSize))
}

func toSteps(s string, step int64) (int64, error) {
	v, err := ParsePositive(s)
	if err != nil {
		return 0, err
	}
	if v%step != 0 {
		return 0, ErrOffStep
	}
	return v / step, nil
}
