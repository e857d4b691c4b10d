package market

import (
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

func TestBars(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	trades := []store.Trade{
		{Price: 100, Quantity: 1, ExecutedAt: t0.Add(5 * time.Second)},
		{Price: 105, Quantity: 2, ExecutedAt: t0.Add(20 * time.Second)},
		{Price: 98, Quantity: 3, ExecutedAt: t0.Add(50 * time.Second)},
		{Price: 101, Quantity: 4, ExecutedAt: t0.Add(3 * time.Minute)},
	}
	tests := []struct {
		name     string
		interval time.Duration
		want     []Bar
	}{
		{"1m", time.Minute, []Bar{
			{Start: t0, Open: 100, High: 105, Low: 98, Close: 98, Volume: 6, Trades: 3},
			{Start: t0.Add(3 * time.Minute), Open: 101, High: 101, Low: 101, Close: 101, Volume: 4, Trades: 1},
		}},
		{"5m", 5 * time.Minute, []Bar{
			{Start: t0, Open: 100, High: 105, Low: 98, Close: 101, Volume: 10, Trades: 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Bars(trades, tt.interval)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d bars, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("bar %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	if _, err := ParseInterval("2m"); err == nil {
		t.Fatal("2m accepted")
	}
}
