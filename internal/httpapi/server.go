// Package httpapi is the venue's JSON API under /api/v1: the router, the middleware
// chain, one handler per action, typed errors and the OpenAPI document. Handlers
// decode and validate, then call services; they never touch SQL.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/auth/password"
	"github.com/octopus-venue/octopus/internal/clientip"
	"github.com/octopus-venue/octopus/internal/ratelimit"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/security"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/trading"
)

// Store is the slice of storage the handlers read directly (lists and lookups);
// every state change goes through a service.
type Store interface {
	store.UserStore
	store.SymbolStore
	store.TradeStore
	store.SecurityStore
	ListBalances(ctx context.Context, userID int64) ([]store.Balance, error)
	ListLedger(ctx context.Context, userID int64, p store.Page) ([]store.LedgerEntry, error)
	ApplyEntries(ctx context.Context, entries []store.LedgerEntry) error
	ListOrders(ctx context.Context, f store.OrderFilter, p store.Page) ([]store.Order, error)
	Ping(ctx context.Context) error
}

// Options are the knobs of the API.
type Options struct {
	MaxBodyBytes int64
	Production   bool
	// TLS is true when the server terminates TLS itself, which turns HSTS on.
	TLS                 bool
	RegistrationEnabled bool
	Issuer              string
	PasswordPolicy      password.Policy
	// Protection configures rate limits, CORS and HTTPS (protect.go).
	Protection Protection
}

// RequestInfo describes one answered request, for the audit trail and metrics.
type RequestInfo struct {
	Time      time.Time
	RequestID string
	UserID    int64
	APIKeyID  string
	Role      string
	ClientIP  string
	Method    string
	Route     string
	Path      string
	Status    int
	Latency   time.Duration
	UserAgent string
	Summary   string
	ErrorCode string
	// Audited is true when AuditSync already recorded the request.
	Audited bool
}

// Deps are the services behind the API.
type Deps struct {
	Store    Store
	Auth     *auth.Service
	Accounts *auth.Accounts
	APIKeys  *auth.APIKeys
	Trading  *trading.Service
	Events   *security.Recorder
	ClientIP *clientip.Resolver
	Logger   *slog.Logger
	Clock    func() time.Time
	// Limiter, Blocker and Abuse enforce rate limits and IP blocks; nil turns each off.
	Limiter ratelimit.Limiter
	Blocker ratelimit.Blocker
	Abuse   *ratelimit.AbuseTracker
	// OnLimiterError sees each failure of the limiter's backend, OnRateLimited each
	// refusal by rule name ("ip", "principal", "login", "ip_shadow"...): for metrics.
	OnLimiterError func(error)
	OnRateLimited  func(rule string)
	// Observers see every answered request (audit writer, metrics).
	Observers []func(context.Context, RequestInfo)
	// Audit, when set, must accept records before a state change may proceed.
	Audit AuditGate
	// AuditSync, when set, records a state-changing request and returns once the
	// record is durable; the answer is held until then.
	AuditSync func(context.Context, RequestInfo) error
	// AuditLog serves the admin audit API; nil leaves those routes answering 503.
	AuditLog AuditLog
}

// AuditLog is what the admin audit API reads: the stored records, and the keyed
// hash that searchable-but-unreadable fields are stored under.
type AuditLog interface {
	ListAudit(ctx context.Context, f store.AuditFilter, p store.Page) ([]store.AuditRecord, error)
	Hash(value string) string
}

// AuditGate reports whether the audit trail can take records: a state change that
// cannot be audited is not done.
type AuditGate interface {
	AcceptingStateChanges() bool
}

// Server is the API.
type Server struct {
	Deps
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	handler http.Handler
	prot    *protection
}

// New builds the API with every route registered.
func New(d Deps, opts Options) *Server {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.ClientIP == nil {
		d.ClientIP = clientip.NewResolver(nil)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Issuer == "" {
		opts.Issuer = "Octopus"
	}
	s := &Server{Deps: d, opts: opts, log: d.Logger, mux: http.NewServeMux()}
	s.prot = s.newProtection()
	s.registerRoutes()
	s.handler = s.chain(http.HandlerFunc(s.dispatch))
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every registered route, for the OpenAPI and permission tests.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Access says who may call a route.
type Access string

// Access levels besides a plain permission.
const (
	// Public routes need no credentials.
	Public Access = "public"
	// Session routes need a valid token, even one restricted to MFA enrollment.
	Session Access = "session"
)

// Route is one entry of the route → permission table.
type Route struct {
	Method  string
	Path    string
	Access  Access // Public, Session, or the name of an rbac permission
	Summary string
	// StateChange marks routes whose audit record must be written before success.
	StateChange bool
	handler     http.HandlerFunc
}

// Pattern is the ServeMux pattern of the route.
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

func perm(p rbac.Permission) Access { return Access(p) }

func (s *Server) handle(method, path string, access Access, summary string, h http.HandlerFunc) {
	rt := Route{Method: method, Path: path, Access: access, Summary: summary, handler: h,
		StateChange: method != http.MethodGet && method != http.MethodHead}
	s.routes = append(s.routes, rt)
	s.mux.Handle(rt.Pattern(), s.guard(rt))
}

func (s *Server) registerRoutes() {
	s.handle("GET", "/healthz", Public, "Liveness probe", s.healthz)
	s.handle("GET", "/readyz", Public, "Readiness probe: the database answers", s.readyz)
	s.handle("GET", "/api/v1/openapi.json", Public, "This API's OpenAPI 3 document", s.openapi)

	s.handle("POST", "/api/v1/auth/login", Public, "Log in; returns access and refresh tokens", s.login)
	s.handle("POST", "/api/v1/auth/refresh", Public, "Trade a refresh token for a new pair", s.refresh)
	s.handle("POST", "/api/v1/auth/register", Public, "Register a user (when enabled)", s.register)
	s.handle("POST", "/api/v1/auth/logout", Session, "End the current session", s.logout)
	s.handle("GET", "/api/v1/me", perm(rbac.Read), "The current user", s.me)
	s.handle("POST", "/api/v1/me/password", perm(rbac.Read), "Change the password", s.changePassword)
	s.handle("POST", "/api/v1/me/mfa/totp", Session, "Start TOTP enrollment", s.mfaEnroll)
	s.handle("POST", "/api/v1/me/mfa/totp/confirm", Session, "Confirm TOTP with a first code",
		s.mfaConfirm)

	s.handle("POST", "/api/v1/api-keys", perm(rbac.Read), "Create an API key", s.createAPIKey)
	s.handle("GET", "/api/v1/api-keys", perm(rbac.Read), "List the caller's API keys", s.listAPIKeys)
	s.handle("DELETE", "/api/v1/api-keys/{id}", perm(rbac.Read), "Revoke an API key", s.deleteAPIKey)

	s.handle("GET", "/api/v1/symbols", perm(rbac.Read), "List symbols", s.listSymbols)
	s.handle("POST", "/api/v1/admin/symbols", perm(rbac.SystemAdmin), "Create a symbol", s.createSymbol)
	s.handle("PATCH", "/api/v1/admin/symbols/{symbol}", perm(rbac.SystemAdmin),
		"Halt or resume trading on a symbol", s.patchSymbol)

	s.handle("POST", "/api/v1/admin/users", perm(rbac.ManageUsers), "Create a user", s.createUser)
	s.handle("GET", "/api/v1/admin/users", perm(rbac.ManageUsers), "List users", s.listUsers)
	s.handle("PATCH", "/api/v1/admin/users/{id}", perm(rbac.ManageUsers),
		"Change a user's role, email or lock", s.patchUser)
	s.handle("POST", "/api/v1/admin/accounts/{user_id}/deposits", perm(rbac.SystemAdmin),
		"Deposit an asset into an account", s.deposit)
	s.handle("POST", "/api/v1/admin/accounts/{user_id}/withdrawals", perm(rbac.SystemAdmin),
		"Withdraw an asset from an account", s.withdraw)
	s.handle("GET", "/api/v1/admin/security-events", perm(rbac.SystemAdmin),
		"List security events", s.listSecurityEvents)
	s.handle("GET", "/api/v1/admin/audit", perm(rbac.SystemAdmin),
		"Search the audit trail (JSON, or CSV / JSON lines export with format=)", s.listAudit)
	s.handle("POST", "/api/v1/admin/audit/hash", perm(rbac.SystemAdmin),
		"Keyed hash of a value, to search audit fields stored hashed", s.auditHash)
	s.handle("GET", "/api/v1/admin/ip-blocks", perm(rbac.SystemAdmin),
		"List blocked client addresses", s.listIPBlocks)
	s.handle("DELETE", "/api/v1/admin/ip-blocks/{ip}", perm(rbac.SystemAdmin),
		"Lift the block of a client address", s.deleteIPBlock)

	s.handle("GET", "/api/v1/account", perm(rbac.Read), "Balances of the caller's account", s.account)
	s.handle("GET", "/api/v1/account/ledger", perm(rbac.Read), "Ledger entries of the account",
		s.accountLedger)
	s.handle("GET", "/api/v1/account/trades", perm(rbac.Read), "Trades of the account",
		s.accountTrades)

	s.handle("POST", "/api/v1/orders", perm(rbac.Trade), "Place an order", s.createOrder)
	s.handle("GET", "/api/v1/orders", perm(rbac.Read), "List the caller's orders", s.listOrders)
	s.handle("GET", "/api/v1/orders/{id}", perm(rbac.Read), "One of the caller's orders", s.getOrder)
	s.handle("DELETE", "/api/v1/orders/{id}", perm(rbac.Trade), "Cancel an open order", s.cancelOrder)

	s.handle("GET", "/api/v1/markets/{symbol}/book", perm(rbac.Read), "Aggregated order book",
		s.marketBook)
	s.handle("GET", "/api/v1/markets/{symbol}/trades", perm(rbac.Read), "Recent trades",
		s.marketTrades)
	s.handle("GET", "/api/v1/markets/{symbol}/bars", perm(rbac.Read), "OHLCV bars", s.marketBars)
}

// clientAddr is the caller's address as the trusted-proxy rules resolve it.
func (s *Server) clientAddr(r *http.Request) netip.Addr { return s.ClientIP.ClientIP(r) }
