// Package market turns trades into market data: OHLCV bars at fixed intervals.
package market

import (
	"errors"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// ErrInterval is an interval the venue does not publish.
var ErrInterval = errors.New("interval must be one of 1m, 5m, 1h, 1d")

// Intervals maps the published bar intervals to their length.
var Intervals = map[string]time.Duration{
	"1m": time.Minute,
	"5m": 5 * time.Minute,
	"1h": time.Hour,
	"1d": 24 * time.Hour,
}

// ParseInterval returns the length of a published interval.
func ParseInterval(s string) (time.Duration, error) {
	d, ok := Intervals[s]
	if !ok {
		return 0, ErrInterval
	}
	return d, nil
}

// Bar is one interval of trading: prices in ticks, volume in lots.
type Bar struct {
	Start  time.Time
	Open   int64
	High   int64
	Low    int64
	Close  int64
	Volume int64
	Trades int
}

// Bars aggregates trades, oldest first, into bars aligned to UTC multiples of
// interval. Intervals without trades are left out rather than invented.
func Bars(trades []store.Trade, interval time.Duration) []Bar {
	return AddTrades(nil, trades, interval)
}

// AddTrades extends bars with more trades, oldest first, so a long range can be
// aggregated page by page without holding every trade at once.
func AddTrades(bars []Bar, trades []store.Trade, interval time.Duration) []Bar {
	for _, t := range trades {
		start := t.ExecutedAt.UTC().Truncate(interval)
		n := len(bars)
		if n == 0 || !bars[n-1].Start.Equal(start) {
			bars = append(bars, Bar{Start: start, Open: t.Price, High: t.Price, Low: t.Price})
			n++
		}
		b := &bars[n-1]
		b.High = max(b.High, t.Price)
		b.Low = min(b.Low, t.Price)
		b.Close = t.Price
		b.Volume += t.Quantity
		b.Trades++
	}
	return bars
}
