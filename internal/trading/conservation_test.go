package trading_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/trading"
)

// TestConservationUnderConcurrentLoad sends thousands of random orders and cancels
// from many users at once, then checks that no asset was created or destroyed, that no
// balance went below zero or below its reservation, and that what open orders hold is
// exactly what balances say is reserved — before and after a restart.
func TestConservationUnderConcurrentLoad(t *testing.T) {
	v := newVenue(t)
	const users, perUser = 16, 250
	ids := make([]int64, users)
	for i := range ids {
		ids[i] = v.user(fmt.Sprintf("trader%02d", i), map[string]string{"USD": "100000", "AAPL": "500"})
	}
	before := totals(t, v)

	var wg sync.WaitGroup
	errs := make(chan error, users)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- trade(v.svc, id, rand.New(rand.NewPCG(uint64(i), 7)), perUser)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	checkBooks(t, v, before, ids)
	trades, _ := v.store.ListTrades(context.Background(), "AAPL", store.Page{Limit: 500})
	if len(trades) == 0 {
		t.Fatal("the random flow produced no trades; the test would prove nothing")
	}
	v.restart()
	checkBooks(t, v, before, ids)
}

func trade(svc *trading.Service, user int64, rng *rand.Rand, n int) error {
	ctx := context.Background()
	var open []int64
	for range n {
		if len(open) > 0 && rng.IntN(4) == 0 {
			i := rng.IntN(len(open))
			_, err := svc.CancelOrder(ctx, user, open[i])
			if err != nil && !errors.Is(err, trading.ErrNotOpen) {
				return fmt.Errorf("cancel: %w", err)
			}
			open = append(open[:i], open[i+1:]...)
			continue
		}
		req := trading.PlaceRequest{UserID: user, Symbol: "AAPL", Side: trading.SideBuy,
			Type: trading.TypeLimit, Price: 9900 + rng.Int64N(200), Quantity: 1 + rng.Int64N(20),
			STP:         []string{trading.ExpireTaker, trading.ExpireMaker, trading.ExpireBoth}[rng.IntN(3)],
			TimeInForce: []string{trading.GTC, trading.GTC, trading.IOC, trading.FOK}[rng.IntN(4)]}
		if rng.IntN(2) == 0 {
			req.Side = trading.SideSell
		}
		if rng.IntN(10) == 0 {
			req.Type, req.Price, req.TimeInForce = trading.TypeMarket, 0, trading.IOC
		}
		p, err := svc.PlaceOrder(ctx, req)
		switch {
		case errors.Is(err, trading.ErrInsufficientFunds):
		case err != nil:
			return fmt.Errorf("place: %w", err)
		case p.Order.Status == store.StatusNew || p.Order.Status == store.StatusPartiallyFilled:
			open = append(open, p.Order.ID)
		}
	}
	return nil
}

func totals(t *testing.T, v *venue) map[string]store.Balance {
	t.Helper()
	got, err := v.store.AssetTotals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func checkBooks(t *testing.T, v *venue, before map[string]store.Balance, ids []int64) {
	t.Helper()
	ctx := context.Background()
	after := totals(t, v)
	for asset, b := range before {
		if after[asset].Total != b.Total {
			t.Errorf("%s total changed: %d -> %d", asset, b.Total, after[asset].Total)
		}
	}
	mem := v.svc.Ledger().Totals()
	for asset, b := range after {
		if mem[asset].Total != b.Total || mem[asset].Reserved != b.Reserved {
			t.Errorf("%s: memory %+v differs from store %+v", asset, mem[asset], b)
		}
	}
	all, err := v.store.AllBalances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reservedByOrders := map[string]int64{}
	for _, id := range ids {
		orders, err := v.store.ListOrders(ctx, store.OrderFilter{UserID: id, OpenOnly: true},
			store.Page{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range orders {
			asset := "USD"
			if o.Side == trading.SideSell {
				asset = "AAPL"
			}
			reservedByOrders[fmt.Sprint(id, asset)] += o.Reserved
		}
	}
	for _, b := range all {
		if b.Reserved < 0 || b.Total < b.Reserved {
			t.Errorf("balance out of bounds: %+v", b)
		}
		if held := reservedByOrders[fmt.Sprint(b.UserID, b.Asset)]; held != b.Reserved {
			t.Errorf("user %d %s: reserved %d but open orders hold %d", b.UserID, b.Asset, b.Reserved, held)
		}
	}
}
