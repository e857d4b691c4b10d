package storetest

import (
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

func testTrades(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	a := createUser(t, s, "alice", "trader")
	b := createUser(t, s, "bob", "trader")
	c := createUser(t, s, "carol", "trader")
	createSymbol(t, s, "BTC-USD", "BTC", "USD")
	createSymbol(t, s, "ETH-USD", "ETH", "USD")

	// Trades 1..6: executed a second apart, except 4 and 5 at the same instant.
	batch := &store.Batch{Trades: []store.Trade{
		trade(1, "BTC-USD", a.ID, b.ID, at(1*time.Second)),
		trade(2, "ETH-USD", b.ID, a.ID, at(2*time.Second)),
		trade(3, "BTC-USD", b.ID, c.ID, at(3*time.Second)),
		trade(4, "BTC-USD", c.ID, a.ID, at(4*time.Second)),
		trade(5, "BTC-USD", a.ID, a.ID, at(4*time.Second)),
		trade(6, "BTC-USD", b.ID, c.ID, at(6*time.Second)),
	}}
	must(t, "commit batch", s.CommitBatch(t.Context(), batch))

	t.Run("BySymbolNewestFirst", func(t *testing.T) {
		tests := []struct {
			name   string
			symbol string
			page   store.Page
			want   []int64
		}{
			{"all", "BTC-USD", store.Page{}, []int64{6, 5, 4, 3, 1}},
			{"other symbol", "ETH-USD", store.Page{}, []int64{2}},
			{"before", "BTC-USD", store.Page{Before: 5, Limit: 2}, []int64{4, 3}},
			{"unknown symbol", "XRP-USD", store.Page{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListTrades(t.Context(), tt.symbol, tt.page)
				must(t, "list trades", err)
				sameIDs(t, "list trades", ids(got, tradeID), tt.want)
			})
		}
	})

	t.Run("ByUserEitherSide", func(t *testing.T) {
		tests := []struct {
			name string
			user int64
			page store.Page
			want []int64
		}{
			{"buyer or seller", a.ID, store.Page{}, []int64{5, 4, 2, 1}},
			{"self trade once", a.ID, store.Page{Limit: 1}, []int64{5}},
			{"page", a.ID, store.Page{Before: 5, Limit: 2}, []int64{4, 2}},
			{"other user", c.ID, store.Page{}, []int64{6, 4, 3}},
			{"nobody", c.ID + 100, store.Page{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListUserTrades(t.Context(), tt.user, tt.page)
				must(t, "list user trades", err)
				sameIDs(t, "list user trades", ids(got, tradeID), tt.want)
			})
		}
	})

	t.Run("Between", func(t *testing.T) {
		tests := []struct {
			name     string
			from, to time.Time
			limit    int
			want     []int64
		}{
			{"all", base, at(time.Minute), 0, []int64{1, 3, 4, 5, 6}},
			{"from inclusive to exclusive", at(3 * time.Second), at(6 * time.Second), 0,
				[]int64{3, 4, 5}},
			{"limit", base, at(time.Minute), 2, []int64{1, 3}},
			{"same instant in id order", at(4 * time.Second), at(5 * time.Second), 0,
				[]int64{4, 5}},
			{"empty window", at(7 * time.Second), at(time.Minute), 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.TradesBetween(t.Context(), "BTC-USD", tt.from, tt.to, tt.limit)
				must(t, "trades between", err)
				sameIDs(t, "trades between", ids(got, tradeID), tt.want)
			})
		}
	})
}

func testPagination(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	u := createUser(t, s, "alice", "trader")
	createSymbol(t, s, "BTC-USD", "BTC", "USD")
	const n = 510
	batch := &store.Batch{}
	for i := int64(1); i <= n; i++ {
		batch.Trades = append(batch.Trades, trade(i, "BTC-USD", u.ID, u.ID, at(time.Duration(i))))
	}
	must(t, "commit batch", s.CommitBatch(t.Context(), batch))

	tests := []struct {
		name string
		page store.Page
		want []int64
	}{
		{"zero limit means 100", store.Page{}, seq(n, n-99)},
		{"limit above 500 is clamped", store.Page{Limit: 1000}, seq(n, n-499)},
		{"exactly 500", store.Page{Limit: 500}, seq(n, n-499)},
		{"negative limit means 1", store.Page{Limit: -5}, []int64{n}},
		{"before the first id is empty", store.Page{Before: 1}, nil},
		{"before the second id", store.Page{Before: 2}, []int64{1}},
		{"before past the end", store.Page{Before: n + 10, Limit: 2}, []int64{n, n - 1}},
		{"last partial page", store.Page{Before: 11, Limit: 20}, seq(10, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListTrades(t.Context(), "BTC-USD", tt.page)
			must(t, "list trades", err)
			sameIDs(t, "list trades", ids(got, tradeID), tt.want)
		})
	}

	t.Run("walk every page", func(t *testing.T) {
		var all []int64
		p := store.Page{Limit: 97}
		for {
			page, err := s.ListTrades(t.Context(), "BTC-USD", p)
			must(t, "list trades", err)
			all = append(all, ids(page, tradeID)...)
			if len(page) < p.Limit {
				break
			}
			p.Before = page[len(page)-1].ID
		}
		sameIDs(t, "all pages", all, seq(n, 1))
	})
}
