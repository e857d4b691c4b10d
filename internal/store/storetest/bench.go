package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// Shape of the batch BenchmarkCommitBatch commits: what one group commit of a
// busy symbol's sequencer writes.
const (
	benchOrders  = 64
	benchTrades  = 32
	benchEntries = 128
	benchUsers   = 16
)

// BenchCommitBatch measures CommitBatch on s with realistic batches of 64 new
// orders, 32 order updates, 32 trades and 128 ledger entries spread over 16
// accounts, and reports committed orders per second. s must be empty and
// migrated.
func BenchCommitBatch(b *testing.B, s store.Store) {
	ctx := b.Context()
	users := make([]int64, benchUsers)
	for i := range users {
		u := store.User{Username: fmt.Sprintf("bench%d", i), Role: "trader", PasswordHash: "h"}
		if err := s.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
		users[i] = u.ID
		dep := []store.LedgerEntry{
			{UserID: u.ID, Asset: "USD", Kind: store.EntryDeposit, Amount: 1 << 50},
			{UserID: u.ID, Asset: "BTC", Kind: store.EntryDeposit, Amount: 1 << 50},
		}
		if err := s.ApplyEntries(ctx, dep); err != nil {
			b.Fatal(err)
		}
	}
	sym := store.Symbol{Code: "BTC-USD", BaseAsset: "BTC", QuoteAsset: "USD", TickSize: 1, LotSize: 1}
	if err := s.CreateSymbol(ctx, &sym); err != nil {
		b.Fatal(err)
	}

	var nextOrder, nextTrade int64
	for b.Loop() {
		batch := benchBatch(users, &nextOrder, &nextTrade)
		if err := s.CommitBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(nextOrder)/b.Elapsed().Seconds(), "orders/s")
}

// benchBatch builds the next batch: each trade fills a new buy against a new
// resting sell, which an update then marks filled, and moves quote and base
// between their owners with four entries.
func benchBatch(users []int64, nextOrder, nextTrade *int64) *store.Batch {
	now := time.Now()
	b := &store.Batch{
		NewOrders: make([]store.Order, 0, benchOrders),
		Updates:   make([]store.OrderUpdate, 0, benchTrades),
		Trades:    make([]store.Trade, 0, benchTrades),
		Entries:   make([]store.LedgerEntry, 0, benchEntries),
	}
	for i := range benchTrades {
		buyer, seller := users[i%len(users)], users[(i*7+3)%len(users)]
		*nextOrder += 2
		*nextTrade++
		buyID, sellID, tradeID := *nextOrder-1, *nextOrder, *nextTrade

		buy := order(buyID, buyer, "BTC-USD", fmt.Sprintf("c%d", buyID))
		buy.Status, buy.Filled, buy.Reserved, buy.CreatedAt, buy.UpdatedAt = store.StatusFilled, 10, 0, now, now
		sell := order(sellID, seller, "BTC-USD", "")
		sell.Side, sell.Status, sell.CreatedAt, sell.UpdatedAt = "sell", store.StatusNew, now, now
		b.NewOrders = append(b.NewOrders, buy, sell)
		b.Updates = append(b.Updates, store.OrderUpdate{ID: sellID, Filled: 10,
			Status: store.StatusFilled, UpdatedAt: now})

		tr := trade(tradeID, "BTC-USD", buyer, seller, now)
		tr.BuyOrderID, tr.SellOrderID = buyID, sellID
		b.Trades = append(b.Trades, tr)

		b.Entries = append(b.Entries,
			store.LedgerEntry{UserID: buyer, Asset: "USD", Kind: store.EntryTrade, Amount: -1000,
				OrderID: buyID, TradeID: tradeID, CreatedAt: now},
			store.LedgerEntry{UserID: buyer, Asset: "BTC", Kind: store.EntryTrade, Amount: 10,
				OrderID: buyID, TradeID: tradeID, CreatedAt: now},
			store.LedgerEntry{UserID: seller, Asset: "BTC", Kind: store.EntryTrade, Amount: -10,
				OrderID: sellID, TradeID: tradeID, CreatedAt: now},
			store.LedgerEntry{UserID: seller, Asset: "USD", Kind: store.EntryTrade, Amount: 1000,
				OrderID: sellID, TradeID: tradeID, CreatedAt: now},
		)
	}
	return b
}
