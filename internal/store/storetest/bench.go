package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// Shape of the batch the benchmarks commit: what one group commit of a busy
// symbol's sequencer writes.
const (
	benchOrders  = 64
	benchTrades  = 32
	benchEntries = 128
	benchUsers   = 16
	// benchIDSpace separates the order and trade ids of parallel sequencers.
	benchIDSpace = 1 << 40
)

// BenchCommitBatch measures CommitBatch on s with realistic batches of 64 new
// orders, 32 updates of resting orders, 32 trades and 128 ledger entries spread
// over 16 accounts, committed one after another as one symbol's sequencer does,
// and reports committed new orders per second. s must be empty and migrated.
func BenchCommitBatch(b *testing.B, s store.Store) {
	gen := benchSetup(b, s, 1)[0]
	committed := gen.orders
	for b.Loop() {
		if err := s.CommitBatch(b.Context(), gen.next()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(gen.orders-committed)/b.Elapsed().Seconds(), "orders/s")
}

// BenchCommitBatchParallel is BenchCommitBatch with several sequencers, one per
// symbol, committing at once against the same 16 accounts, as a venue with
// several busy symbols does. It reports the venue's total new orders per second.
func BenchCommitBatchParallel(b *testing.B, s store.Store, sequencers int) {
	gens := benchSetup(b, s, sequencers)
	var (
		wg      sync.WaitGroup
		batches atomic.Int64
		failed  atomic.Bool
	)
	b.ResetTimer()
	start := time.Now()
	for _, gen := range gens {
		wg.Go(func() {
			for batches.Add(1) <= int64(b.N) && !failed.Load() {
				if err := s.CommitBatch(b.Context(), gen.next()); err != nil {
					failed.Store(true)
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*benchOrders)/time.Since(start).Seconds(), "orders/s")
}

// benchSetup creates the accounts, funds them, creates one symbol per
// generator and commits each generator's first batch of resting sells.
func benchSetup(b *testing.B, s store.Store, n int) []*benchGen {
	ctx := b.Context()
	users := make([]int64, benchUsers)
	for i := range users {
		u := store.User{Username: fmt.Sprintf("bench%d", i), Role: "trader", PasswordHash: "h"}
		if err := s.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
		users[i] = u.ID
	}

	gens := make([]*benchGen, n)
	for i := range gens {
		base := fmt.Sprintf("B%d", i)
		sym := store.Symbol{Code: base + "-USD", BaseAsset: base, QuoteAsset: "USD",
			TickSize: 1, LotSize: 1}
		if err := s.CreateSymbol(ctx, &sym); err != nil {
			b.Fatal(err)
		}
		var deposits []store.LedgerEntry
		for _, u := range users {
			deposits = append(deposits,
				store.LedgerEntry{UserID: u, Asset: "USD", Kind: store.EntryDeposit, Amount: 1 << 50},
				store.LedgerEntry{UserID: u, Asset: base, Kind: store.EntryDeposit, Amount: 1 << 50})
		}
		if err := s.ApplyEntries(ctx, deposits); err != nil {
			b.Fatal(err)
		}

		id := int64(i) * benchIDSpace
		gens[i] = &benchGen{users: users, symbol: sym, orders: id, trades: id}
		if err := s.CommitBatch(ctx, gens[i].next()); err != nil {
			b.Fatal(err)
		}
	}
	return gens
}

// benchGen builds one symbol's benchmark batches. Each batch rests 32 new sells
// and fills the 32 sells of the previous batch with 32 new buys: 64 new orders,
// 32 updates of older orders, 32 trades and four ledger entries per trade.
type benchGen struct {
	users   []int64
	symbol  store.Symbol
	orders  int64         // last order id
	trades  int64         // last trade id
	resting []store.Order // sells of the previous batch
}

func (g *benchGen) next() *store.Batch {
	now := time.Now()
	code := g.symbol.Code
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
		buy := order(g.orders, buyer, code, fmt.Sprintf("c%d", g.orders))
		buy.Status, buy.Filled, buy.Reserved = store.StatusFilled, 10, 0
		buy.CreatedAt, buy.UpdatedAt = now, now
		b.NewOrders = append(b.NewOrders, buy)
		b.Updates = append(b.Updates, store.OrderUpdate{ID: sell.ID, Filled: 10,
			Status: store.StatusFilled, UpdatedAt: now})

		tr := trade(g.trades, code, buyer, sell.UserID, now)
		tr.BuyOrderID, tr.SellOrderID = buy.ID, sell.ID
		b.Trades = append(b.Trades, tr)
		b.Entries = append(b.Entries, g.settle(tr, now)...)
	}

	g.resting = g.resting[:0]
	for range benchTrades {
		g.orders++
		seller := g.users[g.orders%int64(len(g.users))]
		sell := order(g.orders, seller, code, "")
		sell.Side, sell.Reserved, sell.CreatedAt, sell.UpdatedAt = "sell", 10, now, now
		b.NewOrders = append(b.NewOrders, sell)
		g.resting = append(g.resting, sell)
	}
	return b
}

// settle moves quote from buyer to seller and base the other way, in amounts
// that vary by trade so balances really change.
func (g *benchGen) settle(tr store.Trade, now time.Time) []store.LedgerEntry {
	quote, base := 1000+tr.ID%97, 10+tr.ID%7
	entry := func(userID, orderID int64, asset string, amount int64) store.LedgerEntry {
		return store.LedgerEntry{UserID: userID, Asset: asset, Kind: store.EntryTrade,
			Amount: amount, OrderID: orderID, TradeID: tr.ID, CreatedAt: now}
	}
	return []store.LedgerEntry{
		entry(tr.BuyerID, tr.BuyOrderID, g.symbol.QuoteAsset, -quote),
		entry(tr.BuyerID, tr.BuyOrderID, g.symbol.BaseAsset, base),
		entry(tr.SellerID, tr.SellOrderID, g.symbol.BaseAsset, -base),
		entry(tr.SellerID, tr.SellOrderID, g.symbol.QuoteAsset, quote),
	}
}
