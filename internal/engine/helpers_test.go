package engine_test

import (
	"testing"

	"github.com/octopus-venue/octopus/internal/engine"
)

func limit(id, account int64, side engine.Side, price, qty int64) engine.Order {
	return engine.Order{
		ID: id, Account: account, Side: side, Type: engine.Limit,
		TIF: engine.GTC, Price: price, Quantity: qty,
	}
}

func withTIF(o engine.Order, tif engine.TimeInForce) engine.Order {
	o.TIF = tif
	return o
}

func withSTP(o engine.Order, mode engine.STPMode) engine.Order {
	o.STP = mode
	return o
}

func market(id, account int64, side engine.Side, qty, budget int64) engine.Order {
	return engine.Order{
		ID: id, Account: account, Side: side, Type: engine.Market,
		TIF: engine.IOC, Quantity: qty, Budget: budget,
	}
}

func fill(maker, makerAcct, taker, takerAcct, price, qty, left int64) engine.Fill {
	return engine.Fill{
		MakerID: maker, MakerAccount: makerAcct, TakerID: taker, TakerAccount: takerAcct,
		Price: price, Quantity: qty, MakerRemaining: left,
	}
}

// seed rests orders through Submit and fails the test if one does not rest.
func seed(t testing.TB, b *engine.Book, orders ...engine.Order) {
	t.Helper()
	var r engine.Result
	for _, o := range orders {
		b.Submit(o, &r)
		if r.Outcome != engine.Rested || len(r.Fills) != 0 {
			t.Fatalf("seed order %d: outcome %v, %d fills", o.ID, r.Outcome, len(r.Fills))
		}
	}
}

func depth(b *engine.Book, side engine.Side) []engine.Level {
	return b.Depth(side, 100, nil)
}
