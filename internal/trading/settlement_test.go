package trading_test

import (
	"context"
	"errors"
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/trading"
)

func TestCrossingLimitOrdersSettleAtRestingPrice(t *testing.T) {
	v := newVenue(t)
	seller := v.user("seller", map[string]string{"AAPL": "100"})
	buyer := v.user("buyer", map[string]string{"USD": "10000"})

	ask := v.place(limit(seller, trading.SideSell, 15000, 10)) // 10 @ 150.00
	if ask.Status != store.StatusNew {
		t.Fatalf("resting ask: %s", describe(ask))
	}
	bid := v.place(limit(buyer, trading.SideBuy, 15100, 4)) // 4 @ 151.00 crosses
	if bid.Status != store.StatusFilled || bid.Filled != 4 || bid.Reserved != 0 {
		t.Fatalf("taker bid: %s", describe(bid))
	}
	tests := []struct {
		user          int64
		asset         string
		total, reserv string
	}{
		// The buyer pays 4 × 150.00 = 600; the 4.00 improvement is released.
		{buyer, "USD", "9400", "0"},
		{buyer, "AAPL", "4", "0"},
		{seller, "USD", "600", "0"},
		{seller, "AAPL", "96", "6"},
	}
	check := func(stage string) {
		for _, tt := range tests {
			total, reserved := v.balance(tt.user, tt.asset)
			if total != tt.total || reserved != tt.reserv {
				t.Errorf("%s: user %d %s = %s/%s, want %s/%s", stage, tt.user, tt.asset,
					total, reserved, tt.total, tt.reserv)
			}
		}
	}
	check("after trade")
	trades, err := v.store.ListTrades(context.Background(), "AAPL", store.Page{})
	if err != nil || len(trades) != 1 || trades[0].Price != 15000 || trades[0].Quantity != 4 ||
		trades[0].TakerSide != trading.SideBuy {
		t.Fatalf("trades = %+v, %v", trades, err)
	}

	v.restart()
	check("after restart")
	d, err := v.svc.Book(context.Background(), "AAPL", 5)
	if err != nil || len(d.Asks) != 1 || d.Asks[0].Price != 15000 || d.Asks[0].Quantity != 6 {
		t.Fatalf("book after restart = %+v, %v", d, err)
	}
}

func TestInsufficientFundsReservesNothing(t *testing.T) {
	v := newVenue(t)
	buyer := v.user("poor", map[string]string{"USD": "100"})
	_, err := v.svc.PlaceOrder(context.Background(), limit(buyer, trading.SideBuy, 15000, 1))
	if !errors.Is(err, trading.ErrInsufficientFunds) {
		t.Fatalf("err = %v", err)
	}
	if total, reserved := v.balance(buyer, "USD"); total != "100" || reserved != "0" {
		t.Fatalf("balance = %s/%s", total, reserved)
	}
}

func TestCancelReleasesReservation(t *testing.T) {
	v := newVenue(t)
	buyer := v.user("b", map[string]string{"USD": "1000"})
	o := v.place(limit(buyer, trading.SideBuy, 10000, 5))
	if _, r := v.balance(buyer, "USD"); r != "500" {
		t.Fatalf("reserved %s", r)
	}
	other := v.user("other", map[string]string{"USD": "1000"})
	if _, err := v.svc.CancelOrder(context.Background(), other, o.ID); !errors.Is(err, trading.ErrNotFound) {
		t.Fatalf("someone else's cancel: %v", err)
	}
	c, err := v.svc.CancelOrder(context.Background(), buyer, o.ID)
	if err != nil || c.Status != store.StatusCancelled {
		t.Fatalf("cancel: %v %s", err, describe(c))
	}
	if _, r := v.balance(buyer, "USD"); r != "0" {
		t.Fatalf("reserved after cancel %s", r)
	}
	if _, err := v.svc.CancelOrder(context.Background(), buyer, o.ID); !errors.Is(err, trading.ErrNotOpen) {
		t.Fatalf("second cancel: %v", err)
	}
}

func TestClientOrderIDIsIdempotent(t *testing.T) {
	v := newVenue(t)
	buyer := v.user("b", map[string]string{"USD": "1000"})
	req := limit(buyer, trading.SideBuy, 10000, 1)
	req.ClientOrderID = "retry-1"
	first, err := v.svc.PlaceOrder(context.Background(), req)
	if err != nil || first.Existing {
		t.Fatalf("first: %v %v", err, first.Existing)
	}
	second, err := v.svc.PlaceOrder(context.Background(), req)
	if err != nil || !second.Existing || second.Order.ID != first.Order.ID {
		t.Fatalf("second: %v %+v", err, second)
	}
	if _, r := v.balance(buyer, "USD"); r != "100" {
		t.Fatalf("reserved %s: a retry reserved twice", r)
	}
}

func TestSelfTradePrevention(t *testing.T) {
	tests := []struct {
		name           string
		mode           string
		wantTaker      string
		wantMaker      string
		wantOtherTrade bool
	}{
		{"expire taker", trading.ExpireTaker, store.StatusExpired, store.StatusNew, false},
		{"expire maker", trading.ExpireMaker, store.StatusFilled, store.StatusExpired, true},
		{"expire both", trading.ExpireBoth, store.StatusExpired, store.StatusExpired, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVenue(t)
			me := v.user("me", map[string]string{"USD": "1000", "AAPL": "10"})
			other := v.user("other", map[string]string{"AAPL": "10"})
			mine := v.place(limit(me, trading.SideSell, 10000, 1))
			v.place(limit(other, trading.SideSell, 10000, 1))
			req := limit(me, trading.SideBuy, 10000, 1)
			req.STP = tt.mode
			taker := v.place(req)
			if taker.Status != tt.wantTaker {
				t.Errorf("taker status %s, want %s", taker.Status, tt.wantTaker)
			}
			got, err := v.svc.GetOrder(context.Background(), me, mine.ID)
			if err != nil || got.Status != tt.wantMaker {
				t.Errorf("maker status %s (%v), want %s", got.Status, err, tt.wantMaker)
			}
			trades, _ := v.store.ListUserTrades(context.Background(), me, store.Page{})
			for _, tr := range trades {
				if tr.BuyerID == tr.SellerID {
					t.Fatalf("self trade happened: %+v", tr)
				}
			}
			if (len(trades) == 1) != tt.wantOtherTrade {
				t.Errorf("trades with the other seller = %d", len(trades))
			}
		})
	}
}

func TestMarketBuyBoundedByFunds(t *testing.T) {
	v := newVenue(t)
	seller := v.user("s", map[string]string{"AAPL": "10"})
	buyer := v.user("b", map[string]string{"USD": "250"})
	v.place(limit(seller, trading.SideSell, 10000, 10)) // 10 @ 100
	o := v.place(trading.PlaceRequest{UserID: buyer, Symbol: "AAPL", Side: trading.SideBuy,
		Type: trading.TypeMarket, Quantity: 5})
	if o.Filled != 2 || o.Status != store.StatusExpired {
		t.Fatalf("market buy: %s", describe(o))
	}
	if total, reserved := v.balance(buyer, "USD"); total != "50" || reserved != "0" {
		t.Fatalf("buyer USD %s/%s", total, reserved)
	}
}

// TestSupplyLimitKeepsSettlementFromOverflowing: deposits stop at MaxSupply per
// asset, so a credit from a trade can never overflow a balance.
func TestSupplyLimitKeepsSettlementFromOverflowing(t *testing.T) {
	v := newVenue(t)
	rich := v.user("rich", nil)
	post := func(user int64, asset string, amount int64) error {
		return v.svc.PostEntries(context.Background(), v.store, []store.LedgerEntry{{UserID: user,
			Asset: asset, Kind: store.EntryDeposit, Amount: amount, Reason: "test"}})
	}
	if err := post(rich, "USD", trading.MaxSupply-100); err != nil {
		t.Fatal(err)
	}
	other := v.user("other", map[string]string{"AAPL": "1"})
	if err := post(other, "USD", 101); !errors.Is(err, trading.ErrSupplyLimit) {
		t.Fatalf("deposit over the supply limit: %v", err)
	}
	if !v.svc.Consistent() {
		t.Fatal("a refused deposit made the service resynchronise")
	}
	if err := post(other, "USD", 100); err != nil {
		t.Fatalf("deposit up to the limit: %v", err)
	}
	// The richest account sells to a buyer: its credit stays within int64.
	v.place(limit(other, trading.SideSell, 100, 1))
	buy := v.place(limit(rich, trading.SideBuy, 100, 1))
	if buy.Status != store.StatusFilled || !v.svc.Consistent() {
		t.Fatalf("trade near the limit: %s", describe(buy))
	}
}
