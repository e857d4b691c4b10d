package engine_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/octopus-venue/octopus/internal/engine"
)

type cmdKind uint8

const (
	cmdSubmit cmdKind = iota
	cmdCancel
	cmdReduce
	cmdRestore
)

type command struct {
	kind  cmdKind
	order engine.Order
	id    int64
	by    int64
}

// randomCommands draws a command stream over a narrow price band and few
// accounts, so crossing, partial fills, self-trades and budgets all happen.
func randomCommands(seed uint64, n int) []command {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	cmds := make([]command, 0, n)
	nextID := int64(1)
	pickID := func() int64 { return 1 + rng.Int64N(nextID+2) }
	for range n {
		switch p := rng.IntN(100); {
		case p < 65:
			o := randomOrder(rng, nextID)
			if rng.IntN(40) == 0 {
				o.ID = pickID() // maybe a duplicate of a resting order
			} else {
				nextID++
			}
			cmds = append(cmds, command{kind: cmdSubmit, order: o})
		case p < 82:
			cmds = append(cmds, command{kind: cmdCancel, id: pickID()})
		case p < 95:
			cmds = append(cmds, command{kind: cmdReduce, id: pickID(), by: rng.Int64N(8) - 1})
		default:
			o := randomOrder(rng, nextID)
			o.Type, o.TIF = engine.Limit, engine.GTC
			nextID++
			cmds = append(cmds, command{kind: cmdRestore, order: o})
		}
	}
	return cmds
}

func randomOrder(rng *rand.Rand, id int64) engine.Order {
	o := engine.Order{
		ID:       id,
		Account:  1 + rng.Int64N(4),
		Side:     engine.Side(1 + rng.IntN(2)),
		Type:     engine.Limit,
		TIF:      engine.TimeInForce(1 + rng.IntN(3)),
		STP:      engine.STPMode(rng.IntN(3)),
		Price:    95 + rng.Int64N(11),
		Quantity: 1 + rng.Int64N(12),
	}
	if rng.IntN(3) == 0 {
		o.TIF = engine.GTC // keep the book populated
	}
	if rng.IntN(6) == 0 {
		o.Type = engine.Market
		o.TIF = engine.TimeInForce(rng.IntN(4))
		if rng.IntN(2) == 0 {
			o.Budget = rng.Int64N(2500)
		}
	}
	if rng.IntN(60) == 0 {
		o.Quantity = 0
	}
	return o
}

func TestMatchesReferenceModel(t *testing.T) {
	seeds := 40
	steps := 3000
	if testing.Short() {
		seeds, steps = 5, 1000
	}
	for s := range seeds {
		t.Run(fmt.Sprintf("seed%d", s), func(t *testing.T) {
			compareWithModel(t, randomCommands(uint64(s), steps))
		})
	}
}

func compareWithModel(t *testing.T, cmds []command) {
	t.Helper()
	b := engine.NewBookSize(1)
	ref := &refBook{}
	var r engine.Result
	var fills, expired int
	for i, c := range cmds {
		switch c.kind {
		case cmdSubmit:
			b.Submit(c.order, &r)
			want := ref.submit(c.order)
			fills += len(r.Fills)
			expired += len(r.Expired)
			if !sameResult(&r, &want) {
				t.Fatalf("step %d submit %+v\n got %+v\nwant %+v", i, c.order, r, want)
			}
		case cmdCancel:
			got, ok := b.Cancel(c.id)
			want, wantOK := ref.cancel(c.id)
			if got != want || ok != wantOK {
				t.Fatalf("step %d cancel %d = %+v %v, want %+v %v", i, c.id, got, ok, want, wantOK)
			}
		case cmdReduce:
			got, ok := b.Reduce(c.id, c.by)
			want, wantOK := ref.reduce(c.id, c.by)
			if got != want || ok != wantOK {
				t.Fatalf("step %d reduce %d by %d = %+v %v, want %+v %v",
					i, c.id, c.by, got, ok, want, wantOK)
			}
		case cmdRestore:
			err := b.Restore(c.order)
			if wantOK := ref.restore(c.order); (err == nil) != wantOK {
				t.Fatalf("step %d restore %+v: err %v, model accepts %v", i, c.order, err, wantOK)
			}
		}
		compareBooks(t, i, b, ref)
	}
	if fills == 0 || expired == 0 {
		t.Fatalf("command stream too tame: %d fills, %d expired", fills, expired)
	}
}

func sameResult(got, want *engine.Result) bool {
	return got.Outcome == want.Outcome && got.Remaining == want.Remaining &&
		got.Rested == want.Rested && slices.Equal(got.Fills, want.Fills) &&
		slices.Equal(got.Expired, want.Expired)
}

func compareBooks(t *testing.T, step int, b *engine.Book, ref *refBook) {
	t.Helper()
	for _, side := range []engine.Side{engine.Buy, engine.Sell} {
		got := b.Depth(side, 1000, nil)
		want := ref.depth(side)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d %v depth\n got %+v\nwant %+v", step, side, got, want)
		}
		var queue []engine.Order
		for _, l := range got {
			queue = append(queue, b.LevelOrders(side, l.Price, nil)...)
		}
		if want := ref.orders(side); !slices.Equal(queue, want) {
			t.Fatalf("step %d %v queue\n got %+v\nwant %+v", step, side, queue, want)
		}
	}
	if b.Len() != len(ref.resting) {
		t.Fatalf("step %d Len = %d, want %d", step, b.Len(), len(ref.resting))
	}
}

// TestDeterministic replays one command stream on two books of different
// initial sizes and requires identical event streams.
func TestDeterministic(t *testing.T) {
	cmds := randomCommands(99, 20000)
	first := eventLog(engine.NewBookSize(1), cmds)
	second := eventLog(engine.NewBookSize(100000), cmds)
	if len(first) != len(cmds) {
		t.Fatalf("log has %d entries for %d commands", len(first), len(cmds))
	}
	if i := firstDiff(first, second); i >= 0 {
		t.Fatalf("runs differ at command %d:\n%s\n%s", i, first[i], second[i])
	}
}

func eventLog(b *engine.Book, cmds []command) []string {
	var r engine.Result
	log := make([]string, 0, len(cmds))
	for _, c := range cmds {
		var entry string
		switch c.kind {
		case cmdSubmit:
			b.Submit(c.order, &r)
			entry = fmt.Sprintf("%+v", r)
		case cmdCancel:
			o, ok := b.Cancel(c.id)
			entry = fmt.Sprintf("%+v %v", o, ok)
		case cmdReduce:
			o, ok := b.Reduce(c.id, c.by)
			entry = fmt.Sprintf("%+v %v", o, ok)
		case cmdRestore:
			entry = fmt.Sprint(b.Restore(c.order))
		}
		entry += fmt.Sprint(b.Depth(engine.Buy, 5, nil), b.Depth(engine.Sell, 5, nil))
		log = append(log, entry)
	}
	return log
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
