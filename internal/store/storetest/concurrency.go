package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
)

// testConcurrency commits batches from several goroutines, one per symbol as the
// sequencers do, all moving money between the same two accounts. Entries are
// listed in a different order in each goroutine, so a backend that locked
// balances in entry order would deadlock. The final balances must be exact.
func testConcurrency(t *testing.T, newStore NewStoreFunc) {
	const (
		workers = 6
		batches = 15
		start   = 1_000_000
	)
	s := newStore(t)
	a := createUser(t, s, "alice", "trader")
	b := createUser(t, s, "bob", "trader")
	for _, u := range []int64{a.ID, b.ID} {
		deposit(t, s, u, "USD", start)
		deposit(t, s, u, "BTC", start)
	}
	for w := range workers {
		createSymbol(t, s, fmt.Sprintf("S%d-USD", w), "BTC", "USD")
	}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range workers {
		wg.Go(func() {
			symbol := fmt.Sprintf("S%d-USD", w)
			for i := range batches {
				id := int64(w*batches + i + 1)
				batch := transferBatch(id, symbol, a.ID, b.ID, w%2 == 1)
				if err := s.CommitBatch(t.Context(), batch); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d workers failed, first: %v", len(errs), errs[0])
	}

	// Each batch moves 3 USD from alice to bob and 2 BTC from bob to alice.
	n := int64(workers * batches)
	want := []store.Balance{
		{UserID: a.ID, Asset: "BTC", Total: start + 2*n},
		{UserID: a.ID, Asset: "USD", Total: start - 3*n},
		{UserID: b.ID, Asset: "BTC", Total: start - 2*n},
		{UserID: b.ID, Asset: "USD", Total: start + 3*n},
	}
	for _, w := range want {
		if got := balanceOf(t, s, w.UserID, w.Asset); got != w {
			t.Fatalf("balance = %+v, want %+v", got, w)
		}
	}
	maxOrder, maxTrade, err := s.MaxIDs(t.Context())
	must(t, "max ids", err)
	if maxOrder != n || maxTrade != n {
		t.Fatalf("max ids = %d, %d; want %d, %d", maxOrder, maxTrade, n, n)
	}
}

// transferBatch is one fill of alice's buy against bob's sell: 1 BTC at 3 USD
// twice over, with reservation and release entries, listed bob first when
// reversed.
func transferBatch(id int64, symbol string, alice, bob int64, reversed bool) *store.Batch {
	buy := order(id, alice, symbol, "")
	buy.Status = store.StatusFilled
	tr := trade(id, symbol, alice, bob, at(0))
	aliceEntries := []store.LedgerEntry{
		{UserID: alice, Asset: "USD", Kind: store.EntryReserve, Reserved: 3, OrderID: id},
		{UserID: alice, Asset: "USD", Kind: store.EntryTrade, Amount: -3, Reserved: -3,
			OrderID: id, TradeID: id},
		{UserID: alice, Asset: "BTC", Kind: store.EntryTrade, Amount: 2, OrderID: id, TradeID: id},
	}
	bobEntries := []store.LedgerEntry{
		{UserID: bob, Asset: "BTC", Kind: store.EntryTrade, Amount: -2, TradeID: id},
		{UserID: bob, Asset: "USD", Kind: store.EntryTrade, Amount: 3, TradeID: id},
	}
	entries := append(aliceEntries, bobEntries...)
	if reversed {
		entries = append(bobEntries, aliceEntries...)
	}
	return &store.Batch{NewOrders: []store.Order{buy}, Trades: []store.Trade{tr}, Entries: entries}
}

func testMigrate(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	u := createUser(t, s, "alice", "trader")
	for i := range 2 {
		must(t, fmt.Sprintf("migrate again (%d)", i+1), s.Migrate(t.Context()))
	}
	if _, err := s.GetUser(t.Context(), u.ID); err != nil {
		t.Fatalf("data lost by a repeated migration: %v", err)
	}
	must(t, "ping", s.Ping(t.Context()))
	if b := s.Backend(); b != "sqlite" && b != "postgres" {
		t.Fatalf("backend = %q", b)
	}
}
