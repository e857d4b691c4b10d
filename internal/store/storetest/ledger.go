package storetest

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
)

func testLedger(t *testing.T, newStore NewStoreFunc) {
	t.Run("InsufficientRollsBackEverything", testInsufficient(newStore))
	t.Run("BalancesAreTheSumOfEntries", testBalancesSumEntries(newStore))

	t.Run("ListNewestFirst", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "alice", "trader")
		for i := range 5 {
			deposit(t, s, u.ID, "USD", int64(i+1))
		}
		all, err := s.ListLedger(t.Context(), u.ID, store.Page{})
		must(t, "list ledger", err)
		if len(all) != 5 || all[0].Amount != 5 || all[4].Amount != 1 {
			t.Fatalf("ledger = %+v, want amounts 5..1", all)
		}
		e := all[0]
		if e.UserID != u.ID || e.Asset != "USD" || e.Kind != store.EntryDeposit ||
			e.Reason != "test deposit" || e.CreatedAt.IsZero() || e.OrderID != 0 {
			t.Fatalf("entry = %+v", e)
		}

		page, err := s.ListLedger(t.Context(), u.ID, store.Page{Before: all[1].ID, Limit: 2})
		must(t, "list ledger page", err)
		sameIDs(t, "ledger page", ids(page, entryID), ids(all[2:4], entryID))
	})

	t.Run("UnknownUser", func(t *testing.T) {
		s := newStore(t)
		tests := []struct {
			name    string
			entries []store.LedgerEntry
		}{
			{"deposit", []store.LedgerEntry{
				{UserID: 999, Asset: "USD", Kind: store.EntryDeposit, Amount: 1}}},
			{"entries that net to zero", []store.LedgerEntry{
				{UserID: 999, Asset: "USD", Kind: store.EntryDeposit, Amount: 1},
				{UserID: 999, Asset: "USD", Kind: store.EntryWithdrawal, Amount: -1}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.ApplyEntries(t.Context(), tt.entries)
				wantErr(t, "apply entries of an unknown user", err, store.ErrNotFound)
			})
		}
	})
}

func testInsufficient(newStore NewStoreFunc) func(t *testing.T) {
	return func(t *testing.T) {
		entry := func(asset, kind string, amount, reserved int64) store.LedgerEntry {
			return store.LedgerEntry{Asset: asset, Kind: kind, Amount: amount, Reserved: reserved}
		}
		tests := []struct {
			name    string
			entries []store.LedgerEntry
			wantErr error
		}{
			{"withdraw all", []store.LedgerEntry{entry("USD", store.EntryWithdrawal, -100, 0)}, nil},
			{"withdraw too much", []store.LedgerEntry{
				entry("USD", store.EntryWithdrawal, -101, 0)}, store.ErrInsufficient},
			{"reserve too much", []store.LedgerEntry{
				entry("USD", store.EntryReserve, 0, 101)}, store.ErrInsufficient},
			{"release more than reserved", []store.LedgerEntry{
				entry("USD", store.EntryRelease, 0, -1)}, store.ErrInsufficient},
			{"withdraw reserved funds", []store.LedgerEntry{
				entry("USD", store.EntryReserve, 0, 60),
				entry("USD", store.EntryWithdrawal, -50, 0)}, store.ErrInsufficient},
			{"spend an asset never held", []store.LedgerEntry{
				entry("BTC", store.EntryWithdrawal, -1, 0)}, store.ErrInsufficient},
			{"good entries then a bad one", []store.LedgerEntry{
				entry("BTC", store.EntryDeposit, 5, 0),
				entry("USD", store.EntryReserve, 0, 10),
				entry("ETH", store.EntryWithdrawal, -1, 0)}, store.ErrInsufficient},
			{"credit before debit nets out", []store.LedgerEntry{
				entry("USD", store.EntryWithdrawal, -150, 0),
				entry("USD", store.EntryDeposit, 50, 0)}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := newStore(t)
				u := createUser(t, s, "alice", "trader")
				deposit(t, s, u.ID, "USD", 100)
				for i := range tt.entries {
					tt.entries[i].UserID = u.ID
				}
				balances, err := s.ListBalances(t.Context(), u.ID)
				must(t, "list balances", err)

				err = s.ApplyEntries(t.Context(), tt.entries)
				wantErr(t, "apply entries", err, tt.wantErr)
				if tt.wantErr == nil {
					return
				}

				after, err := s.ListBalances(t.Context(), u.ID)
				must(t, "list balances", err)
				if !reflect.DeepEqual(after, balances) {
					t.Fatalf("balances changed by a failed apply: %+v, was %+v", after, balances)
				}
				ledger, err := s.ListLedger(t.Context(), u.ID, store.Page{})
				must(t, "list ledger", err)
				if len(ledger) != 1 {
					t.Fatalf("failed apply left %d ledger entries, want only the deposit", len(ledger))
				}
			})
		}
	}
}

func testBalancesSumEntries(newStore NewStoreFunc) func(t *testing.T) {
	return func(t *testing.T) {
		s := newStore(t)
		users := []int64{
			createUser(t, s, "u1", "trader").ID,
			createUser(t, s, "u2", "trader").ID,
			createUser(t, s, "u3", "trader").ID,
		}
		assets := []string{"BTC", "ETH", "USD"}
		for _, u := range users {
			for _, a := range assets {
				deposit(t, s, u, a, 1_000_000)
			}
		}

		// Random transfers and reservations that always stay covered: amounts are
		// small against the deposits, and reservations are released in the same
		// batch they are taken.
		rng := rand.New(rand.NewPCG(1, 2))
		for range 40 {
			var batch []store.LedgerEntry
			for range 1 + rng.IntN(6) {
				from, to := users[rng.IntN(3)], users[rng.IntN(3)]
				asset, amount := assets[rng.IntN(3)], 1+rng.Int64N(1000)
				batch = append(batch,
					store.LedgerEntry{UserID: from, Asset: asset, Kind: store.EntryReserve, Reserved: amount},
					store.LedgerEntry{UserID: from, Asset: asset, Kind: store.EntryTrade,
						Amount: -amount, Reserved: -amount},
					store.LedgerEntry{UserID: to, Asset: asset, Kind: store.EntryTrade, Amount: amount})
			}
			must(t, "apply entries", s.ApplyEntries(t.Context(), batch))
		}

		sums := make(map[store.Balance]bool)
		totals := make(map[string]store.Balance)
		for _, u := range users {
			perAsset := make(map[string]store.Balance)
			for _, e := range allLedger(t, s, u) {
				b := perAsset[e.Asset]
				b.UserID, b.Asset = u, e.Asset
				b.Total += e.Amount
				b.Reserved += e.Reserved
				perAsset[e.Asset] = b
			}
			for _, b := range perAsset {
				sums[b] = true
				tot := totals[b.Asset]
				tot.Asset, tot.Total, tot.Reserved = b.Asset, tot.Total+b.Total, tot.Reserved+b.Reserved
				totals[b.Asset] = tot
			}
		}

		all, err := s.AllBalances(t.Context())
		must(t, "all balances", err)
		if len(all) != len(sums) {
			t.Fatalf("%d balances, want %d", len(all), len(sums))
		}
		for _, b := range all {
			if !sums[b] {
				t.Fatalf("balance %+v is not the sum of its ledger entries", b)
			}
		}
		got, err := s.AssetTotals(t.Context())
		must(t, "asset totals", err)
		if !reflect.DeepEqual(got, totals) {
			t.Fatalf("asset totals = %+v, want %+v", got, totals)
		}
		if totals["USD"].Total != 3_000_000 {
			t.Fatalf("USD total = %d, transfers must not create money", totals["USD"].Total)
		}
	}
}

// allLedger pages through a user's whole ledger.
func allLedger(t *testing.T, s store.Store, userID int64) []store.LedgerEntry {
	t.Helper()
	var all []store.LedgerEntry
	p := store.Page{Limit: 50}
	for {
		page, err := s.ListLedger(t.Context(), userID, p)
		must(t, "list ledger", err)
		all = append(all, page...)
		if len(page) < p.Limit {
			return all
		}
		p.Before = page[len(page)-1].ID
	}
}
