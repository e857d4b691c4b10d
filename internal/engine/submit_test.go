package engine_test

import (
	"slices"
	"testing"

	"github.com/octopus-venue/octopus/internal/engine"
)

const (
	buy  = engine.Buy
	sell = engine.Sell
)

type submitCase struct {
	name          string
	resting       []engine.Order
	taker         engine.Order
	wantFills     []engine.Fill
	wantExpired   []int64
	wantOutcome   engine.Outcome
	wantRemaining int64
	wantBids      []engine.Level
	wantAsks      []engine.Level
}

func runSubmitCases(t *testing.T, cases []submitCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := engine.NewBook()
			seed(t, b, tc.resting...)
			var r engine.Result
			b.Submit(tc.taker, &r)

			if r.Outcome != tc.wantOutcome {
				t.Errorf("outcome = %v, want %v", r.Outcome, tc.wantOutcome)
			}
			if r.Remaining != tc.wantRemaining {
				t.Errorf("remaining = %d, want %d", r.Remaining, tc.wantRemaining)
			}
			if r.Rested != (tc.wantOutcome == engine.Rested) {
				t.Errorf("rested = %v with outcome %v", r.Rested, r.Outcome)
			}
			if !slices.Equal(r.Fills, tc.wantFills) {
				t.Errorf("fills = %+v\nwant   %+v", r.Fills, tc.wantFills)
			}
			var expired []int64
			for _, o := range r.Expired {
				expired = append(expired, o.ID)
			}
			if !slices.Equal(expired, tc.wantExpired) {
				t.Errorf("expired = %v, want %v", expired, tc.wantExpired)
			}
			if got := depth(b, buy); !slices.Equal(got, tc.wantBids) {
				t.Errorf("bids = %+v, want %+v", got, tc.wantBids)
			}
			if got := depth(b, sell); !slices.Equal(got, tc.wantAsks) {
				t.Errorf("asks = %+v, want %+v", got, tc.wantAsks)
			}
		})
	}
}

func TestSubmitPriorityAndPrice(t *testing.T) {
	runSubmitCases(t, []submitCase{
		{
			name:          "rests on empty book",
			taker:         limit(1, 10, buy, 100, 5),
			wantOutcome:   engine.Rested,
			wantRemaining: 5,
			wantBids:      []engine.Level{{Price: 100, Quantity: 5, Orders: 1}},
		},
		{
			name: "earlier order at a level fills first",
			resting: []engine.Order{
				limit(1, 10, sell, 100, 5),
				limit(2, 11, sell, 100, 5),
				limit(3, 12, sell, 100, 5),
			},
			taker:       limit(4, 20, buy, 100, 7),
			wantFills:   []engine.Fill{fill(1, 10, 4, 20, 100, 5, 0), fill(2, 11, 4, 20, 100, 2, 3)},
			wantOutcome: engine.Filled,
			wantAsks:    []engine.Level{{Price: 100, Quantity: 8, Orders: 2}},
		},
		{
			name: "better price fills before earlier time",
			resting: []engine.Order{
				limit(1, 10, buy, 99, 5),
				limit(2, 11, buy, 100, 5),
			},
			taker:       limit(3, 20, sell, 99, 6),
			wantFills:   []engine.Fill{fill(2, 11, 3, 20, 100, 5, 0), fill(1, 10, 3, 20, 99, 1, 4)},
			wantOutcome: engine.Filled,
			wantBids:    []engine.Level{{Price: 99, Quantity: 4, Orders: 1}},
		},
		{
			name:          "taker fills at maker price and rests the rest",
			resting:       []engine.Order{limit(1, 10, sell, 95, 3)},
			taker:         limit(2, 20, buy, 100, 10),
			wantFills:     []engine.Fill{fill(1, 10, 2, 20, 95, 3, 0)},
			wantOutcome:   engine.Rested,
			wantRemaining: 7,
			wantBids:      []engine.Level{{Price: 100, Quantity: 7, Orders: 1}},
		},
		{
			name:          "limit stops at its price",
			resting:       []engine.Order{limit(1, 10, sell, 100, 3), limit(2, 11, sell, 101, 3)},
			taker:         limit(3, 20, buy, 100, 5),
			wantFills:     []engine.Fill{fill(1, 10, 3, 20, 100, 3, 0)},
			wantOutcome:   engine.Rested,
			wantRemaining: 2,
			wantBids:      []engine.Level{{Price: 100, Quantity: 2, Orders: 1}},
			wantAsks:      []engine.Level{{Price: 101, Quantity: 3, Orders: 1}},
		},
		{
			name:          "partial fill leaves maker with priority",
			resting:       []engine.Order{limit(1, 10, buy, 100, 10), limit(2, 11, buy, 100, 1)},
			taker:         limit(3, 20, sell, 100, 4),
			wantFills:     []engine.Fill{fill(1, 10, 3, 20, 100, 4, 6)},
			wantOutcome:   engine.Filled,
			wantRemaining: 0,
			wantBids:      []engine.Level{{Price: 100, Quantity: 7, Orders: 2}},
		},
	})
}

func TestSubmitTimeInForce(t *testing.T) {
	book := []engine.Order{
		limit(1, 10, sell, 100, 3),
		limit(2, 11, sell, 101, 4),
	}
	asks := []engine.Level{{Price: 100, Quantity: 3, Orders: 1}, {Price: 101, Quantity: 4, Orders: 1}}
	runSubmitCases(t, []submitCase{
		{
			name:          "IOC cancels the remainder",
			resting:       book,
			taker:         withTIF(limit(5, 20, buy, 100, 5), engine.IOC),
			wantFills:     []engine.Fill{fill(1, 10, 5, 20, 100, 3, 0)},
			wantOutcome:   engine.CancelledIOC,
			wantRemaining: 2,
			wantAsks:      []engine.Level{{Price: 101, Quantity: 4, Orders: 1}},
		},
		{
			name:          "IOC with nothing to match",
			resting:       book,
			taker:         withTIF(limit(5, 20, buy, 99, 5), engine.IOC),
			wantOutcome:   engine.CancelledIOC,
			wantRemaining: 5,
			wantAsks:      asks,
		},
		{
			name:    "FOK fills across levels",
			resting: book,
			taker:   withTIF(limit(5, 20, buy, 101, 7), engine.FOK),
			wantFills: []engine.Fill{
				fill(1, 10, 5, 20, 100, 3, 0), fill(2, 11, 5, 20, 101, 4, 0),
			},
			wantOutcome: engine.Filled,
		},
		{
			name:          "FOK short by one lot changes nothing",
			resting:       book,
			taker:         withTIF(limit(5, 20, buy, 101, 8), engine.FOK),
			wantOutcome:   engine.RejectedFOK,
			wantRemaining: 8,
			wantAsks:      asks,
		},
		{
			name:          "FOK beyond its price changes nothing",
			resting:       book,
			taker:         withTIF(limit(5, 20, buy, 100, 4), engine.FOK),
			wantOutcome:   engine.RejectedFOK,
			wantRemaining: 4,
			wantAsks:      asks,
		},
		{
			name:          "FOK blocked by own order under expire taker",
			resting:       []engine.Order{limit(1, 20, sell, 100, 3), limit(2, 11, sell, 100, 4)},
			taker:         withTIF(limit(5, 20, buy, 100, 4), engine.FOK),
			wantOutcome:   engine.RejectedFOK,
			wantRemaining: 4,
			wantAsks:      []engine.Level{{Price: 100, Quantity: 7, Orders: 2}},
		},
		{
			name:    "FOK skips own order under expire maker",
			resting: []engine.Order{limit(1, 20, sell, 100, 3), limit(2, 11, sell, 100, 4)},
			taker: withSTP(withTIF(limit(5, 20, buy, 100, 4), engine.FOK),
				engine.ExpireMaker),
			wantFills:   []engine.Fill{fill(2, 11, 5, 20, 100, 4, 0)},
			wantExpired: []int64{1},
			wantOutcome: engine.Filled,
		},
	})
}

func TestSubmitMarket(t *testing.T) {
	book := []engine.Order{
		limit(1, 10, sell, 100, 3),
		limit(2, 11, sell, 110, 4),
	}
	runSubmitCases(t, []submitCase{
		{
			name:    "market fills across levels",
			resting: book,
			taker:   market(5, 20, buy, 5, 0),
			wantFills: []engine.Fill{
				fill(1, 10, 5, 20, 100, 3, 0), fill(2, 11, 5, 20, 110, 2, 2),
			},
			wantOutcome: engine.Filled,
			wantAsks:    []engine.Level{{Price: 110, Quantity: 2, Orders: 1}},
		},
		{
			name:    "market exhausts the side and never rests",
			resting: book,
			taker:   market(5, 20, buy, 10, 0),
			wantFills: []engine.Fill{
				fill(1, 10, 5, 20, 100, 3, 0), fill(2, 11, 5, 20, 110, 4, 0),
			},
			wantOutcome:   engine.NoLiquidity,
			wantRemaining: 3,
		},
		{
			name:          "market on empty side",
			resting:       book,
			taker:         market(5, 20, sell, 10, 0),
			wantOutcome:   engine.NoLiquidity,
			wantRemaining: 10,
			wantAsks:      []engine.Level{{Price: 100, Quantity: 3, Orders: 1}, {Price: 110, Quantity: 4, Orders: 1}},
		},
		{
			name:    "budget buys a partial quantity at the level where it runs out",
			resting: book,
			// 3*100 = 300 spent, 239 left buys floor(239/110) = 2 lots.
			taker: market(5, 20, buy, 10, 539),
			wantFills: []engine.Fill{
				fill(1, 10, 5, 20, 100, 3, 0), fill(2, 11, 5, 20, 110, 2, 2),
			},
			wantOutcome:   engine.BudgetExhausted,
			wantRemaining: 5,
			wantAsks:      []engine.Level{{Price: 110, Quantity: 2, Orders: 1}},
		},
		{
			name:          "budget smaller than one lot at the next level",
			resting:       book,
			taker:         market(5, 20, buy, 10, 399),
			wantFills:     []engine.Fill{fill(1, 10, 5, 20, 100, 3, 0)},
			wantOutcome:   engine.BudgetExhausted,
			wantRemaining: 7,
			wantAsks:      []engine.Level{{Price: 110, Quantity: 4, Orders: 1}},
		},
		{
			name:    "budget exactly enough fills",
			resting: book,
			taker:   market(5, 20, buy, 7, 740),
			wantFills: []engine.Fill{
				fill(1, 10, 5, 20, 100, 3, 0), fill(2, 11, 5, 20, 110, 4, 0),
			},
			wantOutcome: engine.Filled,
		},
		{
			name:    "budget ignored on market sell",
			resting: []engine.Order{limit(1, 10, buy, 100, 3)},
			taker:   market(5, 20, sell, 3, 1),
			wantFills: []engine.Fill{
				fill(1, 10, 5, 20, 100, 3, 0),
			},
			wantOutcome: engine.Filled,
		},
		{
			name:          "FOK market within budget rejected when short",
			resting:       book,
			taker:         withTIF(market(5, 20, buy, 5, 500), engine.FOK),
			wantOutcome:   engine.RejectedFOK,
			wantRemaining: 5,
			wantAsks:      []engine.Level{{Price: 100, Quantity: 3, Orders: 1}, {Price: 110, Quantity: 4, Orders: 1}},
		},
	})
}

func TestSubmitSelfTradePrevention(t *testing.T) {
	// Account 20 owns order 2, second in line at 100.
	book := []engine.Order{
		limit(1, 10, sell, 100, 2),
		limit(2, 20, sell, 100, 3),
		limit(3, 11, sell, 100, 4),
	}
	runSubmitCases(t, []submitCase{
		{
			name:          "expire taker stops at own order",
			resting:       book,
			taker:         limit(5, 20, buy, 100, 6),
			wantFills:     []engine.Fill{fill(1, 10, 5, 20, 100, 2, 0)},
			wantOutcome:   engine.ExpiredSTP,
			wantRemaining: 4,
			wantAsks:      []engine.Level{{Price: 100, Quantity: 7, Orders: 2}},
		},
		{
			name:    "expire maker removes own order and goes on",
			resting: book,
			taker:   withSTP(limit(5, 20, buy, 100, 6), engine.ExpireMaker),
			wantFills: []engine.Fill{
				fill(1, 10, 5, 20, 100, 2, 0), fill(3, 11, 5, 20, 100, 4, 0),
			},
			wantExpired: []int64{2},
			wantOutcome: engine.Filled,
		},
		{
			name:          "expire maker then rests on emptied side",
			resting:       []engine.Order{limit(2, 20, sell, 100, 3)},
			taker:         withSTP(limit(5, 20, buy, 100, 6), engine.ExpireMaker),
			wantExpired:   []int64{2},
			wantOutcome:   engine.Rested,
			wantRemaining: 6,
			wantBids:      []engine.Level{{Price: 100, Quantity: 6, Orders: 1}},
		},
		{
			name:          "expire both removes own order and stops",
			resting:       book,
			taker:         withSTP(limit(5, 20, buy, 100, 6), engine.ExpireBoth),
			wantFills:     []engine.Fill{fill(1, 10, 5, 20, 100, 2, 0)},
			wantExpired:   []int64{2},
			wantOutcome:   engine.ExpiredSTP,
			wantRemaining: 4,
			wantAsks:      []engine.Level{{Price: 100, Quantity: 4, Orders: 1}},
		},
		{
			name:          "market expire taker",
			resting:       book,
			taker:         market(5, 20, buy, 6, 0),
			wantFills:     []engine.Fill{fill(1, 10, 5, 20, 100, 2, 0)},
			wantOutcome:   engine.ExpiredSTP,
			wantRemaining: 4,
			wantAsks:      []engine.Level{{Price: 100, Quantity: 7, Orders: 2}},
		},
	})
}

func TestSubmitRejects(t *testing.T) {
	book := []engine.Order{limit(1, 10, sell, 100, 2)}
	asks := []engine.Level{{Price: 100, Quantity: 2, Orders: 1}}
	bad := func(mut func(*engine.Order)) engine.Order {
		o := limit(5, 20, buy, 100, 2)
		mut(&o)
		return o
	}
	cases := []struct {
		name  string
		taker engine.Order
		want  engine.Outcome
	}{
		{"duplicate resting id", limit(1, 20, buy, 100, 2), engine.RejectedDuplicate},
		{"zero quantity", bad(func(o *engine.Order) { o.Quantity = 0 }), engine.RejectedInvalid},
		{"negative quantity", bad(func(o *engine.Order) { o.Quantity = -1 }), engine.RejectedInvalid},
		{"zero limit price", bad(func(o *engine.Order) { o.Price = 0 }), engine.RejectedInvalid},
		{"negative limit price", bad(func(o *engine.Order) { o.Price = -5 }), engine.RejectedInvalid},
		{"no side", bad(func(o *engine.Order) { o.Side = 0 }), engine.RejectedInvalid},
		{"unknown type", bad(func(o *engine.Order) { o.Type = 9 }), engine.RejectedInvalid},
		{"limit without TIF", bad(func(o *engine.Order) { o.TIF = 0 }), engine.RejectedInvalid},
		{"unknown STP", bad(func(o *engine.Order) { o.STP = 3 }), engine.RejectedInvalid},
		{"negative budget", market(5, 20, buy, 2, -1), engine.RejectedInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := engine.NewBook()
			seed(t, b, book...)
			var r engine.Result
			b.Submit(tc.taker, &r)
			if r.Outcome != tc.want || !r.Outcome.Rejected() {
				t.Fatalf("outcome = %v, want %v", r.Outcome, tc.want)
			}
			if len(r.Fills) != 0 || r.Rested || r.Remaining != tc.taker.Quantity {
				t.Fatalf("rejected order changed something: %+v", r)
			}
			if got := depth(b, sell); !slices.Equal(got, asks) || b.Len() != 1 {
				t.Fatalf("book changed: asks %+v, len %d", got, b.Len())
			}
		})
	}
}

func TestResultIsReset(t *testing.T) {
	b := engine.NewBook()
	seed(t, b, limit(1, 10, sell, 100, 2))
	var r engine.Result
	b.Submit(limit(2, 20, buy, 100, 5), &r)
	if len(r.Fills) != 1 || !r.Rested {
		t.Fatalf("first submit: %+v", r)
	}
	b.Submit(limit(3, 30, buy, 90, 1), &r)
	if len(r.Fills) != 0 || len(r.Expired) != 0 || r.Remaining != 1 || r.Outcome != engine.Rested {
		t.Fatalf("result not reset: %+v", r)
	}
}
