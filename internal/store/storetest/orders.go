package storetest

import (
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

func testOrders(t *testing.T, newStore NewStoreFunc) {
	t.Run("CommitAndRead", testCommitAndRead(newStore))
	t.Run("CommitIsAllOrNothing", testCommitAtomic(newStore))

	t.Run("ClientOrderIDScope", func(t *testing.T) {
		s := newStore(t)
		a := createUser(t, s, "alice", "trader")
		b := createUser(t, s, "bob", "trader")
		createSymbol(t, s, "BTC-USD", "BTC", "USD")
		batch := &store.Batch{NewOrders: []store.Order{
			order(1, a.ID, "BTC-USD", "same"),
			order(2, b.ID, "BTC-USD", "same"),
			order(3, a.ID, "BTC-USD", ""),
			order(4, a.ID, "BTC-USD", ""),
		}}
		must(t, "commit batch", s.CommitBatch(t.Context(), batch))
	})

	t.Run("OpenOrdersInIDOrder", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "alice", "trader")
		createSymbol(t, s, "BTC-USD", "BTC", "USD")
		createSymbol(t, s, "ETH-USD", "ETH", "USD")
		withStatus := func(id int64, symbol, status string) store.Order {
			o := order(id, u.ID, symbol, "")
			o.Status = status
			return o
		}
		batch := &store.Batch{NewOrders: []store.Order{
			withStatus(9, "BTC-USD", store.StatusNew),
			withStatus(3, "BTC-USD", store.StatusPartiallyFilled),
			withStatus(5, "BTC-USD", store.StatusNew),
			withStatus(4, "BTC-USD", store.StatusFilled),
			withStatus(6, "BTC-USD", store.StatusCancelled),
			withStatus(2, "ETH-USD", store.StatusNew),
			withStatus(7, "BTC-USD", store.StatusNew),
		}}
		must(t, "commit batch", s.CommitBatch(t.Context(), batch))
		cancel := &store.Batch{Updates: []store.OrderUpdate{
			{ID: 7, Status: store.StatusCancelled, UpdatedAt: at(time.Second)},
		}}
		must(t, "commit cancel", s.CommitBatch(t.Context(), cancel))

		open, err := s.OpenOrders(t.Context(), "BTC-USD")
		must(t, "open orders", err)
		sameIDs(t, "open orders", ids(open, orderID), []int64{3, 5, 9})
	})

	t.Run("MaxIDs", func(t *testing.T) {
		s := newStore(t)
		o, tr, err := s.MaxIDs(t.Context())
		must(t, "max ids", err)
		if o != 0 || tr != 0 {
			t.Fatalf("max ids of an empty store = %d, %d; want 0, 0", o, tr)
		}

		u := createUser(t, s, "alice", "trader")
		createSymbol(t, s, "BTC-USD", "BTC", "USD")
		batch := &store.Batch{
			NewOrders: []store.Order{order(41, u.ID, "BTC-USD", ""), order(17, u.ID, "BTC-USD", "")},
			Trades: []store.Trade{trade(8, "BTC-USD", u.ID, u.ID, base),
				trade(3, "BTC-USD", u.ID, u.ID, base)},
		}
		must(t, "commit batch", s.CommitBatch(t.Context(), batch))
		o, tr, err = s.MaxIDs(t.Context())
		must(t, "max ids", err)
		if o != 41 || tr != 8 {
			t.Fatalf("max ids = %d, %d; want 41, 8", o, tr)
		}
	})

	t.Run("ListWithFilters", testListOrders(newStore))
}

func testCommitAndRead(newStore NewStoreFunc) func(t *testing.T) {
	return func(t *testing.T) {
		s := newStore(t)
		buyer := createUser(t, s, "alice", "trader")
		seller := createUser(t, s, "bob", "trader")
		createSymbol(t, s, "BTC-USD", "BTC", "USD")
		deposit(t, s, buyer.ID, "USD", 10_000)
		deposit(t, s, seller.ID, "BTC", 10)

		sell := order(1, seller.ID, "BTC-USD", "s-1")
		sell.Side, sell.Reserved = "sell", 10
		buy := order(2, buyer.ID, "BTC-USD", "b-1")
		buy.Type, buy.TimeInForce, buy.MaxNotional, buy.Reserved = "market", "IOC", 5000, 5000
		tr := store.Trade{ID: 1, Symbol: "BTC-USD", Price: 400, Quantity: 10, BuyOrderID: 2,
			SellOrderID: 1, BuyerID: buyer.ID, SellerID: seller.ID, TakerSide: "buy",
			ExecutedAt: at(time.Second)}
		batch := &store.Batch{
			NewOrders: []store.Order{sell, buy},
			Updates: []store.OrderUpdate{
				{ID: 1, Filled: 5, Reserved: 5, Status: store.StatusPartiallyFilled,
					UpdatedAt: at(time.Second)},
				{ID: 1, Filled: 10, Status: store.StatusFilled, UpdatedAt: at(2 * time.Second)},
				{ID: 2, Filled: 10, Status: store.StatusFilled, Reason: "done",
					UpdatedAt: at(2 * time.Second)},
			},
			Trades: []store.Trade{tr},
			Entries: []store.LedgerEntry{
				{UserID: seller.ID, Asset: "BTC", Kind: store.EntryReserve, Reserved: 10, OrderID: 1},
				{UserID: buyer.ID, Asset: "USD", Kind: store.EntryReserve, Reserved: 5000, OrderID: 2},
				{UserID: seller.ID, Asset: "BTC", Kind: store.EntryTrade, Amount: -10, Reserved: -10,
					OrderID: 1, TradeID: 1},
				{UserID: buyer.ID, Asset: "BTC", Kind: store.EntryTrade, Amount: 10, OrderID: 2, TradeID: 1},
				{UserID: buyer.ID, Asset: "USD", Kind: store.EntryTrade, Amount: -4000, Reserved: -4000,
					OrderID: 2, TradeID: 1},
				{UserID: seller.ID, Asset: "USD", Kind: store.EntryTrade, Amount: 4000, OrderID: 1, TradeID: 1},
				{UserID: buyer.ID, Asset: "USD", Kind: store.EntryRelease, Reserved: -1000, OrderID: 2},
			},
		}
		must(t, "commit batch", s.CommitBatch(t.Context(), batch))

		gotSell, err := s.GetOrder(t.Context(), 1)
		must(t, "get order", err)
		wantSell := sell
		wantSell.Filled, wantSell.Reserved, wantSell.Status = 10, 0, store.StatusFilled
		wantSell.UpdatedAt = at(2 * time.Second)
		if gotSell != wantSell {
			t.Fatalf("sell order = %+v, want %+v", gotSell, wantSell)
		}
		gotBuy, err := s.GetOrder(t.Context(), 2)
		must(t, "get order", err)
		if gotBuy.MaxNotional != 5000 || gotBuy.Type != "market" || gotBuy.Reason != "done" ||
			gotBuy.Status != store.StatusFilled || gotBuy.ClientOrderID != "b-1" {
			t.Fatalf("buy order = %+v", gotBuy)
		}
		_, err = s.GetOrder(t.Context(), 3)
		wantErr(t, "get unknown order", err, store.ErrNotFound)

		trades, err := s.ListTrades(t.Context(), "BTC-USD", store.Page{})
		must(t, "list trades", err)
		if len(trades) != 1 || trades[0] != tr {
			t.Fatalf("trades = %+v, want %+v", trades, tr)
		}

		want := []store.Balance{
			{UserID: buyer.ID, Asset: "BTC", Total: 10},
			{UserID: buyer.ID, Asset: "USD", Total: 6000},
			{UserID: seller.ID, Asset: "BTC", Total: 0},
			{UserID: seller.ID, Asset: "USD", Total: 4000},
		}
		for _, b := range want {
			if got := balanceOf(t, s, b.UserID, b.Asset); got != b {
				t.Fatalf("balance = %+v, want %+v", got, b)
			}
		}
		ledger, err := s.ListLedger(t.Context(), buyer.ID, store.Page{Limit: 1})
		must(t, "list ledger", err)
		if ledger[0].OrderID != 2 || ledger[0].Kind != store.EntryRelease {
			t.Fatalf("newest buyer entry = %+v, want the release of order 2", ledger[0])
		}
	}
}

func testCommitAtomic(newStore NewStoreFunc) func(t *testing.T) {
	return func(t *testing.T) {
		good := func(userID int64) store.Batch {
			return store.Batch{
				NewOrders: []store.Order{order(10, userID, "BTC-USD", "c-10")},
				Trades:    []store.Trade{trade(10, "BTC-USD", userID, userID, base)},
				Entries: []store.LedgerEntry{{UserID: userID, Asset: "USD",
					Kind: store.EntryReserve, Reserved: 50, OrderID: 10}},
			}
		}
		tests := []struct {
			name    string
			change  func(b *store.Batch, userID int64)
			wantErr error
		}{
			{"taken client order id", func(b *store.Batch, u int64) {
				b.NewOrders = append(b.NewOrders, order(11, u, "BTC-USD", "existing"))
			}, store.ErrConflict},
			{"client order id twice in the batch", func(b *store.Batch, u int64) {
				b.NewOrders = append(b.NewOrders, order(11, u, "BTC-USD", "c-10"))
			}, store.ErrConflict},
			{"taken order id", func(b *store.Batch, u int64) {
				b.NewOrders = append(b.NewOrders, order(1, u, "BTC-USD", ""))
			}, store.ErrConflict},
			{"taken trade id", func(b *store.Batch, u int64) {
				b.Trades = append(b.Trades, trade(1, "BTC-USD", u, u, base))
			}, store.ErrConflict},
			{"insufficient funds", func(b *store.Batch, u int64) {
				b.Entries = append(b.Entries, store.LedgerEntry{UserID: u, Asset: "USD",
					Kind: store.EntryReserve, Reserved: 100})
			}, store.ErrInsufficient},
			{"update of an unknown order", func(b *store.Batch, u int64) {
				b.Updates = append(b.Updates, store.OrderUpdate{ID: 99, Status: store.StatusFilled})
			}, store.ErrNotFound},
			{"order in an unknown symbol", func(b *store.Batch, u int64) {
				b.NewOrders = append(b.NewOrders, order(11, u, "XRP-USD", ""))
			}, store.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := newStore(t)
				u := createUser(t, s, "alice", "trader")
				createSymbol(t, s, "BTC-USD", "BTC", "USD")
				deposit(t, s, u.ID, "USD", 100)
				first := &store.Batch{
					NewOrders: []store.Order{order(1, u.ID, "BTC-USD", "existing")},
					Trades:    []store.Trade{trade(1, "BTC-USD", u.ID, u.ID, base)},
				}
				must(t, "commit first batch", s.CommitBatch(t.Context(), first))

				b := good(u.ID)
				tt.change(&b, u.ID)
				wantErr(t, "commit batch", s.CommitBatch(t.Context(), &b), tt.wantErr)

				maxOrder, maxTrade, err := s.MaxIDs(t.Context())
				must(t, "max ids", err)
				if maxOrder != 1 || maxTrade != 1 {
					t.Fatalf("max ids = %d, %d after a failed batch; want 1, 1", maxOrder, maxTrade)
				}
				if got := balanceOf(t, s, u.ID, "USD"); got.Reserved != 0 || got.Total != 100 {
					t.Fatalf("balance = %+v after a failed batch", got)
				}
				ledger, err := s.ListLedger(t.Context(), u.ID, store.Page{})
				must(t, "list ledger", err)
				if len(ledger) != 1 {
					t.Fatalf("%d ledger entries after a failed batch, want 1", len(ledger))
				}
				must(t, "commit the good part", s.CommitBatch(t.Context(), ptr(good(u.ID))))
			})
		}
	}
}

func testListOrders(newStore NewStoreFunc) func(t *testing.T) {
	return func(t *testing.T) {
		s := newStore(t)
		a := createUser(t, s, "alice", "trader")
		b := createUser(t, s, "bob", "trader")
		createSymbol(t, s, "BTC-USD", "BTC", "USD")
		createSymbol(t, s, "ETH-USD", "ETH", "USD")
		filled := order(4, a.ID, "BTC-USD", "a-4")
		filled.Status = store.StatusFilled
		batch := &store.Batch{NewOrders: []store.Order{
			order(1, a.ID, "BTC-USD", "a-1"),
			order(2, b.ID, "BTC-USD", "b-2"),
			order(3, a.ID, "ETH-USD", "a-3"),
			filled,
			order(5, b.ID, "ETH-USD", "a-1"),
		}}
		must(t, "commit batch", s.CommitBatch(t.Context(), batch))

		tests := []struct {
			name   string
			filter store.OrderFilter
			page   store.Page
			want   []int64
		}{
			{"all", store.OrderFilter{}, store.Page{}, []int64{5, 4, 3, 2, 1}},
			{"user", store.OrderFilter{UserID: a.ID}, store.Page{}, []int64{4, 3, 1}},
			{"symbol", store.OrderFilter{Symbol: "ETH-USD"}, store.Page{}, []int64{5, 3}},
			{"user and symbol", store.OrderFilter{UserID: a.ID, Symbol: "BTC-USD"}, store.Page{},
				[]int64{4, 1}},
			{"client order id", store.OrderFilter{UserID: a.ID, ClientOrderID: "a-1"}, store.Page{},
				[]int64{1}},
			{"client order id of anyone", store.OrderFilter{ClientOrderID: "a-1"}, store.Page{},
				[]int64{5, 1}},
			{"open only", store.OrderFilter{UserID: a.ID, OpenOnly: true}, store.Page{},
				[]int64{3, 1}},
			{"page", store.OrderFilter{}, store.Page{Before: 4, Limit: 2}, []int64{3, 2}},
			{"no match", store.OrderFilter{ClientOrderID: "zzz"}, store.Page{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListOrders(t.Context(), tt.filter, tt.page)
				must(t, "list orders", err)
				sameIDs(t, "list orders", ids(got, orderID), tt.want)
			})
		}
	}
}
