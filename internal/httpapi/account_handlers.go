package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
)

type balanceResponse struct {
	Asset     string `json:"asset"`
	Total     string `json:"total"`
	Available string `json:"available"`
	Reserved  string `json:"reserved"`
}

func balanceJSON(b store.Balance) balanceResponse {
	return balanceResponse{Asset: b.Asset, Total: money.Format(b.Total),
		Available: money.Format(b.Total - b.Reserved), Reserved: money.Format(b.Reserved)}
}

type accountResponse struct {
	UserID   int64             `json:"user_id"`
	Balances []balanceResponse `json:"balances"`
}

// account answers the committed balances, read from the store.
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	bs, err := s.Store.ListBalances(r.Context(), p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := accountResponse{UserID: p.UserID, Balances: make([]balanceResponse, len(bs))}
	for i, b := range bs {
		out.Balances[i] = balanceJSON(b)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) accountLedger(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "limit", "cursor")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := page(q, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	entries, err := s.Store.ListLedger(r.Context(), principal(r).UserID, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]ledgerResponse, len(entries))
	for i, e := range entries {
		out[i] = ledgerJSON(e)
	}
	writeJSON(w, http.StatusOK, newList(out, p.Limit, func(e ledgerResponse) int64 { return e.ID }))
}

type tradeResponse struct {
	ID         int64     `json:"id"`
	Symbol     string    `json:"symbol"`
	Price      string    `json:"price"`
	Quantity   string    `json:"quantity"`
	Side       string    `json:"side"`
	ExecutedAt time.Time `json:"executed_at"`
	// Account views add the caller's part in the trade.
	OrderID   int64  `json:"order_id,omitempty"`
	MySide    string `json:"my_side,omitempty"`
	Liquidity string `json:"liquidity,omitempty"`
}

// tradeJSON formats a trade; user, when non-zero, adds that user's part in it.
func (s *Server) tradeJSON(ctx context.Context, t store.Trade, user int64) tradeResponse {
	out := tradeResponse{ID: t.ID, Symbol: t.Symbol, Side: t.TakerSide, ExecutedAt: t.ExecutedAt,
		Price: money.Format(t.Price), Quantity: money.Format(t.Quantity)}
	if _, in, err := s.Trading.Instrument(t.Symbol); err == nil {
		out.Price, out.Quantity = in.FormatPrice(t.Price), in.FormatQuantity(t.Quantity)
	}
	if user == 0 {
		return out
	}
	out.MySide, out.OrderID = "buy", t.BuyOrderID
	if t.SellerID == user && t.BuyerID != user {
		out.MySide, out.OrderID = "sell", t.SellOrderID
	}
	out.Liquidity = "maker"
	if out.MySide == t.TakerSide {
		out.Liquidity = "taker"
	}
	return out
}

func (s *Server) accountTrades(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "limit", "cursor")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := page(q, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	user := principal(r).UserID
	trades, err := s.Store.ListUserTrades(r.Context(), user, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]tradeResponse, len(trades))
	for i, t := range trades {
		out[i] = s.tradeJSON(r.Context(), t, user)
	}
	writeJSON(w, http.StatusOK, newList(out, p.Limit, func(t tradeResponse) int64 { return t.ID }))
}
