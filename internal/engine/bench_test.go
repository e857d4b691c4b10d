package engine_test

import (
	"runtime"
	"testing"

	"github.com/octopus-venue/octopus/internal/engine"
)

const benchMid = 100000

// addCancelBench keeps resting orders at a steady count: every add of a new
// order is followed by the cancel of a random resting one. Orders are drawn
// with an inline xorshift generator so the benchmark's own data stays small
// next to the book's.
type addCancelBench struct {
	book   *engine.Book
	live   []int64
	band   uint64
	nextID int64
	rnd    uint64
}

func newAddCancelBench(tb testing.TB, resting, band int) *addCancelBench {
	s := &addCancelBench{
		book: engine.NewBookSize(resting),
		live: make([]int64, resting),
		band: uint64(band),
		rnd:  0x9E3779B97F4A7C15,
	}
	for i := range s.live {
		o := s.order()
		if err := s.book.Restore(o); err != nil {
			tb.Fatal(err)
		}
		s.live[i] = o.ID
	}
	return s
}

func (s *addCancelBench) next() uint64 {
	s.rnd ^= s.rnd << 13
	s.rnd ^= s.rnd >> 7
	s.rnd ^= s.rnd << 17
	return s.rnd
}

// order draws a GTC limit that never crosses: bids below benchMid, asks
// above, within band ticks.
func (s *addCancelBench) order() engine.Order {
	r := s.next()
	s.nextID++
	o := engine.Order{
		ID:       s.nextID,
		Account:  int64(1 + r>>54),
		Type:     engine.Limit,
		TIF:      engine.GTC,
		Quantity: int64(1 + (r>>32)&63),
	}
	off := int64(1 + (r&0xffffffff)*s.band>>32)
	if r&(1<<40) == 0 {
		o.Side, o.Price = engine.Buy, benchMid-off
	} else {
		o.Side, o.Price = engine.Sell, benchMid+off
	}
	return o
}

func (s *addCancelBench) run(b *testing.B) {
	var r engine.Result
	n := uint64(len(s.live))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i&1 == 0 {
			s.book.Submit(s.order(), &r)
			if r.Outcome != engine.Rested {
				b.Fatalf("add outcome %v", r.Outcome)
			}
			continue
		}
		j := (s.next() & 0xffffffff) * n >> 32
		if _, ok := s.book.Cancel(s.live[j]); !ok {
			b.Fatalf("cancel %d failed", s.live[j])
		}
		s.live[j] = s.nextID
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkAddCancelDeep adds and cancels orders in a book of 50,000
// resting orders over 2,000 price levels.
func BenchmarkAddCancelDeep(b *testing.B) {
	newAddCancelBench(b, 50000, 1000).run(b)
}

// BenchmarkAddCancelShallow does the same on 200 orders over 20 levels.
func BenchmarkAddCancelShallow(b *testing.B) {
	newAddCancelBench(b, 200, 10).run(b)
}

// BenchmarkMatch sends takers that cross the spread over a deep book. Makers
// of 10 lots queue at the best ask; each IOC buy of 15 lots fills one or two
// of them, and every maker it fills completely is added back at the end of
// the queue within the same iteration.
func BenchmarkMatch(b *testing.B) {
	s := newAddCancelBench(b, 50000, 1000)
	book := s.book
	maker := func() engine.Order {
		s.nextID++
		return engine.Order{
			ID: s.nextID, Account: 1, Side: engine.Sell, Type: engine.Limit,
			TIF: engine.GTC, Price: benchMid, Quantity: 10,
		}
	}
	for range 1000 {
		if err := book.Restore(maker()); err != nil {
			b.Fatal(err)
		}
	}
	var r, add engine.Result
	fills := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.nextID++
		book.Submit(engine.Order{
			ID: s.nextID, Account: 2, Side: engine.Buy, Type: engine.Limit,
			TIF: engine.IOC, Price: benchMid, Quantity: 15,
		}, &r)
		if r.Outcome != engine.Filled {
			b.Fatalf("taker outcome %v", r.Outcome)
		}
		fills += len(r.Fills)
		for _, f := range r.Fills {
			if f.MakerRemaining == 0 {
				book.Submit(maker(), &add)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "takers/s")
	b.ReportMetric(float64(fills)/float64(b.N), "fills/op")
}

// BenchmarkMemoryPerOrder reports the heap held per resting order in a book
// of 200,000 orders built without a size hint.
func BenchmarkMemoryPerOrder(b *testing.B) {
	b.ReportAllocs()
	var perOrder float64
	for range b.N {
		perOrder = memoryPerOrder(b, 200000)
	}
	b.ReportMetric(perOrder, "B/order")
}

func TestMemoryPerOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large book")
	}
	if got := memoryPerOrder(t, 200000); got >= 200 {
		t.Fatalf("%.0f bytes per resting order, want under 200", got)
	}
}

func memoryPerOrder(tb testing.TB, n int) float64 {
	gen := &addCancelBench{band: 1000, rnd: 12345}
	orders := make([]engine.Order, n)
	for i := range orders {
		orders[i] = gen.order()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	book := engine.NewBook()
	for _, o := range orders {
		if err := book.Restore(o); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if book.Len() != n {
		tb.Fatalf("book holds %d orders, want %d", book.Len(), n)
	}
	runtime.KeepAlive(book)
	runtime.KeepAlive(orders)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// TestHotPathsDoNotAllocate pins the zero-allocation promise of add, cancel
// and match once the book is warm.
func TestHotPathsDoNotAllocate(t *testing.T) {
	b := engine.NewBookSize(4096)
	var r engine.Result
	r.Fills = make([]engine.Fill, 0, 16)
	id := int64(0)
	step := func() {
		id++
		b.Submit(limit(id, 1, sell, 101, 5), &r)
		id++
		b.Submit(limit(id, 2, buy, 99, 5), &r)
		b.Cancel(id)
		id++
		b.Submit(withTIF(limit(id, 3, buy, 101, 3), engine.IOC), &r)
		id++
		b.Submit(market(id, 3, buy, 2, 1000), &r)
	}
	for range 100 {
		step()
	}
	if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
		t.Fatalf("%.1f allocations per step, want 0", allocs)
	}
}
