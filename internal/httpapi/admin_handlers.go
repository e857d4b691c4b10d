package httpapi

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/market"
	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

type symbolRequest struct {
	Symbol     string `json:"symbol"`
	BaseAsset  string `json:"base_asset"`
	QuoteAsset string `json:"quote_asset"`
	TickSize   string `json:"tick_size"`
	LotSize    string `json:"lot_size"`
}

type symbolResponse struct {
	Symbol     string    `json:"symbol"`
	BaseAsset  string    `json:"base_asset"`
	QuoteAsset string    `json:"quote_asset"`
	TickSize   string    `json:"tick_size"`
	LotSize    string    `json:"lot_size"`
	Halted     bool      `json:"halted"`
	CreatedAt  time.Time `json:"created_at"`
}

func symbolJSON(s store.Symbol) symbolResponse {
	return symbolResponse{Symbol: s.Code, BaseAsset: s.BaseAsset, QuoteAsset: s.QuoteAsset,
		TickSize: money.Format(s.TickSize), LotSize: money.Format(s.LotSize), Halted: s.Halted,
		CreatedAt: s.CreatedAt}
}

func (s *Server) createSymbol(w http.ResponseWriter, r *http.Request) {
	var req symbolRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.QuoteAsset == "" {
		req.QuoteAsset = "USD"
	}
	sym, err := parseSymbol(req, s.Clock().Truncate(time.Microsecond))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Store.CreateSymbol(r.Context(), &sym); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Trading.AddSymbol(r.Context(), sym); err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "symbol %s created", sym.Code)
	writeJSON(w, http.StatusCreated, symbolJSON(sym))
}

func parseSymbol(req symbolRequest, now time.Time) (store.Symbol, error) {
	sym, err := market.NewSymbol(req.Symbol, req.BaseAsset, req.QuoteAsset, req.TickSize,
		req.LotSize, now)
	var se *market.SymbolError
	if errors.As(err, &se) {
		return sym, errField(se.Field, se.Message)
	}
	return sym, err
}

func (s *Server) listSymbols(w http.ResponseWriter, r *http.Request) {
	syms, err := s.Store.ListSymbols(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]symbolResponse, len(syms))
	for i, sym := range syms {
		out[i] = symbolJSON(sym)
	}
	writeJSON(w, http.StatusOK, listResponse[symbolResponse]{Items: out})
}

type symbolPatch struct {
	Halted *bool `json:"halted"`
}

func (s *Server) patchSymbol(w http.ResponseWriter, r *http.Request) {
	var req symbolPatch
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	code, err := pathSymbol(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Halted == nil {
		s.writeError(w, r, errField("halted", "is required"))
		return
	}
	if _, err := s.Store.GetSymbol(r.Context(), code); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Store.SetSymbolHalted(r.Context(), code, *req.Halted); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Trading.SetHalted(code, *req.Halted); err != nil {
		s.writeError(w, r, err)
		return
	}
	sym, err := s.Store.GetSymbol(r.Context(), code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "symbol %s halted=%t", code, *req.Halted)
	writeJSON(w, http.StatusOK, symbolJSON(sym))
}

type createUserRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Accounts.Create(r.Context(), auth.NewUser{
		Username: req.Username, Email: req.Email, Password: req.Password, Role: req.Role,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setSummary(r, "user %d created with role %s", u.ID, u.Role)
	writeJSON(w, http.StatusCreated, userJSON(u, s.Clock()))
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "limit", "cursor")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := page(q, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	users, err := s.Store.ListUsers(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]userResponse, len(users))
	for i, u := range users {
		out[i] = userJSON(u, s.Clock())
	}
	writeJSON(w, http.StatusOK, newList(out, p.Limit, func(u userResponse) int64 { return u.ID }))
}

type userPatch struct {
	Role   *string `json:"role"`
	Email  *string `json:"email"`
	Locked *bool   `json:"locked"`
}

// patchUser changes a role, an email or the lock. Unlocking also clears a temporary
// lockout. The last active admin can be neither demoted nor locked, and a role change
// or a lock ends the user's sessions.
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req userPatch
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Store.GetUser(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	upd, revoke, err := s.userUpdate(r, u, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err = s.Store.UpdateUser(r.Context(), id, upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if revoke {
		if err := s.Auth.RevokeSessions(r.Context(), id); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	setSummary(r, "user %d updated: role=%s locked=%t", id, u.Role, u.Locked)
	writeJSON(w, http.StatusOK, userJSON(u, s.Clock()))
}

func (s *Server) userUpdate(r *http.Request, u store.User, req userPatch) (store.UserUpdate, bool, error) {
	var upd store.UserUpdate
	revoke := false
	if req.Role == nil && req.Email == nil && req.Locked == nil {
		return upd, false, errBadRequest("empty_patch", "send at least one of role, email, locked")
	}
	demotes := req.Role != nil && *req.Role != rbac.Admin
	locks := req.Locked != nil && *req.Locked
	if u.Role == rbac.Admin && !u.Locked && (demotes || locks) {
		n, err := s.Store.CountActiveAdmins(r.Context())
		if err != nil {
			return upd, false, err
		}
		if n <= 1 {
			return upd, false, &Error{Status: http.StatusConflict, Code: "last_admin",
				Message: "the last active admin cannot be demoted or locked"}
		}
	}
	if req.Role != nil {
		if !rbac.ValidRole(*req.Role) {
			return upd, false, errField("role", "must be one of admin, trader, analyst, user")
		}
		upd.Role = req.Role
		revoke = revoke || *req.Role != u.Role
	}
	if req.Email != nil {
		if err := auth.ValidateEmail(*req.Email); err != nil {
			return upd, false, err
		}
		upd.Email = req.Email
	}
	if req.Locked != nil {
		upd.Locked = req.Locked
		if *req.Locked {
			revoke = true
		} else {
			zero, count := time.Time{}, 0
			upd.LockedUntil, upd.LockoutCount = &zero, &count
			s.Auth.ClearLockout(r.Context(), u.ID)
		}
	}
	return upd, revoke, nil
}

type fundsRequest struct {
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
	Reason string `json:"reason"`
}

type ledgerResponse struct {
	ID        int64     `json:"id,omitempty"`
	Asset     string    `json:"asset"`
	Kind      string    `json:"kind"`
	Amount    string    `json:"amount"`
	Reserved  string    `json:"reserved"`
	OrderID   *int64    `json:"order_id,omitempty"`
	TradeID   *int64    `json:"trade_id,omitempty"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

func ledgerJSON(e store.LedgerEntry) ledgerResponse {
	out := ledgerResponse{ID: e.ID, Asset: e.Asset, Kind: e.Kind, Amount: money.Format(e.Amount),
		Reserved: money.Format(e.Reserved), Reason: e.Reason, CreatedAt: e.CreatedAt}
	if e.OrderID != 0 {
		out.OrderID = &e.OrderID
	}
	if e.TradeID != 0 {
		out.TradeID = &e.TradeID
	}
	return out
}

type fundsResponse struct {
	Entry   ledgerResponse  `json:"entry"`
	Balance balanceResponse `json:"balance"`
}

func (s *Server) deposit(w http.ResponseWriter, r *http.Request)  { s.moveFunds(w, r, 1) }
func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) { s.moveFunds(w, r, -1) }

// moveFunds posts an admin deposit (sign 1) or withdrawal (sign -1) as a ledger entry.
func (s *Server) moveFunds(w http.ResponseWriter, r *http.Request, sign int64) {
	userID, err := pathID(r, "user_id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req fundsRequest
	if err := decode(w, r, s.opts.MaxBodyBytes, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	amount, err := money.ParsePositive(req.Amount)
	if err != nil {
		s.writeError(w, r, stepError("amount", "smallest unit", "0.00000001", err))
		return
	}
	reason := sanitize(req.Reason, 200)
	switch {
	case !market.ValidAsset(req.Asset):
		s.writeError(w, r, errField("asset", "must be 2 to 12 upper-case letters or digits"))
		return
	case reason == "":
		s.writeError(w, r, errField("reason", "is required"))
		return
	}
	if _, err := s.Store.GetUser(r.Context(), userID); err != nil {
		s.writeError(w, r, err)
		return
	}
	if ok, err := s.listedAsset(r, req.Asset); err != nil || !ok {
		if err == nil {
			err = errField("asset", "is not traded on any listed symbol")
		}
		s.writeError(w, r, err)
		return
	}
	kind := store.EntryDeposit
	if sign < 0 {
		kind = store.EntryWithdrawal
	}
	e := store.LedgerEntry{UserID: userID, Asset: req.Asset, Kind: kind, Amount: sign * amount,
		Reason: reason, CreatedAt: s.Clock().UTC().Truncate(time.Microsecond)}
	if err := s.Trading.PostEntries(r.Context(), s.Store, []store.LedgerEntry{e}); err != nil {
		if errors.Is(err, store.ErrInsufficient) {
			err = errInsufficient
		}
		s.writeError(w, r, err)
		return
	}
	b := s.Trading.Ledger().Balance(userID, req.Asset)
	setSummary(r, "%s of %s %s to user %d", kind, money.Format(amount), req.Asset, userID)
	writeJSON(w, http.StatusCreated, fundsResponse{Entry: ledgerJSON(e), Balance: balanceJSON(b)})
}

// listedAsset reports whether asset is the base or quote of a listed symbol: money
// in an asset nothing trades could never leave the venue by trading.
func (s *Server) listedAsset(r *http.Request, asset string) (bool, error) {
	syms, err := s.Store.ListSymbols(r.Context())
	if err != nil {
		return false, err
	}
	for _, sym := range syms {
		if sym.BaseAsset == asset || sym.QuoteAsset == asset {
			return true, nil
		}
	}
	return false, nil
}

var errInsufficient = &Error{Status: http.StatusBadRequest, Code: "insufficient_funds",
	Message: "insufficient available balance"}

type securityEventResponse struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	Severity  string    `json:"severity"`
	UserID    *int64    `json:"user_id"`
	IP        string    `json:"ip"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) listSecurityEvents(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "type", "user_id", "ip", "from", "to", "limit", "cursor")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := page(q, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.SecurityEventFilter{Type: q.Get("type"), IP: q.Get("ip")}
	if f.Type != "" && !eventTypePattern.MatchString(f.Type) {
		s.writeError(w, r, errField("type", "must be an event type such as failed_login_attempt"))
		return
	}
	if f.IP != "" {
		ip, err := netip.ParseAddr(f.IP)
		if err != nil {
			s.writeError(w, r, errField("ip", "must be an IPv4 or IPv6 address"))
			return
		}
		f.IP = ip.WithZone("").Unmap().String()
	}
	if v := q.Get("user_id"); v != "" {
		if f.UserID, err = strconv.ParseInt(v, 10, 64); err != nil || f.UserID < 1 {
			s.writeError(w, r, errField("user_id", "must be a user id"))
			return
		}
	}
	if f.From, err = timeParam(q, "from"); err == nil {
		f.To, err = timeParam(q, "to")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	evs, err := s.Store.ListSecurityEvents(r.Context(), f, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]securityEventResponse, len(evs))
	for i, e := range evs {
		out[i] = securityEventResponse{ID: e.ID, Type: e.Type, Severity: e.Severity, IP: e.IP,
			Detail: e.Detail, CreatedAt: e.CreatedAt}
		if e.UserID != 0 {
			id := e.UserID
			out[i].UserID = &id
		}
	}
	writeJSON(w, http.StatusOK, newList(out, p.Limit, func(e securityEventResponse) int64 { return e.ID }))
}
