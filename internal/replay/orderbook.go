package replay

import (
	"bufio"
	"fmt"
	"io"

	"github.com/octopus-venue/octopus/internal/engine"
)

// Prices LOBSTER writes for an empty level.
const (
	EmptyAsk int64 = 9999999999
	EmptyBid int64 = -9999999999
)

// BookRow is one row of a LOBSTER orderbook file: the visible levels of
// each side, best first. Empty levels are left out, and Orders is always 0
// since LOBSTER does not record order counts.
type BookRow struct {
	Asks []engine.Level
	Bids []engine.Level
}

// Side returns the levels of one side.
func (r *BookRow) Side(side engine.Side) []engine.Level {
	if side == engine.Buy {
		return r.Bids
	}
	return r.Asks
}

// ParseBookRow parses one orderbook row of the given number of levels into
// dst, reusing its slices. A row lists ask price, ask size, bid price, bid
// size for each level; prices must improve towards level 1 and an empty
// level may only be followed by empty levels.
func ParseBookRow(line []byte, levels int, dst *BookRow) error {
	_, err := parseBookRow(line, levels, dst, nil)
	return err
}

// parseBookRow is ParseBookRow with a reusable field buffer.
func parseBookRow(line []byte, levels int, dst *BookRow, fields [][]byte) ([][]byte, error) {
	if levels <= 0 {
		return fields, fmt.Errorf("%d levels: %w", levels, ErrSyntax)
	}
	fields = fields[:0]
	for range 4 * levels {
		fields = append(fields, nil)
	}
	if err := splitFields(line, fields); err != nil {
		return fields, err
	}
	dst.Asks, dst.Bids = dst.Asks[:0], dst.Bids[:0]
	for k := range levels {
		ask, err := parseLevel(fields[4*k], fields[4*k+1], EmptyAsk, engine.Sell, k)
		if err != nil {
			return fields, err
		}
		bid, err := parseLevel(fields[4*k+2], fields[4*k+3], EmptyBid, engine.Buy, k)
		if err != nil {
			return fields, err
		}
		if dst.Asks, err = appendLevel(dst.Asks, ask, engine.Sell, k); err != nil {
			return fields, err
		}
		if dst.Bids, err = appendLevel(dst.Bids, bid, engine.Buy, k); err != nil {
			return fields, err
		}
	}
	if len(dst.Asks) > 0 && len(dst.Bids) > 0 && dst.Bids[0].Price >= dst.Asks[0].Price {
		return fields, fmt.Errorf("crossed book: bid %d >= ask %d: %w",
			dst.Bids[0].Price, dst.Asks[0].Price, ErrSyntax)
	}
	return fields, nil
}

// parseLevel parses one price/size pair; an empty level has quantity 0.
func parseLevel(p, s []byte, empty int64, side engine.Side, k int) (engine.Level, error) {
	price, ok := parseDigits(p)
	if !ok {
		return engine.Level{}, fmt.Errorf("%v price %d %q: %w", side, k+1, p, ErrSyntax)
	}
	size, ok := parseDigits(s)
	if !ok {
		return engine.Level{}, fmt.Errorf("%v size %d %q: %w", side, k+1, s, ErrSyntax)
	}
	if price == empty {
		if size != 0 {
			return engine.Level{}, fmt.Errorf("empty %v level %d has size %d: %w",
				side, k+1, size, ErrSyntax)
		}
		return engine.Level{}, nil
	}
	if price <= 0 || size <= 0 {
		return engine.Level{}, fmt.Errorf("%v level %d: price %d size %d: %w",
			side, k+1, price, size, ErrSyntax)
	}
	return engine.Level{Price: price, Quantity: size}, nil
}

// appendLevel adds a parsed level, enforcing order and no gaps.
func appendLevel(dst []engine.Level, l engine.Level, side engine.Side, k int) ([]engine.Level, error) {
	if l.Quantity == 0 {
		return dst, nil
	}
	if len(dst) != k {
		return dst, fmt.Errorf("%v level %d follows an empty level: %w", side, k+1, ErrSyntax)
	}
	if k > 0 {
		prev := dst[k-1].Price
		if side == engine.Sell && l.Price <= prev || side == engine.Buy && l.Price >= prev {
			return dst, fmt.Errorf("%v level %d price %d not worse than %d: %w",
				side, k+1, l.Price, prev, ErrSyntax)
		}
	}
	return append(dst, l), nil
}

// BookReader streams a LOBSTER orderbook file row by row.
type BookReader struct {
	sc     *bufio.Scanner
	levels int
	line   int
	fields [][]byte
}

// NewBookReader returns a reader of orderbook rows with the given number of
// levels per side.
func NewBookReader(r io.Reader, levels int) *BookReader {
	return &BookReader{sc: newScanner(r), levels: levels}
}

// Next parses the next row into dst, reusing its slices. It returns io.EOF
// after the last row; other errors name the line.
func (r *BookReader) Next(dst *BookRow) error {
	line, err := nextLine(r.sc, &r.line)
	if err != nil {
		return err
	}
	r.fields, err = parseBookRow(line, r.levels, dst, r.fields)
	if err != nil {
		return fmt.Errorf("orderbook line %d: %w", r.line, err)
	}
	return nil
}

// Line returns the number of the last line read, counting from 1.
func (r *BookReader) Line() int {
	return r.line
}
