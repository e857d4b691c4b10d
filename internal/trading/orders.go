package trading

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
	"github.com/octopus-venue/octopus/internal/store"
)

// Order request vocabulary, as it travels on the API.
const (
	SideBuy  = "buy"
	SideSell = "sell"

	TypeLimit  = "limit"
	TypeMarket = "market"

	GTC = "GTC"
	IOC = "IOC"
	FOK = "FOK"

	ExpireTaker = "expire_taker"
	ExpireMaker = "expire_maker"
	ExpireBoth  = "expire_both"
)

// PlaceRequest is a parsed order: price in ticks, quantity in lots, MaxNotional in
// quote units. A market buy reserves min(available quote, MaxNotional when set) and
// spends at most that; what it does not spend is released at once.
type PlaceRequest struct {
	UserID        int64
	Symbol        string
	ClientOrderID string
	Side          string
	Type          string
	TimeInForce   string
	STP           string
	Price         int64
	Quantity      int64
	MaxNotional   int64
}

// Placed is the committed outcome of a PlaceRequest.
type Placed struct {
	Order store.Order
	// Existing is true when the client order id matched an earlier order, which is
	// returned instead of placing a second one.
	Existing bool
}

// PlaceOrder validates, reserves, matches and commits one order.
func (s *Service) PlaceOrder(ctx context.Context, req PlaceRequest) (Placed, error) {
	seq, err := s.sequencer(req.Symbol)
	if err != nil {
		return Placed{}, err
	}
	o, err := seq.newOrder(req)
	if err != nil {
		return Placed{}, err
	}
	if req.ClientOrderID != "" {
		release, err := s.claim(ctx, req.UserID, req.ClientOrderID)
		if err != nil {
			return Placed{}, err
		}
		defer release()
		prior, err := s.FindByClientID(ctx, req.UserID, req.ClientOrderID)
		if err == nil {
			return Placed{Order: prior, Existing: true}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Placed{}, err
		}
	}
	if seq.halted.Load() {
		return Placed{}, ErrHalted
	}
	if s.dirty.Load() {
		return Placed{}, ErrUnavailable
	}
	o.ID = s.nextOrderID()
	o.CreatedAt = s.opts.Clock().UTC().Truncate(time.Microsecond) // what the stores keep
	o.UpdatedAt = o.CreatedAt
	r, err := s.send(ctx, seq, &command{kind: cmdPlace, order: o, done: make(chan reply, 1)})
	if err != nil {
		return Placed{}, err
	}
	return Placed{Order: r.order}, nil
}

// FindByClientID returns a user's order by its client order id.
func (s *Service) FindByClientID(ctx context.Context, user int64, clientID string) (store.Order, error) {
	orders, err := s.store.ListOrders(ctx,
		store.OrderFilter{UserID: user, ClientOrderID: clientID}, store.Page{Limit: 1})
	if err != nil {
		return store.Order{}, fmt.Errorf("find order: %w", err)
	}
	if len(orders) == 0 {
		return store.Order{}, ErrNotFound
	}
	return orders[0], nil
}

// GetOrder returns one of a user's orders. Someone else's order is ErrNotFound, so
// ids cannot be probed for existence.
func (s *Service) GetOrder(ctx context.Context, user, id int64) (store.Order, error) {
	o, err := s.store.GetOrder(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.UserID != user) {
		return store.Order{}, ErrNotFound
	}
	if err != nil {
		return store.Order{}, fmt.Errorf("get order: %w", err)
	}
	return o, nil
}

// CancelOrder cancels the rest of a user's open order and releases its reservation.
func (s *Service) CancelOrder(ctx context.Context, user, id int64) (store.Order, error) {
	o, err := s.GetOrder(ctx, user, id)
	if err != nil {
		return store.Order{}, err
	}
	seq, err := s.sequencer(o.Symbol)
	if err != nil {
		return store.Order{}, err
	}
	if s.dirty.Load() {
		return store.Order{}, ErrUnavailable
	}
	r, err := s.send(ctx, seq, &command{
		kind: cmdCancel, userID: user, orderID: id, done: make(chan reply, 1),
	})
	if err != nil {
		return store.Order{}, err
	}
	return r.order, nil
}

// Depth is an aggregated book: levels in ticks and lots, best first.
type Depth struct {
	Bids []engine.Level
	Asks []engine.Level
}

// Book returns the top depth levels of each side, read by the symbol's sequencer so
// that it is a consistent picture between two batches.
func (s *Service) Book(ctx context.Context, symbol string, depth int) (Depth, error) {
	seq, err := s.sequencer(symbol)
	if err != nil {
		return Depth{}, err
	}
	r, err := s.send(ctx, seq, &command{kind: cmdDepth, depth: depth, done: make(chan reply, 1)})
	if err != nil {
		return Depth{}, err
	}
	return r.depth, nil
}

func (q *sequencer) newOrder(req PlaceRequest) (store.Order, error) {
	o := store.Order{
		UserID: req.UserID, Symbol: req.Symbol, ClientOrderID: req.ClientOrderID,
		Side: req.Side, Type: req.Type, TimeInForce: req.TimeInForce, STP: req.STP,
		Price: req.Price, Quantity: req.Quantity, MaxNotional: req.MaxNotional,
		Status: store.StatusNew,
	}
	if o.Side != SideBuy && o.Side != SideSell {
		return o, &InvalidError{"side", "must be buy or sell"}
	}
	if o.STP == "" {
		o.STP = ExpireTaker
	}
	if o.STP != ExpireTaker && o.STP != ExpireMaker && o.STP != ExpireBoth {
		return o, &InvalidError{"self_trade_prevention", "must be expire_taker, expire_maker or expire_both"}
	}
	if o.Quantity <= 0 {
		return o, &InvalidError{"quantity", "must be greater than zero"}
	}
	switch o.Type {
	case TypeLimit:
		if o.TimeInForce == "" {
			o.TimeInForce = GTC
		}
		if o.Price <= 0 {
			return o, &InvalidError{"price", "a limit order needs a price greater than zero"}
		}
		if o.MaxNotional != 0 {
			return o, &InvalidError{"max_notional", "applies to market buys only"}
		}
		if _, err := q.inst.Notional(o.Price, o.Quantity); err != nil {
			return o, &InvalidError{"quantity", "price × quantity is too large"}
		}
	case TypeMarket:
		if o.TimeInForce == "" {
			o.TimeInForce = IOC
		}
		if o.TimeInForce == GTC {
			return o, &InvalidError{"time_in_force", "a market order takes IOC or FOK"}
		}
		if o.Price != 0 {
			return o, &InvalidError{"price", "a market order takes no price"}
		}
		if o.Side == SideSell && o.MaxNotional != 0 {
			return o, &InvalidError{"max_notional", "applies to market buys only"}
		}
		if o.MaxNotional < 0 {
			return o, &InvalidError{"max_notional", "must be greater than zero"}
		}
	default:
		return o, &InvalidError{"type", "must be limit or market"}
	}
	if o.TimeInForce != GTC && o.TimeInForce != IOC && o.TimeInForce != FOK {
		return o, &InvalidError{"time_in_force", "must be GTC, IOC or FOK"}
	}
	if _, err := q.inst.BaseAmount(o.Quantity); err != nil {
		return o, &InvalidError{"quantity", "is too large"}
	}
	return o, nil
}
