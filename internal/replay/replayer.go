package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
)

// ErrInconsistent means the two files do not describe the same book: their
// row counts differ, or the first message does not fit the first row.
var ErrInconsistent = errors.New("messages and orderbook disagree")

// Matcher is the part of engine.Book the replayer drives. Tests substitute
// a book with wrong rules to prove that the verifier notices.
type Matcher interface {
	Submit(o engine.Order, r *engine.Result)
	Cancel(id int64) (engine.Order, bool)
	Reduce(id, by int64) (engine.Order, bool)
	Restore(o engine.Order) error
	Get(id int64) (engine.Order, bool)
	Depth(side engine.Side, levels int, dst []engine.Level) []engine.Level
	LevelOrders(side engine.Side, price int64, dst []engine.Order) []engine.Order
}

var _ Matcher = (*engine.Book)(nil)

// Defaults for Config.
const (
	DefaultLevels     = 10
	DefaultMaxDetails = 10
)

// takerAccount owns the aggressive orders that replay executions. Synthetic
// orders use negative ids and accounts counting down from -1, recorded
// orders their positive LOBSTER id, so no two owners ever collide and self-
// trade prevention never fires.
const (
	takerAccount int64 = math.MinInt64
	takerID      int64 = math.MinInt64
)

// checkEvery is how many messages pass between context checks.
const checkEvery = 4096

// Config tunes a replay. The zero value replays a 10-level file into a new
// engine.Book.
type Config struct {
	Levels     int     // levels per side in the orderbook file
	MaxDetails int     // mismatches and resyncs kept in detail
	Book       Matcher // an empty book to drive; nil means engine.NewBook()
	// Now is the clock for Report.Elapsed; nil means time.Now.
	Now func() time.Time
}

// Run replays a LOBSTER message file against its orderbook file. It returns
// an error for unreadable or inconsistent input; differences between the
// engine and the recording are counted in the Report (see Report.Err).
func Run(ctx context.Context, messages, orderbook io.Reader, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	r := &replayer{
		cfg:      cfg,
		book:     cfg.Book,
		messages: NewMessageReader(messages),
		rows:     NewBookReader(orderbook, cfg.Levels),
		prev:     &BookRow{},
		row:      &BookRow{},
		placed:   make(map[int64]struct{}),
	}
	start := cfg.Now()
	err := r.run(ctx)
	r.report.Elapsed = cfg.Now().Sub(start)
	return r.report, err
}

func (c Config) withDefaults() Config {
	if c.Levels <= 0 {
		c.Levels = DefaultLevels
	}
	if c.MaxDetails <= 0 {
		c.MaxDetails = DefaultMaxDetails
	}
	if c.Book == nil {
		c.Book = engine.NewBook()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

type replayer struct {
	cfg      Config
	book     Matcher
	messages *MessageReader
	rows     *BookReader
	prev     *BookRow // the row before the current message: what was visible
	row      *BookRow // the row after the current message
	report   Report

	// placed holds the ids the message file added and has not yet seen
	// leave. A message naming one of them must find it resting; any other
	// id names an order from before the files start.
	placed        map[int64]struct{}
	nextSynthetic int64
	result        engine.Result
	depth         []engine.Level
	orders        []engine.Order
}

func (r *replayer) run(ctx context.Context) error {
	first, err := r.messages.Next()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("no messages: %w", ErrInconsistent)
	}
	if err != nil {
		return err
	}
	if err := r.nextRow(); err != nil {
		return err
	}
	if err := r.seed(first); err != nil {
		return err
	}
	// Before the first message nothing deeper than the first row is known,
	// so that row also marks what was visible.
	copyRow(r.prev, r.row)
	r.step(1, first)

	for n := 2; ; n++ {
		m, err := r.messages.Next()
		if errors.Is(err, io.EOF) {
			return r.expectNoMoreRows()
		}
		if err != nil {
			return err
		}
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("replay: %w", err)
			}
		}
		r.prev, r.row = r.row, r.prev
		if err := r.nextRow(); err != nil {
			return err
		}
		r.step(n, m)
	}
}

func (r *replayer) nextRow() error {
	err := r.rows.Next(r.row)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("orderbook ends at line %d, messages go on: %w",
			r.rows.Line(), ErrInconsistent)
	}
	return err
}

func (r *replayer) expectNoMoreRows() error {
	var extra BookRow
	err := r.rows.Next(&extra)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("orderbook has more rows than the %d messages: %w",
		r.report.Messages, ErrInconsistent)
}

// step applies message n and checks the book against its row.
func (r *replayer) step(n int, m Message) {
	r.report.Messages++
	r.apply(n, m)
	r.verify(n, engine.Sell)
	r.verify(n, engine.Buy)
}

func copyRow(dst, src *BookRow) {
	dst.Asks = append(dst.Asks[:0], src.Asks...)
	dst.Bids = append(dst.Bids[:0], src.Bids...)
}

// seed rests the book as it stood before message first: the first row with
// that message's effect undone, one synthetic order per level.
func (r *replayer) seed(first Message) error {
	asks := slices.Clone(r.row.Asks)
	bids := slices.Clone(r.row.Bids)
	side := &asks
	if first.Side() == engine.Buy {
		side = &bids
	}
	switch first.Type {
	case NewOrder:
		i := slices.IndexFunc(*side, func(l engine.Level) bool { return l.Price == first.Price })
		if i < 0 || (*side)[i].Quantity < first.Size {
			return fmt.Errorf("first message adds %d at %d, not in the first row: %w",
				first.Size, first.Price, ErrInconsistent)
		}
		(*side)[i].Quantity -= first.Size
		if (*side)[i].Quantity == 0 {
			*side = slices.Delete(*side, i, i+1)
		}
	case PartialCancel, Delete, ExecuteVisible:
		*side = addLevel(*side, first.Side(), first.Price, first.Size)
	}
	for _, l := range asks {
		if err := r.restoreSynthetic(engine.Sell, l.Price, l.Quantity); err != nil {
			return err
		}
	}
	for _, l := range bids {
		if err := r.restoreSynthetic(engine.Buy, l.Price, l.Quantity); err != nil {
			return err
		}
	}
	return nil
}

// addLevel adds qty at price to a side's levels, keeping them best first.
func addLevel(levels []engine.Level, side engine.Side, price, qty int64) []engine.Level {
	for i, l := range levels {
		if l.Price == price {
			levels[i].Quantity += qty
			return levels
		}
		if better(side, price, l.Price) {
			return slices.Insert(levels, i, engine.Level{Price: price, Quantity: qty})
		}
	}
	return append(levels, engine.Level{Price: price, Quantity: qty})
}

// better reports whether price a comes before price b on side.
func better(side engine.Side, a, b int64) bool {
	if side == engine.Buy {
		return a > b
	}
	return a < b
}

// restoreSynthetic rests liquidity whose orders the files do not name, at
// the back of its level.
func (r *replayer) restoreSynthetic(side engine.Side, price, qty int64) error {
	r.nextSynthetic--
	err := r.book.Restore(engine.Order{
		ID:       r.nextSynthetic,
		Account:  r.nextSynthetic,
		Side:     side,
		Type:     engine.Limit,
		TIF:      engine.GTC,
		Price:    price,
		Quantity: qty,
	})
	if err != nil {
		return fmt.Errorf("seed %v %d@%d: %w", side, qty, price, err)
	}
	return nil
}

// apply feeds one message to the engine.
func (r *replayer) apply(n int, m Message) {
	switch m.Type {
	case NewOrder:
		r.add(n, m)
	case PartialCancel:
		if !r.rests(n, m) {
			return
		}
		if o, ok := r.book.Reduce(m.OrderID, m.Size); ok && o.Quantity == 0 {
			delete(r.placed, m.OrderID)
		}
	case Delete:
		if !r.rests(n, m) {
			return
		}
		r.book.Cancel(m.OrderID)
		delete(r.placed, m.OrderID)
	case ExecuteVisible:
		r.execute(n, m)
	}
	// Hidden executions never touched the visible book; cross trades and
	// halts carry no book change.
}

// rests reports whether the order a cancel names rests in the engine. An
// order from before the files start is taken off the synthetic liquidity at
// its price instead; an order the file placed that the engine no longer
// holds is a mismatch.
func (r *replayer) rests(n int, m Message) bool {
	if _, ok := r.book.Get(m.OrderID); ok {
		return true
	}
	if _, ok := r.placed[m.OrderID]; ok {
		r.mismatch(Mismatch{Message: n, Kind: MissingOrder, Side: m.Side(), OrderID: m.OrderID})
		delete(r.placed, m.OrderID)
		return false
	}
	r.reduceSynthetic(m.Side(), m.Price, m.Size)
	return false
}

func (r *replayer) add(n int, m Message) {
	r.book.Submit(engine.Order{
		ID:       m.OrderID,
		Account:  m.OrderID,
		Side:     m.Side(),
		Type:     engine.Limit,
		TIF:      engine.GTC,
		Price:    m.Price,
		Quantity: m.Size,
	}, &r.result)
	r.report.Trades += len(r.result.Fills)
	if r.result.Rested {
		r.placed[m.OrderID] = struct{}{}
	}
	if r.result.Outcome != engine.Rested || len(r.result.Fills) > 0 {
		r.mismatch(Mismatch{
			Message: n, Kind: AddRejected, Side: m.Side(),
			OrderID: m.OrderID, Outcome: r.result.Outcome,
		})
	}
}

// execute replays a visible execution as an IOC order from the other side
// at the execution price. The engine chooses the maker by its own rules; the
// maker must be the order the message names, or synthetic liquidity when
// that order was placed before the files start.
func (r *replayer) execute(n int, m Message) {
	_, known := r.placed[m.OrderID]
	r.book.Submit(engine.Order{
		ID:       takerID,
		Account:  takerAccount,
		Side:     m.Side().Opposite(),
		Type:     engine.Limit,
		TIF:      engine.IOC,
		Price:    m.Price,
		Quantity: m.Size,
	}, &r.result)
	r.report.Trades += len(r.result.Fills)
	for _, f := range r.result.Fills {
		if known && f.MakerID != m.OrderID || !known && f.MakerID >= 0 {
			r.mismatch(Mismatch{
				Message: n, Kind: PriorityMismatch, Side: m.Side(),
				OrderID: m.OrderID, MakerID: f.MakerID,
			})
			break
		}
		if f.MakerID == m.OrderID && f.MakerRemaining == 0 {
			delete(r.placed, m.OrderID)
		}
	}
	if r.result.Remaining > 0 {
		r.mismatch(Mismatch{
			Message: n, Kind: ExecutionShort, Side: m.Side(),
			OrderID: m.OrderID, Short: r.result.Remaining,
		})
	}
}

// reduceSynthetic takes qty off the oldest synthetic orders at a level: the
// message names an order placed before the files start.
func (r *replayer) reduceSynthetic(side engine.Side, price, qty int64) {
	r.orders = r.book.LevelOrders(side, price, r.orders)
	for _, o := range r.orders {
		if qty == 0 {
			return
		}
		if o.ID >= 0 {
			continue
		}
		take := min(qty, o.Quantity)
		r.book.Reduce(o.ID, take)
		qty -= take
	}
}

// verify compares one side with the row after message n. Levels deeper than
// the previous row's last level changed out of sight; as they come into view
// the engine takes their size from the row (a resync). What is left over
// are mismatches.
func (r *replayer) verify(n int, side engine.Side) {
	want := r.row.Side(side)
	prev := r.prev.Side(side)
	// Only a full row hides deeper levels; edge is its last visible price.
	hidden := len(prev) == r.cfg.Levels
	var edge int64
	if hidden {
		edge = prev[len(prev)-1].Price
	}
	for range 4*r.cfg.Levels + 4 {
		r.depth = r.book.Depth(side, r.cfg.Levels, r.depth)
		k := firstDiff(r.depth, want)
		if k < 0 {
			return
		}
		price, target := fixFor(side, r.depth, want, k)
		if !hidden || !better(side, edge, price) {
			break
		}
		if !r.resync(n, side, price, target) {
			break
		}
	}
	r.depth = r.book.Depth(side, r.cfg.Levels, r.depth)
	for k := range max(len(r.depth), len(want)) {
		var got, exp engine.Level
		if k < len(r.depth) {
			got = engine.Level{Price: r.depth[k].Price, Quantity: r.depth[k].Quantity}
		}
		if k < len(want) {
			exp = want[k]
		}
		if got != exp {
			r.mismatch(Mismatch{Message: n, Kind: DepthMismatch, Side: side,
				Level: k + 1, Want: exp, Got: got})
		}
	}
}

// firstDiff returns the first level where price or size differ, or -1.
func firstDiff(got, want []engine.Level) int {
	for k := range max(len(got), len(want)) {
		if k >= len(got) || k >= len(want) ||
			got[k].Price != want[k].Price || got[k].Quantity != want[k].Quantity {
			return k
		}
	}
	return -1
}

// fixFor returns the price of the first differing level and the size the
// row wants there (0 when the engine has a level the row lacks).
func fixFor(side engine.Side, got, want []engine.Level, k int) (price, target int64) {
	switch {
	case k >= len(got):
		return want[k].Price, want[k].Quantity
	case k >= len(want):
		return got[k].Price, 0
	case got[k].Price == want[k].Price:
		return want[k].Price, want[k].Quantity
	case better(side, want[k].Price, got[k].Price):
		return want[k].Price, want[k].Quantity
	}
	return got[k].Price, 0
}

// resync sets the engine's level at price to target lots: more arrives as a
// synthetic order at the back of the queue; less comes off synthetic orders
// first, oldest first, then off the newest recorded orders.
func (r *replayer) resync(n int, side engine.Side, price, target int64) bool {
	r.orders = r.book.LevelOrders(side, price, r.orders)
	var have int64
	for _, o := range r.orders {
		have += o.Quantity
	}
	switch {
	case target > have:
		if r.restoreSynthetic(side, price, target-have) != nil {
			return false
		}
	case target < have:
		cut := have - target
		for _, o := range r.orders {
			if o.ID < 0 && cut > 0 {
				take := min(cut, o.Quantity)
				r.book.Reduce(o.ID, take)
				cut -= take
			}
		}
		for i := len(r.orders) - 1; i >= 0 && cut > 0; i-- {
			if o := r.orders[i]; o.ID >= 0 {
				take := min(cut, o.Quantity)
				r.book.Reduce(o.ID, take)
				cut -= take
			}
		}
	default:
		return false
	}
	r.report.Resyncs++
	if len(r.report.ResyncDetails) < r.cfg.MaxDetails {
		r.report.ResyncDetails = append(r.report.ResyncDetails,
			Resync{Message: n, Side: side, Price: price, From: have, To: target})
	}
	return true
}

func (r *replayer) mismatch(m Mismatch) {
	r.report.Mismatches++
	if len(r.report.Details) < r.cfg.MaxDetails {
		r.report.Details = append(r.report.Details, m)
	}
}
