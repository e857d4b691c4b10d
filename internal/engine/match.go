package engine

// stopReason records why matching ended before the taker was filled.
type stopReason uint8

const (
	stopNone stopReason = iota
	stopPrice
	stopEmpty
	stopSTP
	stopBudget
)

// Submit matches o against the book and rests a GTC limit remainder. r is
// reset first and then holds the fills, the makers expired by self-trade
// prevention and the outcome. Only resting ids are known to the book, so the
// duplicate check covers orders that still rest.
func (b *Book) Submit(o Order, r *Result) {
	r.reset()
	r.Remaining = o.Quantity
	if !validate(&o) {
		r.Outcome = RejectedInvalid
		return
	}
	if b.index.get(o.ID, b.nodes) >= 0 {
		r.Outcome = RejectedDuplicate
		return
	}
	if o.Type != Market || o.Side != Buy {
		o.Budget = 0 // only a market buy spends a budget
	}
	if o.TIF == FOK && !b.canFill(&o) {
		r.Outcome = RejectedFOK
		return
	}

	reason := b.match(&o, r)
	r.Remaining = o.Quantity
	switch {
	case o.Quantity == 0:
		r.Outcome = Filled
	case reason == stopSTP:
		r.Outcome = ExpiredSTP
	case reason == stopBudget:
		r.Outcome = BudgetExhausted
	case o.Type == Market:
		r.Outcome = NoLiquidity
	case o.TIF == GTC:
		b.rest(&o)
		r.Rested = true
		r.Outcome = Rested
	default:
		r.Outcome = CancelledIOC
	}
}

// match trades o against the other side until it is filled or must stop.
// o.Quantity and o.Budget are consumed as it goes.
func (b *Book) match(o *Order, r *Result) stopReason {
	opp := &b.asks
	if o.Side == Sell {
		opp = &b.bids
	}
	for o.Quantity > 0 {
		n := len(opp.lvls)
		if n == 0 {
			return stopEmpty
		}
		lvIdx := opp.lvls[n-1]
		price := b.levels[lvIdx].price
		if o.Type == Limit && !crosses(o.Side, o.Price, price) {
			return stopPrice
		}
		if reason := b.matchLevel(o, lvIdx, r); reason != stopNone {
			return reason
		}
	}
	return stopNone
}

// matchLevel trades o against one level in queue order. The level may be
// dropped from the book when it empties.
func (b *Book) matchLevel(o *Order, lvIdx int32, r *Result) stopReason {
	lv := &b.levels[lvIdx]
	price := lv.price
	for o.Quantity > 0 && lv.count > 0 {
		slot := lv.head
		m := &b.nodes[slot]
		if m.account == o.Account {
			if o.STP == ExpireTaker {
				return stopSTP
			}
			r.Expired = append(r.Expired, b.order(slot))
			last := lv.count == 1
			b.unlink(slot)
			if o.STP == ExpireBoth {
				return stopSTP
			}
			if last {
				return stopNone
			}
			continue
		}

		qty := min(o.Quantity, m.qty)
		budgetStop := false
		// o.Budget stays >= price until the budget stops the taker, so
		// it never falls to 0 (unbounded) while matching goes on.
		if o.Budget > 0 {
			afford := o.Budget / price
			if afford == 0 {
				return stopBudget
			}
			if qty >= afford {
				qty = afford
				budgetStop = true
			}
			o.Budget -= qty * price
		}

		o.Quantity -= qty
		m.qty -= qty
		lv.qty -= qty
		r.Fills = append(r.Fills, Fill{
			MakerID:        m.id,
			MakerAccount:   m.account,
			TakerID:        o.ID,
			TakerAccount:   o.Account,
			Price:          price,
			Quantity:       qty,
			MakerRemaining: m.qty,
		})
		if m.qty == 0 {
			// unlink may free the level; it is only touched again while
			// count > 0, which guards the loop.
			last := lv.count == 1
			b.unlink(slot)
			if last {
				if budgetStop && o.Quantity > 0 {
					return stopBudget
				}
				return stopNone
			}
		}
		if budgetStop && o.Quantity > 0 {
			return stopBudget
		}
	}
	return stopNone
}

// canFill reports whether o would fill completely under the same rules as
// match (price limit, self-trade prevention, budget), without changing
// anything.
func (b *Book) canFill(o *Order) bool {
	opp := &b.asks
	if o.Side == Sell {
		opp = &b.bids
	}
	need, budget := o.Quantity, o.Budget
	for i := len(opp.lvls) - 1; i >= 0; i-- {
		lv := &b.levels[opp.lvls[i]]
		if o.Type == Limit && !crosses(o.Side, o.Price, lv.price) {
			return false
		}
		for s := lv.head; s != nilIdx; s = b.nodes[s].next {
			m := &b.nodes[s]
			if m.account == o.Account {
				if o.STP == ExpireMaker {
					continue
				}
				return false
			}
			qty := min(need, m.qty)
			if budget > 0 {
				afford := budget / lv.price
				if qty >= afford {
					return need-afford <= 0
				}
				budget -= qty * lv.price
			}
			need -= qty
			if need == 0 {
				return true
			}
		}
	}
	return false
}
