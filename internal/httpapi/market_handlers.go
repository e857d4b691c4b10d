package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
	"github.com/octopus-venue/octopus/internal/market"
	"github.com/octopus-venue/octopus/internal/money"
)

// MaxBookDepth is the deepest book a client may ask for.
const MaxBookDepth = 500

type levelResponse struct {
	Price    string `json:"price"`
	Quantity string `json:"quantity"`
	Orders   int    `json:"orders"`
}

type bookResponse struct {
	Symbol string          `json:"symbol"`
	Bids   []levelResponse `json:"bids"`
	Asks   []levelResponse `json:"asks"`
}

func levelsJSON(in money.Instrument, levels []engine.Level) []levelResponse {
	out := make([]levelResponse, len(levels))
	for i, l := range levels {
		out[i] = levelResponse{Price: in.FormatPrice(l.Price), Quantity: in.FormatQuantity(l.Quantity),
			Orders: l.Orders}
	}
	return out
}

func (s *Server) marketBook(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "depth")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	depth := 20
	if v := q.Get("depth"); v != "" {
		if depth, err = strconv.Atoi(v); err != nil || depth < 1 || depth > MaxBookDepth {
			s.writeError(w, r, errField("depth", "must be a whole number from 1 to 500"))
			return
		}
	}
	code, err := pathSymbol(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, in, err := s.Trading.Instrument(code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Trading.Book(r.Context(), code, depth)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bookResponse{Symbol: code, Bids: levelsJSON(in, d.Bids),
		Asks: levelsJSON(in, d.Asks)})
}

func (s *Server) marketTrades(w http.ResponseWriter, r *http.Request) {
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
	code, err := pathSymbol(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, _, err := s.Trading.Instrument(code); err != nil {
		s.writeError(w, r, err)
		return
	}
	trades, err := s.Store.ListTrades(r.Context(), code, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]tradeResponse, len(trades))
	for i, t := range trades {
		out[i] = s.tradeJSON(r.Context(), t, 0)
	}
	writeJSON(w, http.StatusOK, newList(out, p.Limit, func(t tradeResponse) int64 { return t.ID }))
}

type barResponse struct {
	Start  time.Time `json:"start"`
	Open   string    `json:"open"`
	High   string    `json:"high"`
	Low    string    `json:"low"`
	Close  string    `json:"close"`
	Volume string    `json:"volume"`
	Trades int       `json:"trades"`
}

// maxBarTrades bounds the trades one bars request aggregates.
const maxBarTrades = 200_000

// marketBars aggregates the trades of [from, to) into bars; by default the last 100
// intervals up to now.
func (s *Server) marketBars(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "interval", "from", "to")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	iv := q.Get("interval")
	if iv == "" {
		iv = "1m"
	}
	d, err := market.ParseInterval(iv)
	if err != nil {
		s.writeError(w, r, errField("interval", "must be one of 1m, 5m, 1h, 1d"))
		return
	}
	from, err := timeParam(q, "from")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	to, err := timeParam(q, "to")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if to.IsZero() {
		to = s.Clock().UTC().Add(time.Second)
	}
	if from.IsZero() {
		from = to.Add(-100 * d).Truncate(d)
	}
	if !from.Before(to) || to.Sub(from) > 1000*d {
		s.writeError(w, r, errField("from", "must be before to, at most 1000 intervals earlier"))
		return
	}
	code, err := pathSymbol(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, in, err := s.Trading.Instrument(code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	bars, err := s.bars(r.Context(), code, from, to, d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse[barResponse]{Items: barsJSON(in, bars)})
}

// barPage is how many trades one store read brings.
const barPage = 5000

// bars aggregates [from, to) page by page. Pages advance by time; the trades that
// share the boundary's timestamp come again and are skipped by id.
func (s *Server) bars(ctx context.Context, code string, from, to time.Time, d time.Duration) ([]market.Bar, error) {
	var bars []market.Bar
	var lastID int64
	for read := 0; read < maxBarTrades; {
		page, err := s.Store.TradesBetween(ctx, code, from, to, barPage)
		if err != nil {
			return nil, err
		}
		fresh := page[:0:0]
		for _, t := range page {
			if t.ID > lastID || !t.ExecutedAt.Equal(from) {
				fresh = append(fresh, t)
			}
		}
		bars = market.AddTrades(bars, fresh, d)
		read += len(page)
		if len(page) < barPage || len(fresh) == 0 {
			return bars, nil
		}
		last := page[len(page)-1]
		from, lastID = last.ExecutedAt, last.ID
	}
	return bars, nil
}

func barsJSON(in money.Instrument, bars []market.Bar) []barResponse {
	out := make([]barResponse, len(bars))
	for i, b := range bars {
		out[i] = barResponse{Start: b.Start, Open: in.FormatPrice(b.Open), High: in.FormatPrice(b.High),
			Low: in.FormatPrice(b.Low), Close: in.FormatPrice(b.Close),
			Volume: in.FormatQuantity(b.Volume), Trades: b.Trades}
	}
	return out
}
