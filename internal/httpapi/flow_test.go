package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

type balance struct {
	Asset, Total, Available, Reserved string
}

func balances(t *testing.T, v *apptest.Venue, token string) map[string]balance {
	t.Helper()
	var acct struct {
		Balances []balance `json:"balances"`
	}
	v.Must(v.Do("GET", "/api/v1/account", token, nil), 200).Decode(t, &acct)
	out := map[string]balance{}
	for _, b := range acct.Balances {
		out[b.Asset] = b
	}
	return out
}

// TestTradingFlow is the acceptance walk-through: two traders, deposits, crossing
// limit orders, one trade at the resting price, settlement visible everywhere, and
// all of it still there after a restart.
func TestTradingFlow(t *testing.T) {
	dir := t.TempDir()
	v := apptest.Start(t, apptest.Options{Dir: dir})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	buyerID, buyer := v.Trader(admin, "alice")
	sellerID, seller := v.Trader(admin, "bob")
	v.Deposit(admin, buyerID, "USD", "10000")
	v.Deposit(admin, sellerID, "AAPL", "50")

	ask := v.Must(v.Do("POST", "/api/v1/orders", seller, map[string]string{
		"symbol": "AAPL", "side": "sell", "type": "limit", "price": "150.00", "quantity": "10",
		"time_in_force": "GTC", "client_order_id": "bob-1"}), 201).JSON()
	if ask["status"] != "new" {
		t.Fatalf("ask = %v", ask)
	}
	bid := v.Must(v.Do("POST", "/api/v1/orders", buyer, map[string]string{
		"symbol": "AAPL", "side": "buy", "type": "limit", "price": "151.00", "quantity": "4"}), 201).JSON()
	if bid["status"] != "filled" || bid["filled_quantity"] != "4" {
		t.Fatalf("bid = %v", bid)
	}

	check := func(stage string) {
		want := map[string]map[string]balance{
			"buyer": {"USD": {"USD", "9400", "9400", "0"}, "AAPL": {"AAPL", "4", "4", "0"}},
			"seller": {"USD": {"USD", "600", "600", "0"},
				"AAPL": {"AAPL", "46", "40", "6"}},
		}
		for who, token := range map[string]string{"buyer": buyer, "seller": seller} {
			got := balances(t, v, token)
			for asset, w := range want[who] {
				if got[asset] != w {
					t.Errorf("%s: %s %s = %+v, want %+v", stage, who, asset, got[asset], w)
				}
			}
		}
		trades := v.Must(v.Do("GET", "/api/v1/markets/AAPL/trades", buyer, nil), 200).JSON()
		items := trades["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("%s: trades = %v", stage, trades)
		}
		tr := items[0].(map[string]any)
		if tr["price"] != "150.00" || tr["quantity"] != "4" || tr["side"] != "buy" {
			t.Errorf("%s: trade = %v", stage, tr)
		}
		book := v.Must(v.Do("GET", "/api/v1/markets/AAPL/book?depth=5", buyer, nil), 200).JSON()
		asks := book["asks"].([]any)
		if len(asks) != 1 || fmt.Sprint(asks[0].(map[string]any)["quantity"]) != "6" ||
			asks[0].(map[string]any)["price"] != "150.00" || len(book["bids"].([]any)) != 0 {
			t.Errorf("%s: book = %v", stage, book)
		}
		bars := v.Must(v.Do("GET", "/api/v1/markets/AAPL/bars?interval=1m", buyer, nil), 200).JSON()
		bi := bars["items"].([]any)
		if len(bi) != 1 || bi[0].(map[string]any)["close"] != "150.00" ||
			bi[0].(map[string]any)["volume"] != "4" {
			t.Errorf("%s: bars = %v", stage, bars)
		}
		ledger := v.Must(v.Do("GET", "/api/v1/account/ledger", seller, nil), 200).JSON()
		kinds := map[string]int{}
		for _, e := range ledger["items"].([]any) {
			kinds[e.(map[string]any)["kind"].(string)]++
		}
		if kinds["deposit"] != 1 || kinds["reserve"] != 1 || kinds["trade"] != 2 {
			t.Errorf("%s: seller ledger kinds = %v", stage, kinds)
		}
		mine := v.Must(v.Do("GET", "/api/v1/orders?client_order_id=bob-1", seller, nil), 200).JSON()
		if it := mine["items"].([]any); len(it) != 1 ||
			it[0].(map[string]any)["remaining_quantity"] != "6" {
			t.Errorf("%s: lookup by client_order_id = %v", stage, mine)
		}
	}
	check("after trade")
	v.Restart()
	check("after restart")
}
