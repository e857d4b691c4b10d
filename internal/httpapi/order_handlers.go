package httpapi

import (
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/octopus-venue/octopus/internal/market"
	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/trading"
)

var clientOrderIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

type orderRequest struct {
	Symbol              string `json:"symbol"`
	Side                string `json:"side"`
	Type                string `json:"type"`
	Price               string `json:"price,omitempty"`
	Quantity            string `json:"quantity"`
	TimeInForce         string `json:"time_in_force,omitempty"`
	ClientOrderID       string `json:"client_order_id,omitempty"`
	SelfTradePrevention string `json:"self_trade_prevention,omitempty"`
	MaxNotional         string `json:"max_notional,omitempty"`
}

type orderResponse struct {
	ID                  int64     `json:"id"`
	ClientOrderID       *string   `json:"client_order_id"`
	Symbol              string    `json:"symbol"`
	Side                string    `json:"side"`
	Type                string    `json:"type"`
	Price               *string   `json:"price"`
	Quantity            string    `json:"quantity"`
	FilledQuantity      string    `json:"filled_quantity"`
	RemainingQuantity   string    `json:"remaining_quantity"`
	TimeInForce         string    `json:"time_in_force"`
	SelfTradePrevention string    `json:"self_trade_prevention"`
	MaxNotional         *string   `json:"max_notional,omitempty"`
	Reserved            string    `json:"reserved"`
	Status              string    `json:"status"`
	Reason              string    `json:"reason,omitempty"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

func (s *Server) orderJSON(o store.Order) orderResponse {
	out := orderResponse{ID: o.ID, Symbol: o.Symbol, Side: o.Side, Type: o.Type,
		TimeInForce: o.TimeInForce, SelfTradePrevention: o.STP, Status: o.Status, Reason: o.Reason,
		Reserved: money.Format(o.Reserved), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	in := money.Instrument{TickSize: 1, LotSize: 1}
	if _, i, err := s.Trading.Instrument(o.Symbol); err == nil {
		in = i
	}
	if o.ClientOrderID != "" {
		c := o.ClientOrderID
		out.ClientOrderID = &c
	}
	if o.Type == trading.TypeLimit {
		p := in.FormatPrice(o.Price)
		out.Price = &p
	}
	if o.MaxNotional > 0 {
		m := money.Format(o.MaxNotional)
		out.MaxNotional = &m
	}
	out.Quantity = in.FormatQuantity(o.Quantity)
	out.FilledQuantity = in.FormatQuantity(o.Filled)
	remaining := int64(0)
	if o.Status == store.StatusNew || o.Status == store.StatusPartiallyFilled {
		remaining = o.Quantity - o.Filled
	}
	out.RemainingQuantity = in.FormatQuantity(remaining)
	return out
}

// createOrder places an order. A client_order_id seen before returns the original
// order with 200 instead of placing a second one (201).
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	var req orderRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	pr, err := s.parseOrder(req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pr.UserID = principal(r).UserID
	placed, err := s.Trading.PlaceOrder(r.Context(), pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o := placed.Order
	setSummary(r, "order %d %s %s %s qty=%d price=%d status=%s", o.ID, o.Symbol, o.Side, o.Type,
		o.Quantity, o.Price, o.Status)
	status := http.StatusCreated
	if placed.Existing {
		status = http.StatusOK
	}
	writeJSON(w, status, s.orderJSON(o))
}

func (s *Server) parseOrder(req orderRequest) (trading.PlaceRequest, error) {
	pr := trading.PlaceRequest{Symbol: req.Symbol, Side: req.Side, Type: req.Type,
		TimeInForce: req.TimeInForce, STP: req.SelfTradePrevention, ClientOrderID: req.ClientOrderID}
	if req.ClientOrderID != "" && !clientOrderIDPattern.MatchString(req.ClientOrderID) {
		return pr, errField("client_order_id", "must be 1 to 64 letters, digits or _ . : -")
	}
	if req.Symbol == "" {
		return pr, errField("symbol", "is required")
	}
	_, in, err := s.Trading.Instrument(req.Symbol)
	if err != nil {
		if errors.Is(err, trading.ErrUnknownSymbol) {
			return pr, errField("symbol", "is not a listed symbol")
		}
		return pr, err
	}
	if pr.Quantity, err = in.Lots(req.Quantity); err != nil {
		return pr, stepError("quantity", "lot size", money.Format(in.LotSize), err)
	}
	if req.Price != "" {
		if pr.Price, err = in.Ticks(req.Price); err != nil {
			return pr, stepError("price", "tick size", money.Format(in.TickSize), err)
		}
	} else if req.Type == trading.TypeLimit {
		return pr, errField("price", "is required for a limit order")
	}
	if req.MaxNotional != "" {
		if pr.MaxNotional, err = money.ParsePositive(req.MaxNotional); err != nil {
			return pr, errField("max_notional", "must be a positive decimal with at most 8 decimals")
		}
	}
	return pr, nil
}

func stepError(field, stepName, step string, err error) error {
	switch {
	case errors.Is(err, money.ErrOffStep):
		return errField(field, "must be a multiple of the "+stepName+" "+step)
	case errors.Is(err, money.ErrNotPositive):
		return errField(field, "must be greater than zero")
	case errors.Is(err, money.ErrPrecision):
		return errField(field, "has too many decimals (the "+stepName+" is "+step+")")
	case errors.Is(err, money.ErrOverflow):
		return errField(field, "is too large")
	}
	return errField(field, "must be a decimal string such as \"1.5\"")
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "symbol", "client_order_id", "status", "limit", "cursor")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := page(q, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.OrderFilter{UserID: principal(r).UserID, Symbol: q.Get("symbol"),
		ClientOrderID: q.Get("client_order_id")}
	switch q.Get("status") {
	case "", "all":
	case "open":
		f.OpenOnly = true
	default:
		s.writeError(w, r, errField("status", "must be open or all"))
		return
	}
	if f.Symbol != "" && !market.ValidSymbol(f.Symbol) {
		s.writeError(w, r, errField("symbol", "must be a symbol such as AAPL"))
		return
	}
	if f.ClientOrderID != "" && !clientOrderIDPattern.MatchString(f.ClientOrderID) {
		s.writeError(w, r, errField("client_order_id", "must be 1 to 64 letters, digits or _ . : -"))
		return
	}
	orders, err := s.Store.ListOrders(r.Context(), f, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]orderResponse, len(orders))
	for i, o := range orders {
		out[i] = s.orderJSON(o)
	}
	writeJSON(w, http.StatusOK, newList(out, p.Limit, func(o orderResponse) int64 { return o.ID }))
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Trading.GetOrder(r.Context(), principal(r).UserID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.orderJSON(o))
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := s.Trading.CancelOrder(r.Context(), principal(r).UserID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "order %d cancelled, released %s", o.ID, o.Symbol)
	writeJSON(w, http.StatusOK, s.orderJSON(o))
}
