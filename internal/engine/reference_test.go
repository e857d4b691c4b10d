package engine_test

import (
	"cmp"
	"slices"

	"github.com/octopus-venue/octopus/internal/engine"
)

// refBook is a deliberately simple, slow model of the matching rules: one
// slice of resting orders, sorted into priority order on every use.
type refBook struct {
	resting []refOrder
	seq     int64
}

type refOrder struct {
	engine.Order
	seq int64
}

func (b *refBook) clone() *refBook {
	return &refBook{resting: slices.Clone(b.resting), seq: b.seq}
}

// queue returns the resting orders of a side, best price first, then oldest.
func (b *refBook) queue(side engine.Side) []refOrder {
	var q []refOrder
	for _, o := range b.resting {
		if o.Side == side {
			q = append(q, o)
		}
	}
	slices.SortFunc(q, func(x, y refOrder) int {
		if x.Price != y.Price {
			if side == engine.Buy {
				return cmp.Compare(y.Price, x.Price)
			}
			return cmp.Compare(x.Price, y.Price)
		}
		return cmp.Compare(x.seq, y.seq)
	})
	return q
}

func (b *refBook) find(id int64) int {
	return slices.IndexFunc(b.resting, func(o refOrder) bool { return o.ID == id })
}

func (b *refBook) valid(o engine.Order) bool {
	if o.Side != engine.Buy && o.Side != engine.Sell {
		return false
	}
	if o.Quantity <= 0 || o.STP > engine.ExpireBoth || o.Budget < 0 {
		return false
	}
	if o.Type == engine.Limit {
		return o.Price > 0 && o.TIF >= engine.GTC && o.TIF <= engine.FOK
	}
	return o.Type == engine.Market && o.TIF <= engine.FOK
}

func (b *refBook) submit(o engine.Order) engine.Result {
	r := engine.Result{Remaining: o.Quantity}
	switch {
	case !b.valid(o):
		r.Outcome = engine.RejectedInvalid
		return r
	case b.find(o.ID) >= 0:
		r.Outcome = engine.RejectedDuplicate
		return r
	}
	if o.TIF == engine.FOK {
		// A FOK is accepted exactly when the same order as IOC would fill.
		trial := b.clone()
		if res := trial.execute(o); res.Remaining > 0 {
			r.Outcome = engine.RejectedFOK
			return r
		}
	}
	return b.execute(o)
}

func (b *refBook) execute(o engine.Order) engine.Result {
	var r engine.Result
	budgeted := o.Type == engine.Market && o.Side == engine.Buy && o.Budget > 0
	left := o.Budget
	stp, budgetOut := false, false
	for o.Quantity > 0 && !stp && !budgetOut {
		q := b.queue(o.Side.Opposite())
		if len(q) == 0 {
			break
		}
		m := q[0]
		if o.Type == engine.Limit &&
			(o.Side == engine.Buy && m.Price > o.Price || o.Side == engine.Sell && m.Price < o.Price) {
			break
		}
		i := b.find(m.ID)
		if m.Account == o.Account {
			if o.STP != engine.ExpireTaker {
				r.Expired = append(r.Expired, m.Order)
				b.resting = slices.Delete(b.resting, i, i+1)
			}
			stp = o.STP != engine.ExpireMaker
			continue
		}
		qty := min(o.Quantity, m.Quantity)
		if budgeted {
			afford := left / m.Price
			if afford == 0 {
				budgetOut = true
				break
			}
			if afford <= qty {
				qty = afford
				budgetOut = true
			}
			left -= qty * m.Price
		}
		o.Quantity -= qty
		b.resting[i].Quantity -= qty
		r.Fills = append(r.Fills, engine.Fill{
			MakerID: m.ID, MakerAccount: m.Account, TakerID: o.ID, TakerAccount: o.Account,
			Price: m.Price, Quantity: qty, MakerRemaining: m.Quantity - qty,
		})
		if b.resting[i].Quantity == 0 {
			b.resting = slices.Delete(b.resting, i, i+1)
		}
	}
	r.Remaining = o.Quantity
	switch {
	case o.Quantity == 0:
		r.Outcome = engine.Filled
	case stp:
		r.Outcome = engine.ExpiredSTP
	case budgetOut:
		r.Outcome = engine.BudgetExhausted
	case o.Type == engine.Market:
		r.Outcome = engine.NoLiquidity
	case o.TIF == engine.GTC:
		b.rest(o)
		r.Rested = true
		r.Outcome = engine.Rested
	default:
		r.Outcome = engine.CancelledIOC
	}
	return r
}

func (b *refBook) rest(o engine.Order) {
	o.Budget = 0
	b.seq++
	b.resting = append(b.resting, refOrder{Order: o, seq: b.seq})
}

func (b *refBook) cancel(id int64) (engine.Order, bool) {
	i := b.find(id)
	if i < 0 {
		return engine.Order{}, false
	}
	o := b.resting[i].Order
	b.resting = slices.Delete(b.resting, i, i+1)
	return o, true
}

func (b *refBook) reduce(id, by int64) (engine.Order, bool) {
	i := b.find(id)
	if i < 0 || by <= 0 {
		return engine.Order{}, false
	}
	b.resting[i].Quantity = max(b.resting[i].Quantity-by, 0)
	o := b.resting[i].Order
	if o.Quantity == 0 {
		b.resting = slices.Delete(b.resting, i, i+1)
	}
	return o, true
}

// restore reports whether the model accepts o; the engine's error kind is
// checked separately.
func (b *refBook) restore(o engine.Order) bool {
	if !b.valid(o) || o.Type != engine.Limit || o.TIF != engine.GTC || b.find(o.ID) >= 0 {
		return false
	}
	if q := b.queue(o.Side.Opposite()); len(q) > 0 {
		if o.Side == engine.Buy && o.Price >= q[0].Price || o.Side == engine.Sell && o.Price <= q[0].Price {
			return false
		}
	}
	b.rest(o)
	return true
}

// depth aggregates the model's side the way Book.Depth does.
func (b *refBook) depth(side engine.Side) []engine.Level {
	var out []engine.Level
	for _, o := range b.queue(side) {
		if n := len(out); n > 0 && out[n-1].Price == o.Price {
			out[n-1].Quantity += o.Quantity
			out[n-1].Orders++
			continue
		}
		out = append(out, engine.Level{Price: o.Price, Quantity: o.Quantity, Orders: 1})
	}
	return out
}

// orders lists a side's resting orders in priority order.
func (b *refBook) orders(side engine.Side) []engine.Order {
	var out []engine.Order
	for _, o := range b.queue(side) {
		out = append(out, o.Order)
	}
	return out
}
