package engine

import (
	"errors"
	"strconv"
)

// Sentinel errors returned by Restore.
var (
	// ErrInvalidOrder means the order fails the basic checks (side, type,
	// quantity, price, time in force).
	ErrInvalidOrder = errors.New("invalid order")
	// ErrDuplicateID means an order with the same id already rests in the book.
	ErrDuplicateID = errors.New("duplicate order id")
	// ErrWouldCross means resting the order would leave a crossed book.
	ErrWouldCross = errors.New("order would cross the book")
)

// Side is the side of an order.
type Side uint8

// Order sides.
const (
	Buy  Side = 1
	Sell Side = 2
)

// Opposite returns the other side; it returns 0 for an invalid side.
func (s Side) Opposite() Side {
	switch s {
	case Buy:
		return Sell
	case Sell:
		return Buy
	}
	return 0
}

// String returns "buy", "sell" or "side(N)".
func (s Side) String() string {
	switch s {
	case Buy:
		return "buy"
	case Sell:
		return "sell"
	}
	return "side(" + strconv.Itoa(int(s)) + ")"
}

// OrderType is limit or market.
type OrderType uint8

// Order types.
const (
	Limit  OrderType = 1
	Market OrderType = 2
)

// TimeInForce says how long an order may live.
type TimeInForce uint8

// Times in force. A market order never rests: GTC (or zero) on a market order
// is treated as IOC.
const (
	GTC TimeInForce = 1 // rest the remainder (limit orders only)
	IOC TimeInForce = 2 // match what is possible now, cancel the rest
	FOK TimeInForce = 3 // fill the whole quantity now or do nothing
)

// STPMode is the self-trade prevention mode of the taker. It applies when the
// taker would match a resting order with the same Account.
type STPMode uint8

// Self-trade prevention modes.
const (
	// ExpireTaker stops the taker; its remainder is cancelled and never rests.
	ExpireTaker STPMode = 0
	// ExpireMaker removes the resting order and lets the taker go on.
	ExpireMaker STPMode = 1
	// ExpireBoth removes the resting order and stops the taker.
	ExpireBoth STPMode = 2
)

// Outcome says why the taker stopped.
type Outcome uint8

// Outcomes of Submit.
const (
	// Filled: the whole quantity traded.
	Filled Outcome = iota + 1
	// Rested: the GTC limit remainder now rests in the book.
	Rested
	// CancelledIOC: the unfilled remainder of an IOC limit order was cancelled.
	CancelledIOC
	// RejectedFOK: a FOK order could not fill completely; nothing happened.
	RejectedFOK
	// ExpiredSTP: self-trade prevention expired the taker.
	ExpiredSTP
	// BudgetExhausted: a market buy spent as much of its budget as it could.
	BudgetExhausted
	// NoLiquidity: a market order ran out of resting orders on the other side.
	NoLiquidity
	// RejectedDuplicate: an order with the same id rests; nothing happened.
	RejectedDuplicate
	// RejectedInvalid: the order failed validation; nothing happened.
	RejectedInvalid
)

var outcomeNames = [...]string{
	Filled:            "filled",
	Rested:            "rested",
	CancelledIOC:      "cancelled_ioc",
	RejectedFOK:       "rejected_fok",
	ExpiredSTP:        "expired_stp",
	BudgetExhausted:   "budget_exhausted",
	NoLiquidity:       "no_liquidity",
	RejectedDuplicate: "rejected_duplicate",
	RejectedInvalid:   "rejected_invalid",
}

// String returns the snake_case name of the outcome.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Rejected reports whether the order was refused without touching the book.
func (o Outcome) Rejected() bool {
	return o == RejectedFOK || o == RejectedDuplicate || o == RejectedInvalid
}

// Order is a command to trade, and also the view of a resting order.
type Order struct {
	ID      int64
	Account int64 // owner account; self-trade prevention compares this
	Side    Side
	Type    OrderType
	TIF     TimeInForce
	STP     STPMode
	// Price is the limit price in ticks; it is ignored for market orders.
	Price int64
	// Quantity is in lots; for a resting order it is the remaining lots.
	Quantity int64
	// Budget caps the notional (sum of price*quantity of fills, in
	// ticks*lots) a market buy may spend; 0 means unbounded. It is ignored
	// on every other kind of order.
	Budget int64
}

// Fill is one trade between a resting maker and the incoming taker.
type Fill struct {
	MakerID, MakerAccount int64
	TakerID, TakerAccount int64
	Price                 int64 // the maker's price
	Quantity              int64
	MakerRemaining        int64 // maker lots left; 0 means it left the book
}

// Result carries the events of one Submit. Reuse one Result across calls:
// its slices are truncated, not reallocated, so the hot path stays
// allocation-free.
type Result struct {
	Fills     []Fill
	Expired   []Order // resting orders removed by self-trade prevention
	Remaining int64   // taker lots not filled
	Rested    bool    // the taker's remainder now rests (GTC limit only)
	Outcome   Outcome
}

func (r *Result) reset() {
	r.Fills = r.Fills[:0]
	r.Expired = r.Expired[:0]
	r.Remaining = 0
	r.Rested = false
	r.Outcome = 0
}

// Level is one aggregated price level.
type Level struct {
	Price    int64
	Quantity int64
	Orders   int
}

// validate reports whether o is a well-formed order to submit.
func validate(o *Order) bool {
	if o.Side != Buy && o.Side != Sell {
		return false
	}
	if o.Quantity <= 0 || o.STP > ExpireBoth || o.Budget < 0 {
		return false
	}
	switch o.Type {
	case Limit:
		return o.Price > 0 && o.TIF >= GTC && o.TIF <= FOK
	case Market:
		return o.TIF <= FOK
	}
	return false
}
