package trading

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
)

type commandKind uint8

const (
	cmdPlace commandKind = iota + 1
	cmdCancel
	cmdDepth
)

type command struct {
	kind    commandKind
	order   store.Order
	userID  int64
	orderID int64
	depth   int
	done    chan reply
}

type reply struct {
	order store.Order
	depth Depth
	err   error
}

// commitTimeout bounds one group commit; a database that hangs longer is down.
const commitTimeout = 10 * time.Second

// sequencer is the single writer of one symbol: it owns the book and the open
// orders, matches commands in arrival order and commits them in batches.
type sequencer struct {
	svc    *Service
	sym    store.Symbol
	inst   money.Instrument
	book   *engine.Book
	open   map[int64]*store.Order
	in     chan *command
	halted atomic.Bool
	// mu is held while a batch is processed, so a resync can stop the sequencer
	// between batches.
	mu sync.Mutex

	result engine.Result
	// per batch
	batch    store.Batch
	newIndex map[int64]int
	updIndex map[int64]int
	failed   bool
}

func newSequencer(ctx context.Context, svc *Service, sym store.Symbol) (*sequencer, error) {
	q := &sequencer{
		svc:      svc,
		sym:      sym,
		inst:     money.Instrument{TickSize: sym.TickSize, LotSize: sym.LotSize},
		in:       make(chan *command, 4*svc.opts.BatchSize),
		newIndex: map[int64]int{},
		updIndex: map[int64]int{},
	}
	q.halted.Store(sym.Halted)
	if err := q.inst.Validate(); err != nil {
		return nil, err
	}
	if err := q.rebuild(ctx); err != nil {
		return nil, err
	}
	return q, nil
}

// rebuild restores the book from the store's open orders, in time priority.
func (q *sequencer) rebuild(ctx context.Context) error {
	orders, err := q.svc.store.OpenOrders(ctx, q.sym.Code)
	if err != nil {
		return fmt.Errorf("load open orders: %w", err)
	}
	q.book = engine.NewBookSize(len(orders) + 1024)
	q.open = make(map[int64]*store.Order, len(orders))
	for i := range orders {
		o := orders[i]
		if err := q.book.Restore(toEngine(&o, o.Quantity-o.Filled, 0)); err != nil {
			return fmt.Errorf("restore order %d: %w", o.ID, err)
		}
		q.open[o.ID] = &o
	}
	return nil
}

func (q *sequencer) addReservations(into map[reservationKey]int64) {
	for _, o := range q.open {
		into[reservationKey{o.UserID, q.reserveAsset(o.Side)}] += o.Reserved
	}
}

func (q *sequencer) reserveAsset(side string) string {
	if side == SideBuy {
		return q.sym.QuoteAsset
	}
	return q.sym.BaseAsset
}

func (q *sequencer) run() {
	size := q.svc.opts.BatchSize
	cmds := make([]*command, 0, size)
	for c := range q.in {
		cmds = append(cmds[:0], c)
	drain:
		for len(cmds) < size {
			select {
			case c, ok := <-q.in:
				if !ok {
					break drain
				}
				cmds = append(cmds, c)
			default:
				break drain
			}
		}
		q.process(cmds)
	}
}

// process matches a batch of commands, commits everything they changed in one
// transaction and only then answers them.
func (q *sequencer) process(cmds []*command) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.svc.Consistent() {
		// The book may hold uncommitted state: answer nothing from it until resync.
		for _, c := range cmds {
			c.done <- reply{err: ErrUnavailable}
		}
		return
	}
	start := time.Now()
	q.batch = store.Batch{}
	clear(q.newIndex)
	clear(q.updIndex)
	q.failed = false
	replies := make([]reply, len(cmds))
	for i, c := range cmds {
		switch c.kind {
		case cmdPlace:
			replies[i] = q.place(c.order)
		case cmdCancel:
			replies[i] = q.cancel(c.userID, c.orderID)
		}
	}
	// Replies carry the order's state at the end of the batch, since a later command
	// of the same batch may have filled an order placed earlier in it.
	for i, c := range cmds {
		if c.kind == cmdPlace && replies[i].err == nil {
			replies[i].order = q.batch.NewOrders[q.newIndex[replies[i].order.ID]]
		}
	}
	matched := time.Since(start)
	var err error
	if q.failed {
		err = errors.New("settlement did not balance")
	} else if len(q.batch.NewOrders)+len(q.batch.Updates) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
		err = q.svc.store.CommitBatch(ctx, &q.batch)
		cancel()
	}
	if err != nil {
		q.recover(err)
		for i := range replies {
			if replies[i].err == nil {
				replies[i] = reply{err: ErrUnavailable}
			}
		}
	}
	if err == nil {
		q.adoptNewOrders()
	}
	for i, c := range cmds {
		if c.kind == cmdDepth {
			replies[i] = reply{depth: q.depth(c.depth)}
		}
		c.done <- replies[i]
	}
	if h := q.svc.opts.Hooks.OnBatch; h != nil {
		h(q.sym.Code, len(q.batch.NewOrders), len(q.batch.Trades), matched, time.Since(start)-matched, err)
	}
}

// adoptNewOrders gives every order that this batch placed and that still rests a
// copy of its own, detached from the batch's slice.
func (q *sequencer) adoptNewOrders() {
	for id, i := range q.newIndex {
		if _, ok := q.open[id]; ok {
			o := q.batch.NewOrders[i]
			q.open[id] = &o
		}
	}
}

// recover undoes a batch whose commit failed. The entries are reverted, but the
// commit may in fact have landed (a connection that broke after COMMIT), so the
// service is marked dirty and resynchronises books and balances from the store
// before it takes another change.
func (q *sequencer) recover(cause error) {
	q.svc.log.Error("batch commit failed", "symbol", q.sym.Code, "error", cause,
		"orders", len(q.batch.NewOrders), "trades", len(q.batch.Trades))
	q.svc.ledger.Revert(q.batch.Entries)
	q.svc.markDirty(cause)
}

func (q *sequencer) depth(n int) Depth {
	return Depth{
		Bids: q.book.Depth(engine.Buy, n, nil),
		Asks: q.book.Depth(engine.Sell, n, nil),
	}
}

func (q *sequencer) post(entries []store.LedgerEntry) {
	if len(entries) == 0 {
		return
	}
	if err := q.svc.ledger.Apply(entries); err != nil {
		// Reservations cover every settlement, so this is a bug: fail the batch.
		q.svc.log.Error("settlement rejected by ledger", "symbol", q.sym.Code, "error", err)
		q.failed = true
		return
	}
	q.batch.Entries = append(q.batch.Entries, entries...)
}

// place reserves funds for o, matches it and records every consequence.
func (q *sequencer) place(o store.Order) reply {
	asset := q.reserveAsset(o.Side)
	reserve, budget := q.reservation(&o)
	if reserve <= 0 {
		return reply{err: ErrInsufficientFunds}
	}
	entry := store.LedgerEntry{
		UserID: o.UserID, Asset: asset, Kind: store.EntryReserve, Reserved: reserve,
		OrderID: o.ID, Reason: "order " + formatID(o.ID), CreatedAt: o.CreatedAt,
	}
	if err := q.svc.ledger.Apply([]store.LedgerEntry{entry}); err != nil {
		return reply{err: ErrInsufficientFunds}
	}
	q.batch.Entries = append(q.batch.Entries, entry)
	o.Reserved = reserve

	q.book.Submit(toEngine(&o, o.Quantity, budget), &q.result)
	if q.result.Outcome == engine.RejectedDuplicate || q.result.Outcome == engine.RejectedInvalid {
		q.svc.ledger.Revert([]store.LedgerEntry{entry})
		q.batch.Entries = q.batch.Entries[:len(q.batch.Entries)-1]
		return reply{err: &InvalidError{"order", "rejected by the matching engine"}}
	}
	q.newIndex[o.ID] = len(q.batch.NewOrders)
	q.batch.NewOrders = append(q.batch.NewOrders, o)
	taker := &q.batch.NewOrders[len(q.batch.NewOrders)-1]
	for _, f := range q.result.Fills {
		q.settle(taker, f)
	}
	for _, m := range q.result.Expired {
		q.expireMaker(m.ID, o.CreatedAt)
	}
	q.finishTaker(q.result)
	return reply{order: *taker}
}

// reservation is what o must hold: the notional of a limit buy, the budget of a
// market buy, the base quantity of a sell. budget is the engine's market-buy cap in
// ticks × lots.
func (q *sequencer) reservation(o *store.Order) (reserve, budget int64) {
	switch {
	case o.Side == SideSell:
		n, _ := q.inst.BaseAmount(o.Quantity)
		return n, 0
	case o.Type == TypeLimit:
		n, _ := q.inst.Notional(o.Price, o.Quantity)
		return n, 0
	default:
		avail := q.svc.ledger.Available(o.UserID, q.sym.QuoteAsset)
		if o.MaxNotional > 0 && o.MaxNotional < avail {
			avail = o.MaxNotional
		}
		o.MaxNotional = avail
		unit := q.inst.NotionalUnit()
		return avail - avail%unit, avail / unit
	}
}

// settle books one fill: the buyer pays the maker's price from its reservation and
// gets any price improvement back, the seller delivers reserved base and is paid.
func (q *sequencer) settle(taker *store.Order, f engine.Fill) {
	maker := q.makerState(f.MakerID)
	if maker == nil {
		q.svc.log.Error("fill against an unknown resting order",
			"symbol", q.sym.Code, "order_id", f.MakerID)
		q.failed = true
		return
	}
	notional, _ := q.inst.Notional(f.Price, f.Quantity)
	base, _ := q.inst.BaseAmount(f.Quantity)
	buy, sell := taker, maker
	if taker.Side == SideSell {
		buy, sell = maker, taker
	}
	// The buyer's reservation shrinks by what it held for these lots: its own limit
	// price, or exactly the notional for a market buy.
	held := notional
	if buy.Type == TypeLimit {
		held, _ = q.inst.Notional(buy.Price, f.Quantity)
	}
	tradeID := q.svc.nextTradeID()
	at := taker.CreatedAt
	q.batch.Trades = append(q.batch.Trades, store.Trade{
		ID: tradeID, Symbol: q.sym.Code, Price: f.Price, Quantity: f.Quantity,
		BuyOrderID: buy.ID, SellOrderID: sell.ID, BuyerID: buy.UserID, SellerID: sell.UserID,
		TakerSide: taker.Side, ExecutedAt: at,
	})
	reason := "trade " + formatID(tradeID)
	q.post([]store.LedgerEntry{
		{UserID: buy.UserID, Asset: q.sym.QuoteAsset, Kind: store.EntryTrade, Amount: -notional,
			Reserved: -held, OrderID: buy.ID, TradeID: tradeID, Reason: reason, CreatedAt: at},
		{UserID: buy.UserID, Asset: q.sym.BaseAsset, Kind: store.EntryTrade, Amount: base,
			OrderID: buy.ID, TradeID: tradeID, Reason: reason, CreatedAt: at},
		{UserID: sell.UserID, Asset: q.sym.BaseAsset, Kind: store.EntryTrade, Amount: -base,
			Reserved: -base, OrderID: sell.ID, TradeID: tradeID, Reason: reason, CreatedAt: at},
		{UserID: sell.UserID, Asset: q.sym.QuoteAsset, Kind: store.EntryTrade, Amount: notional,
			OrderID: sell.ID, TradeID: tradeID, Reason: reason, CreatedAt: at},
	})
	buy.Reserved -= held
	sell.Reserved -= base
	for _, o := range []*store.Order{taker, maker} {
		o.Filled += f.Quantity
		o.UpdatedAt = at
		o.Status = store.StatusPartiallyFilled
		if o.Filled == o.Quantity {
			o.Status = store.StatusFilled
		}
	}
	if f.MakerRemaining == 0 {
		q.closeMaker(maker, at)
	}
	q.touch(maker)
}

// makerState returns the batch's working copy of a resting order.
func (q *sequencer) makerState(id int64) *store.Order {
	if i, ok := q.newIndex[id]; ok {
		return &q.batch.NewOrders[i]
	}
	return q.open[id]
}

// touch records a changed order that was committed before this batch.
func (q *sequencer) touch(o *store.Order) {
	if _, ok := q.newIndex[o.ID]; ok {
		return
	}
	u := store.OrderUpdate{ID: o.ID, Filled: o.Filled, Reserved: o.Reserved,
		Status: o.Status, Reason: o.Reason, UpdatedAt: o.UpdatedAt}
	if i, ok := q.updIndex[o.ID]; ok {
		q.batch.Updates[i] = u
		return
	}
	q.updIndex[o.ID] = len(q.batch.Updates)
	q.batch.Updates = append(q.batch.Updates, u)
}

// closeMaker ends a resting order that left the book, releasing what it still holds
// (price improvement never applies to makers, so a filled maker holds nothing).
func (q *sequencer) closeMaker(o *store.Order, at time.Time) {
	q.release(o, at)
	delete(q.open, o.ID)
}

func (q *sequencer) release(o *store.Order, at time.Time) {
	if o.Reserved == 0 {
		return
	}
	q.post([]store.LedgerEntry{{
		UserID: o.UserID, Asset: q.reserveAsset(o.Side), Kind: store.EntryRelease,
		Reserved: -o.Reserved, OrderID: o.ID, Reason: "order " + formatID(o.ID) + " " + o.Status,
		CreatedAt: at,
	}})
	o.Reserved = 0
}

func (q *sequencer) expireMaker(id int64, at time.Time) {
	o := q.makerState(id)
	if o == nil {
		q.failed = true
		return
	}
	o.Status, o.Reason, o.UpdatedAt = store.StatusExpired, "self_trade_prevention", at
	q.closeMaker(o, at)
	q.touch(o)
}

// finishTaker rests the taker or ends it, releasing the unused reservation.
func (q *sequencer) finishTaker(r engine.Result) {
	taker := &q.batch.NewOrders[len(q.batch.NewOrders)-1]
	if r.Rested {
		// Within the batch the order is reached through newIndex; process gives the
		// open map its own copy once the batch is committed.
		q.open[taker.ID] = nil
		return
	}
	switch r.Outcome {
	case engine.Filled:
		taker.Status = store.StatusFilled
	case engine.RejectedFOK:
		taker.Status, taker.Reason = store.StatusExpired, "fok_unfillable"
	case engine.ExpiredSTP:
		taker.Status, taker.Reason = store.StatusExpired, "self_trade_prevention"
	case engine.BudgetExhausted:
		taker.Status, taker.Reason = store.StatusExpired, "budget_exhausted"
	case engine.NoLiquidity:
		taker.Status, taker.Reason = store.StatusExpired, "no_liquidity"
	default:
		taker.Status, taker.Reason = store.StatusExpired, "ioc_remainder"
	}
	q.release(taker, taker.CreatedAt)
}

// cancel ends an open order of user and releases its reservation.
func (q *sequencer) cancel(user, id int64) reply {
	o := q.makerState(id)
	if o == nil || o.UserID != user {
		return reply{err: ErrNotOpen}
	}
	if _, ok := q.book.Cancel(id); !ok {
		return reply{err: ErrNotOpen}
	}
	at := q.svc.opts.Clock().UTC().Truncate(time.Microsecond)
	o.Status, o.Reason, o.UpdatedAt = store.StatusCancelled, "cancelled_by_user", at
	q.closeMaker(o, at)
	q.touch(o)
	return reply{order: *o}
}

func toEngine(o *store.Order, qty, budget int64) engine.Order {
	e := engine.Order{
		ID: o.ID, Account: o.UserID, Price: o.Price, Quantity: qty, Budget: budget,
		Side: engine.Buy, Type: engine.Limit, TIF: engine.GTC, STP: engine.ExpireTaker,
	}
	if o.Side == SideSell {
		e.Side = engine.Sell
	}
	if o.Type == TypeMarket {
		e.Type = engine.Market
	}
	switch o.TimeInForce {
	case IOC:
		e.TIF = engine.IOC
	case FOK:
		e.TIF = engine.FOK
	}
	switch o.STP {
	case ExpireMaker:
		e.STP = engine.ExpireMaker
	case ExpireBoth:
		e.STP = engine.ExpireBoth
	}
	return e
}
