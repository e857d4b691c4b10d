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
// orders, 32 updates of resting orders, 32 trades and 128 ledger entries spread
// over 16 accounts, and reports committed new orders per second. s must be
// empty and migrated.
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

	gen := &benchGen{users: users}
	if err := s.CommitBatch(ctx, gen.next()); err != nil { // the first resting sells
		b.Fatal(err)
	}
	committed := gen.orders
	for b.Loop() {
		if err := s.CommitBatch(ctx, gen.next()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(gen.orders-committed)/b.Elapsed().Seconds(), "orders/s")
}

// benchGen builds benchmark batches. Each batch rests 32 new sells and fills the
// 32 sells of the previous batch with 32 new buys: 64 new orders, 32 updates of
// older orders, 32 trades and four ledger entries per trade.
type benchGen struct {
	users   []int64
	orders  int64         // orders created so far, also the last order id
	trades  int64         // last trade id
	resting []store.Order // sells of the previous batch
}

func (g *benchGen) next() *store.Batch {
	now := time.Now()
	b := &store.Batch{
		NewOrders: make([]store.Order, 0, benchOrders),
		Updates:   make([]store.OrderUpdate, 0, benchTrades),
		Trades:    make([]store.Trade, 0, benchTrades),
		Entries:   make([]store.LedgerEntry, 0, benchEntries),
	}
	for _, sell := range g.resting {
		g.orders++
		g.trades++
		buyer := g.users[(g.orders*7+3)%int64(len(g.users))]
		buy := order(g.orders, buyer, "BTC-USD", fmt.Sprintf("c%d", g.orders))
		buy.Status, buy.Filled, buy.Reserved, buy.CreatedAt, buy.UpdatedAt = store.StatusFilled, 10, 0, now, now
		b.NewOrders = append(b.NewOrders, buy)
		b.Updates = append(b.Updates, store.OrderUpdate{ID: sell.ID, Filled: 10,
			Status: store.StatusFilled, UpdatedAt: now})

		tr := trade(g.trades, "BTC-USD", buyer, sell.UserID, now)
		tr.BuyOrderID, tr.SellOrderID = buy.ID, sell.ID
		b.Trades = append(b.Trades, tr)
		b.Entries = append(b.Entries, benchEntries4(tr, now)...)
	}

	g.resting = g.resting[:0]
	for range benchTrades {
		g.orders++
		seller := g.users[g.orders%int64(len(g.users))]
		sell := order(g.orders, seller, "BTC-USD", "")
		sell.Side, sell.Reserved, sell.CreatedAt, sell.UpdatedAt = "sell", 10, now, now
		b.NewOrders = append(b.NewOrders, sell)
		g.resting = append(g.resting, sell)
	}
	return b
}

// benchEntries4 moves quote from buyer to seller and base the other way, in
// amounts that vary by trade so balances really change.
func benchEntries4(tr store.Trade, now time.Time) []store.LedgerEntry {
	quote, base := 1000+tr.ID%97, 10+tr.ID%7
	entry := func(userID, orderID int64, asset string, amount int64) store.LedgerEntry {
		return store.LedgerEntry{UserID: userID, Asset: asset, Kind: store.EntryTrade,
			Amount: amount, OrderID: orderID, TradeID: tr.ID, CreatedAt: now}
	}
	return []store.LedgerEntry{
		entry(tr.BuyerID, tr.BuyOrderID, "USD", -quote),
		entry(tr.BuyerID, tr.BuyOrderID, "BTC", base),
		entry(tr.SellerID, tr.SellOrderID, "BTC", -base),
		entry(tr.SellerID, tr.SellOrderID, "USD", quote),
	}
}
