package replay_test

import (
	"github.com/octopus-venue/octopus/internal/engine"
)

// lifoBook is a deliberately wrong book: IOC orders (which is how the
// replayer sends executions) fill the newest order of a level first. Every
// other call goes to a real engine.Book.
type lifoBook struct {
	*engine.Book
	orders []engine.Order
}

func newLIFOBook() *lifoBook {
	return &lifoBook{Book: engine.NewBook()}
}

func (b *lifoBook) Submit(o engine.Order, r *engine.Result) {
	if o.TIF != engine.IOC || o.Type != engine.Limit {
		b.Book.Submit(o, r)
		return
	}
	r.Fills, r.Expired = r.Fills[:0], r.Expired[:0]
	r.Rested = false
	left := o.Quantity
	opp := o.Side.Opposite()
	for left > 0 {
		price, _, ok := b.Best(opp)
		if !ok || o.Side == engine.Buy && price > o.Price || o.Side == engine.Sell && price < o.Price {
			break
		}
		b.orders = b.LevelOrders(opp, price, b.orders)
		for i := len(b.orders) - 1; i >= 0 && left > 0; i-- {
			m := b.orders[i]
			qty := min(left, m.Quantity)
			b.Reduce(m.ID, qty)
			left -= qty
			r.Fills = append(r.Fills, engine.Fill{
				MakerID: m.ID, MakerAccount: m.Account, TakerID: o.ID, TakerAccount: o.Account,
				Price: price, Quantity: qty, MakerRemaining: m.Quantity - qty,
			})
		}
	}
	r.Remaining = left
	r.Outcome = engine.Filled
	if left > 0 {
		r.Outcome = engine.CancelledIOC
	}
}
