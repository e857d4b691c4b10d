package engine_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/octopus-venue/octopus/internal/engine"
)

func TestCancel(t *testing.T) {
	cases := []struct {
		name     string
		id       int64
		want     engine.Order
		wantOK   bool
		wantBids []engine.Level
	}{
		{
			name:   "middle of level",
			id:     2,
			want:   limit(2, 11, buy, 100, 3),
			wantOK: true,
			wantBids: []engine.Level{
				{Price: 100, Quantity: 6, Orders: 2}, {Price: 99, Quantity: 7, Orders: 1},
			},
		},
		{
			name:     "last order of level drops the level",
			id:       4,
			want:     limit(4, 13, buy, 99, 7),
			wantOK:   true,
			wantBids: []engine.Level{{Price: 100, Quantity: 9, Orders: 3}},
		},
		{
			name: "unknown id",
			id:   42,
			wantBids: []engine.Level{
				{Price: 100, Quantity: 9, Orders: 3}, {Price: 99, Quantity: 7, Orders: 1},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := engine.NewBook()
			seed(t, b,
				limit(1, 10, buy, 100, 2), limit(2, 11, buy, 100, 3),
				limit(3, 12, buy, 100, 4), limit(4, 13, buy, 99, 7))
			got, ok := b.Cancel(tc.id)
			if ok != tc.wantOK || got != tc.want {
				t.Fatalf("Cancel = %+v, %v; want %+v, %v", got, ok, tc.want, tc.wantOK)
			}
			if d := depth(b, buy); !slices.Equal(d, tc.wantBids) {
				t.Fatalf("bids = %+v, want %+v", d, tc.wantBids)
			}
			if _, still := b.Get(tc.id); still {
				t.Fatalf("order %d still rests", tc.id)
			}
		})
	}
}

func TestCancelKeepsQueueLinked(t *testing.T) {
	b := engine.NewBook()
	seed(t, b,
		limit(1, 10, sell, 100, 1), limit(2, 11, sell, 100, 1),
		limit(3, 12, sell, 100, 1), limit(4, 13, sell, 100, 1))
	for _, id := range []int64{1, 3} {
		if _, ok := b.Cancel(id); !ok {
			t.Fatalf("cancel %d failed", id)
		}
	}
	seed(t, b, limit(5, 14, sell, 100, 1))
	var ids []int64
	for _, o := range b.LevelOrders(sell, 100, nil) {
		ids = append(ids, o.ID)
	}
	if want := []int64{2, 4, 5}; !slices.Equal(ids, want) {
		t.Fatalf("queue = %v, want %v", ids, want)
	}
}

func TestReduce(t *testing.T) {
	cases := []struct {
		name      string
		id, by    int64
		wantQty   int64
		wantOK    bool
		wantQueue []int64
		wantLevel engine.Level
	}{
		{"partial keeps priority", 1, 3, 2, true, []int64{1, 2}, engine.Level{Price: 100, Quantity: 6, Orders: 2}},
		{"to zero removes", 1, 5, 0, true, []int64{2}, engine.Level{Price: 100, Quantity: 4, Orders: 1}},
		{"beyond zero removes", 1, 50, 0, true, []int64{2}, engine.Level{Price: 100, Quantity: 4, Orders: 1}},
		{"zero is refused", 1, 0, 0, false, []int64{1, 2}, engine.Level{Price: 100, Quantity: 9, Orders: 2}},
		{"negative is refused", 1, -2, 0, false, []int64{1, 2}, engine.Level{Price: 100, Quantity: 9, Orders: 2}},
		{"unknown id", 9, 1, 0, false, []int64{1, 2}, engine.Level{Price: 100, Quantity: 9, Orders: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := engine.NewBook()
			seed(t, b, limit(1, 10, sell, 100, 5), limit(2, 11, sell, 100, 4))
			got, ok := b.Reduce(tc.id, tc.by)
			if ok != tc.wantOK || got.Quantity != tc.wantQty {
				t.Fatalf("Reduce = %+v, %v; want qty %d, %v", got, ok, tc.wantQty, tc.wantOK)
			}
			if ok && got.ID != tc.id {
				t.Fatalf("Reduce returned order %d", got.ID)
			}
			var queue []int64
			for _, o := range b.LevelOrders(sell, 100, nil) {
				queue = append(queue, o.ID)
			}
			if !slices.Equal(queue, tc.wantQueue) {
				t.Fatalf("queue = %v, want %v", queue, tc.wantQueue)
			}
			if d := depth(b, sell); len(d) != 1 || d[0] != tc.wantLevel {
				t.Fatalf("asks = %+v, want %+v", d, tc.wantLevel)
			}
		})
	}
}

func TestRestore(t *testing.T) {
	cases := []struct {
		name    string
		order   engine.Order
		wantErr error
	}{
		{"rests without matching", limit(9, 20, buy, 99, 5), nil},
		{"joins back of level", limit(9, 20, sell, 101, 5), nil},
		{"buy crossing best ask", limit(9, 20, buy, 101, 5), engine.ErrWouldCross},
		{"sell crossing best bid", limit(9, 20, sell, 100, 5), engine.ErrWouldCross},
		{"duplicate id", limit(1, 20, buy, 90, 5), engine.ErrDuplicateID},
		{"market order", market(9, 20, buy, 5, 0), engine.ErrInvalidOrder},
		{"IOC order", withTIF(limit(9, 20, buy, 90, 5), engine.IOC), engine.ErrInvalidOrder},
		{"zero quantity", limit(9, 20, buy, 90, 0), engine.ErrInvalidOrder},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := engine.NewBook()
			seed(t, b, limit(1, 10, buy, 100, 5), limit(2, 11, sell, 101, 5))
			err := b.Restore(tc.order)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Restore error = %v, want %v", err, tc.wantErr)
			}
			got, ok := b.Get(tc.order.ID)
			switch {
			case tc.wantErr == nil && (!ok || got != tc.order):
				t.Fatalf("Get = %+v, %v; want %+v", got, ok, tc.order)
			case tc.wantErr != nil && b.Len() != 2:
				t.Fatalf("failed restore changed the book: len %d", b.Len())
			}
		})
	}
}

func TestRestoreQueuesBehindEarlierOrders(t *testing.T) {
	b := engine.NewBook()
	for _, o := range []engine.Order{limit(-1, -1, sell, 100, 4), limit(7, 7, sell, 100, 2)} {
		if err := b.Restore(o); err != nil {
			t.Fatal(err)
		}
	}
	var r engine.Result
	b.Submit(withTIF(limit(8, 8, buy, 100, 5), engine.IOC), &r)
	want := []engine.Fill{fill(-1, -1, 8, 8, 100, 4, 0), fill(7, 7, 8, 8, 100, 1, 1)}
	if !slices.Equal(r.Fills, want) {
		t.Fatalf("fills = %+v, want %+v", r.Fills, want)
	}
}

func TestDepthAndBest(t *testing.T) {
	b := engine.NewBook()
	seed(t, b,
		limit(1, 1, buy, 98, 1), limit(2, 1, buy, 100, 2), limit(3, 1, buy, 99, 3),
		limit(4, 1, buy, 100, 4), limit(5, 1, sell, 103, 5), limit(6, 1, sell, 101, 6),
		limit(7, 1, sell, 102, 7), limit(8, 1, sell, 101, 8))

	cases := []struct {
		name   string
		side   engine.Side
		levels int
		want   []engine.Level
	}{
		{"bids best first", buy, 10, []engine.Level{
			{Price: 100, Quantity: 6, Orders: 2}, {Price: 99, Quantity: 3, Orders: 1},
			{Price: 98, Quantity: 1, Orders: 1},
		}},
		{"asks best first", sell, 10, []engine.Level{
			{Price: 101, Quantity: 14, Orders: 2}, {Price: 102, Quantity: 7, Orders: 1},
			{Price: 103, Quantity: 5, Orders: 1},
		}},
		{"truncated", sell, 2, []engine.Level{
			{Price: 101, Quantity: 14, Orders: 2}, {Price: 102, Quantity: 7, Orders: 1},
		}},
		{"zero levels", buy, 0, []engine.Level{}},
		{"invalid side", 0, 5, []engine.Level{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]engine.Level, 3, 8) // stale content must be dropped
			got := b.Depth(tc.side, tc.levels, dst)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Depth = %+v, want %+v", got, tc.want)
			}
		})
	}

	if p, q, ok := b.Best(buy); !ok || p != 100 || q != 6 {
		t.Fatalf("Best(buy) = %d, %d, %v", p, q, ok)
	}
	if p, q, ok := b.Best(sell); !ok || p != 101 || q != 14 {
		t.Fatalf("Best(sell) = %d, %d, %v", p, q, ok)
	}
	if _, _, ok := engine.NewBook().Best(buy); ok {
		t.Fatal("Best on empty book reported a level")
	}
	if b.Len() != 8 {
		t.Fatalf("Len = %d, want 8", b.Len())
	}
}

func TestGrowsPastInitialSize(t *testing.T) {
	b := engine.NewBookSize(1)
	const n = 5000
	for i := range int64(n) {
		if err := b.Restore(limit(i, i, buy, 1+i%300, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != n {
		t.Fatalf("Len = %d, want %d", b.Len(), n)
	}
	for i := int64(0); i < n; i += 2 {
		if _, ok := b.Cancel(i); !ok {
			t.Fatalf("cancel %d failed", i)
		}
	}
	for i := range int64(n) {
		if _, ok := b.Get(i); ok != (i%2 == 1) {
			t.Fatalf("Get(%d) = %v", i, ok)
		}
	}
}

func TestStringers(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{buy.String(), "buy"},
		{sell.String(), "sell"},
		{engine.Side(7).String(), "side(7)"},
		{engine.ExpiredSTP.String(), "expired_stp"},
		{engine.Outcome(99).String(), "outcome(99)"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
