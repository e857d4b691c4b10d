// Package storetest is the contract suite every store.Store backend must pass.
// A backend's tests call Run with a function that opens a fresh, migrated, empty
// store, so every behaviour is checked against both SQLite and PostgreSQL.
package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// NewStoreFunc opens an empty, migrated store that is closed when t ends.
type NewStoreFunc = func(t *testing.T) store.Store

// Run runs the whole contract suite, one subtest per behaviour, each on a fresh
// store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	suites := []struct {
		name string
		run  func(t *testing.T, newStore NewStoreFunc)
	}{
		{"Users", testUsers},
		{"TOTP", testTOTP},
		{"RecoveryCodes", testRecoveryCodes},
		{"RefreshTokens", testRefreshTokens},
		{"DeniedTokens", testDeniedTokens},
		{"SigningKeys", testSigningKeys},
		{"Symbols", testSymbols},
		{"Ledger", testLedger},
		{"Orders", testOrders},
		{"Trades", testTrades},
		{"Pagination", testPagination},
		{"SecurityEvents", testSecurityEvents},
		{"APIKeys", testAPIKeys},
		{"Concurrency", testConcurrency},
		{"Migrate", testMigrate},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore) })
	}
}

// base is the fixed time tests build on; it has microsecond precision, the
// precision every backend keeps.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// wantErr fails t unless err matches want (nil meaning no error).
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
}

// must fails t on a non-nil error.
func must(t testing.TB, what string, err error) {
	t.Helper()
	wantErr(t, what, err, nil)
}

// createUser adds a user with role and returns it.
func createUser(t testing.TB, s store.Store, username, role string) store.User {
	t.Helper()
	u := store.User{Username: username, Email: username + "@example.test", Role: role,
		PasswordHash: "hash-" + username}
	must(t, "create user "+username, s.CreateUser(t.Context(), &u))
	return u
}

// createSymbol adds a symbol trading base against quote.
func createSymbol(t testing.TB, s store.Store, code, baseAsset, quote string) store.Symbol {
	t.Helper()
	sym := store.Symbol{Code: code, BaseAsset: baseAsset, QuoteAsset: quote,
		TickSize: 1_000_000, LotSize: 100_000}
	must(t, "create symbol "+code, s.CreateSymbol(t.Context(), &sym))
	return sym
}

// deposit credits amount of asset to a user.
func deposit(t testing.TB, s store.Store, userID int64, asset string, amount int64) {
	t.Helper()
	e := store.LedgerEntry{UserID: userID, Asset: asset, Kind: store.EntryDeposit,
		Amount: amount, Reason: "test deposit"}
	must(t, "deposit", s.ApplyEntries(t.Context(), []store.LedgerEntry{e}))
}

// balanceOf returns one balance of a user, zero when it does not exist.
func balanceOf(t testing.TB, s store.Store, userID int64, asset string) store.Balance {
	t.Helper()
	list, err := s.ListBalances(t.Context(), userID)
	must(t, "list balances", err)
	for _, b := range list {
		if b.Asset == asset {
			return b
		}
	}
	return store.Balance{UserID: userID, Asset: asset}
}

// order returns a resting limit order with the given ids.
func order(id, userID int64, symbol, clientID string) store.Order {
	return store.Order{
		ID: id, UserID: userID, Symbol: symbol, ClientOrderID: clientID,
		Side: "buy", Type: "limit", TimeInForce: "GTC", STP: "expire_taker",
		Price: 100, Quantity: 10, Reserved: 1000, Status: store.StatusNew,
		CreatedAt: at(time.Duration(id) * time.Millisecond),
		UpdatedAt: at(time.Duration(id) * time.Millisecond),
	}
}

// trade returns a trade of symbol between two orders and users.
func trade(id int64, symbol string, buyer, seller int64, executed time.Time) store.Trade {
	return store.Trade{
		ID: id, Symbol: symbol, Price: 100 + id, Quantity: 1 + id%7,
		BuyOrderID: 1000 + id, SellOrderID: 2000 + id, BuyerID: buyer, SellerID: seller,
		TakerSide: "buy", ExecutedAt: executed,
	}
}

// ids lists the ids of orders, trades, users, events or entries via id.
func ids[T any](list []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(list))
	for _, v := range list {
		out = append(out, id(v))
	}
	return out
}

// sameIDs fails t unless got and want list the same ids in the same order.
func sameIDs(t testing.TB, what string, got, want []int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: ids %v, want %v", what, got, want)
	}
}

// seq returns the ids from..to inclusive, descending when from > to.
func seq(from, to int64) []int64 {
	var out []int64
	if from <= to {
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
		return out
	}
	for i := from; i >= to; i-- {
		out = append(out, i)
	}
	return out
}

func orderID(o store.Order) int64         { return o.ID }
func tradeID(tr store.Trade) int64        { return tr.ID }
func userID(u store.User) int64           { return u.ID }
func entryID(e store.LedgerEntry) int64   { return e.ID }
func eventID(e store.SecurityEvent) int64 { return e.ID }
