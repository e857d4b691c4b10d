package trading_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
	"github.com/octopus-venue/octopus/internal/trading"
)

// venue is a trading service over a real SQLite store in a temp dir.
type venue struct {
	t     *testing.T
	path  string
	store *sqlite.Store
	svc   *trading.Service
}

func newVenue(t *testing.T) *venue {
	t.Helper()
	v := &venue{t: t, path: filepath.Join(t.TempDir(), "venue.db")}
	v.open()
	sym := store.Symbol{Code: "AAPL", BaseAsset: "AAPL", QuoteAsset: "USD",
		TickSize: money.One / 100, LotSize: money.One, CreatedAt: time.Now().UTC()}
	if err := v.store.CreateSymbol(context.Background(), &sym); err != nil {
		t.Fatal(err)
	}
	if err := v.svc.AddSymbol(context.Background(), sym); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.close)
	return v
}

func (v *venue) open() {
	v.t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, v.path, sqlite.Options{})
	if err != nil {
		v.t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		v.t.Fatal(err)
	}
	v.store = st
	v.svc, err = trading.New(ctx, st, trading.Options{BatchSize: 64,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		v.t.Fatal(err)
	}
}

func (v *venue) close() {
	if v.svc != nil {
		v.svc.Close()
		v.svc = nil
	}
	if v.store != nil {
		v.store.Close()
		v.store = nil
	}
}

// restart closes everything and opens it again from the database.
func (v *venue) restart() {
	v.close()
	v.open()
}

func (v *venue) user(name string, deposits map[string]string) int64 {
	v.t.Helper()
	ctx := context.Background()
	u := store.User{Username: name, Email: name + "@example.com", Role: "trader", PasswordHash: "x"}
	if err := v.store.CreateUser(ctx, &u); err != nil {
		v.t.Fatal(err)
	}
	for asset, amount := range deposits {
		a, err := money.Parse(amount)
		if err != nil {
			v.t.Fatal(err)
		}
		e := store.LedgerEntry{UserID: u.ID, Asset: asset, Kind: store.EntryDeposit, Amount: a,
			Reason: "test", CreatedAt: time.Now().UTC()}
		if err := v.svc.Ledger().Post(ctx, v.store, []store.LedgerEntry{e}); err != nil {
			v.t.Fatal(err)
		}
	}
	return u.ID
}

func (v *venue) balance(user int64, asset string) (total, reserved string) {
	v.t.Helper()
	bs, err := v.store.ListBalances(context.Background(), user)
	if err != nil {
		v.t.Fatal(err)
	}
	for _, b := range bs {
		if b.Asset == asset {
			return money.Format(b.Total), money.Format(b.Reserved)
		}
	}
	return "0", "0"
}

func limit(user int64, side string, price, qty int64) trading.PlaceRequest {
	return trading.PlaceRequest{UserID: user, Symbol: "AAPL", Side: side, Type: trading.TypeLimit,
		Price: price, Quantity: qty}
}

func (v *venue) place(req trading.PlaceRequest) store.Order {
	v.t.Helper()
	p, err := v.svc.PlaceOrder(context.Background(), req)
	if err != nil {
		v.t.Fatalf("place %+v: %v", req, err)
	}
	return p.Order
}

func describe(o store.Order) string {
	return fmt.Sprintf("%s filled=%d reserved=%d", o.Status, o.Filled, o.Reserved)
}
