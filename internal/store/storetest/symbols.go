package storetest

import (
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
)

func testSymbols(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	eth := createSymbol(t, s, "ETH-USD", "ETH", "USD")
	btc := createSymbol(t, s, "BTC-USD", "BTC", "USD")
	if btc.CreatedAt.IsZero() {
		t.Fatal("create symbol did not set CreatedAt")
	}

	dup := store.Symbol{Code: "BTC-USD", BaseAsset: "BTC", QuoteAsset: "USD", TickSize: 1, LotSize: 1}
	wantErr(t, "create duplicate", s.CreateSymbol(t.Context(), &dup), store.ErrConflict)

	got, err := s.GetSymbol(t.Context(), "BTC-USD")
	must(t, "get symbol", err)
	if got != btc {
		t.Fatalf("get symbol = %+v, want %+v", got, btc)
	}
	_, err = s.GetSymbol(t.Context(), "XRP-USD")
	wantErr(t, "get unknown symbol", err, store.ErrNotFound)

	list, err := s.ListSymbols(t.Context())
	must(t, "list symbols", err)
	if len(list) != 2 || list[0] != btc || list[1] != eth {
		t.Fatalf("list symbols = %+v, want BTC-USD then ETH-USD", list)
	}

	for _, halted := range []bool{true, false} {
		must(t, "set halted", s.SetSymbolHalted(t.Context(), "BTC-USD", halted))
		got, err := s.GetSymbol(t.Context(), "BTC-USD")
		must(t, "get symbol", err)
		if got.Halted != halted {
			t.Fatalf("halted = %v, want %v", got.Halted, halted)
		}
	}
	wantErr(t, "halt unknown symbol", s.SetSymbolHalted(t.Context(), "XRP-USD", true), store.ErrNotFound)
}
