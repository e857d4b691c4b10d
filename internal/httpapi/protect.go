package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/ratelimit"
	"github.com/octopus-venue/octopus/internal/security"
)

// Protection configures the guards in front of authentication: rate limits and IP
// blocks (this file), CORS (cors.go) and HTTPS (https.go). The zero value limits
// nothing, allows no cross-origin access and redirects nothing.
type Protection struct {
	// IPRule limits every request by client address, PrincipalRule every
	// authenticated request by user or API key, LoginRule login and registration by
	// client address. A rule with Limit 0 is off.
	IPRule        ratelimit.Rule
	PrincipalRule ratelimit.Rule
	LoginRule     ratelimit.Rule
	// FailOpen lets requests through when the limiter's backend fails; otherwise
	// they are refused with 429 until it answers again.
	FailOpen bool
	// Timeout bounds each limiter and block list call; zero means 500ms.
	Timeout time.Duration

	CORS CORS

	// ForceHTTPS redirects plain HTTP requests to HTTPS.
	ForceHTTPS bool
	// TrustForwardedProto believes X-Forwarded-Proto from trusted proxies, for TLS
	// terminated in front of the server.
	TrustForwardedProto bool
	// HTTPSPort is the port redirects point at; 0 or 443 leaves it out.
	HTTPSPort int
	// HSTS is the Strict-Transport-Security value; empty means one year with
	// includeSubDomains.
	HSTS string
	// SecureCookies marks every cookie the server sets Secure.
	SecureCookies bool
}

// Route patterns with a rate limit of their own.
const (
	patternLogin    = "POST /api/v1/auth/login"
	patternRegister = "POST /api/v1/auth/register"
)

// routeCosts weighs routes whose answer costs more than a ping, in limiter units.
// Routes not listed cost one.
var routeCosts = map[string]func(*http.Request) int{
	"GET /api/v1/markets/{symbol}/book":   perHundred("depth"),
	"GET /api/v1/markets/{symbol}/trades": perHundred("limit"),
	"GET /api/v1/markets/{symbol}/bars":   fixedCost(5),
	"GET /api/v1/orders":                  perHundred("limit"),
	"GET /api/v1/account/ledger":          perHundred("limit"),
	"GET /api/v1/account/trades":          perHundred("limit"),
	"GET /api/v1/admin/users":             perHundred("limit"),
	"GET /api/v1/admin/security-events":   perHundred("limit"),
}

// perHundred costs one unit plus one per started hundred of the query parameter
// name beyond the first: depth 20 costs 1, depth 500 costs 5. A malformed value
// costs one; the handler refuses it anyway.
func perHundred(name string) func(*http.Request) int {
	return func(r *http.Request) int {
		n, err := strconv.Atoi(r.URL.Query().Get(name))
		if err != nil || n <= 100 {
			return 1
		}
		return 1 + (min(n, 100_000)-1)/100
	}
}

func fixedCost(n int) func(*http.Request) int {
	return func(*http.Request) int { return n }
}

// routeCost is the weight of the request under the route pattern.
func routeCost(pattern string, r *http.Request) int {
	if f, ok := routeCosts[pattern]; ok {
		return f(r)
	}
	return 1
}

var (
	errRateLimited = &Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
		Message: "too many requests; retry after the number of seconds in Retry-After"}
	errHTTPSRequired = errBadRequest("https_required", "this API is served over HTTPS only")
)

// protection is the state of the guards.
type protection struct {
	limiter ratelimit.Limiter
	// downUntil, in Unix nanoseconds, is when the backend may be asked again after a
	// failure. Until then every check is decided by the failure policy at once, so
	// an outage costs one timeout per backendRetryEvery instead of one per call.
	downUntil atomic.Int64
	// logged is when the last backend failure was logged, in Unix nanoseconds;
	// quiet counts the failures since, so an outage logs a line per interval, not
	// one per request.
	logged atomic.Int64
	quiet  atomic.Int64
}

const (
	// failureLogEvery spaces the log lines of a failing limiter backend.
	failureLogEvery = 10 * time.Second
	// backendRetryEvery is how long a failed backend is left alone.
	backendRetryEvery = time.Second
)

// errBackendDown stands for a backend call skipped because the backend failed
// moments ago.
var errBackendDown = errors.New("rate limiter backend down; not asked")

// newProtection wraps the limiter in the failure policy, behind a breaker that
// marks each failure on the request, so that a refusal caused by an outage is not
// counted as abuse.
func (s *Server) newProtection() *protection {
	p := &protection{}
	if s.Limiter != nil {
		p.limiter = ratelimit.WithFailurePolicy(breaker{s}, s.opts.Protection.FailOpen,
			s.limiterError)
	}
	return p
}

type outageKey struct{}

// breaker asks the backend unless it failed within backendRetryEvery, and records
// on the context that the answer came from the failure policy.
type breaker struct{ s *Server }

func (b breaker) Allow(
	ctx context.Context, rule ratelimit.Rule, key string, cost int,
) (ratelimit.Decision, error) {
	if b.s.backendDown() {
		markDown(ctx)
		return ratelimit.Decision{}, errBackendDown
	}
	d, err := b.s.Limiter.Allow(ctx, rule, key, cost)
	misconfigured := errors.Is(err, ratelimit.ErrInvalidRule) ||
		errors.Is(err, ratelimit.ErrInvalidCost)
	if err != nil && !misconfigured {
		markDown(ctx)
		b.s.tripBackend()
	}
	return d, err
}

func markDown(ctx context.Context) {
	if down, ok := ctx.Value(outageKey{}).(*bool); ok {
		*down = true
	}
}

// backendDown reports whether the backend failed within backendRetryEvery.
func (s *Server) backendDown() bool {
	return s.Clock().UnixNano() < s.prot.downUntil.Load()
}

func (s *Server) tripBackend() {
	s.prot.downUntil.Store(s.Clock().Add(backendRetryEvery).UnixNano())
}

// limiterError reports a failure of the limiter or block list backend: to the
// metrics hook every time it was really asked, to the log once per
// failureLogEvery.
func (s *Server) limiterError(err error) {
	if errors.Is(err, errBackendDown) {
		return
	}
	if s.OnLimiterError != nil {
		s.OnLimiterError(err)
	}
	now := s.Clock().UnixNano()
	last := s.prot.logged.Load()
	if now-last < int64(failureLogEvery) || !s.prot.logged.CompareAndSwap(last, now) {
		s.prot.quiet.Add(1)
		return
	}
	s.log.Error("rate limiter backend failed", "error", err,
		"fail_open", s.opts.Protection.FailOpen, "failures_not_logged", s.prot.quiet.Swap(0))
}

// callCtx bounds one limiter or block list call.
func (s *Server) callCtx(r *http.Request) (context.Context, context.CancelFunc) {
	t := s.opts.Protection.Timeout
	if t <= 0 {
		t = 500 * time.Millisecond
	}
	return context.WithTimeout(r.Context(), t)
}

// protect refuses blocked addresses, then spends the request's cost under the
// client address rule and, for login and registration, under the login rule.
func (s *Server) protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, err := netip.ParseAddr(state(r.Context()).clientIP)
		if err != nil {
			// Only a listener without addresses (tests, unix sockets) gets here.
			next.ServeHTTP(w, r)
			return
		}
		if s.blocked(w, r, ip) {
			return
		}
		_, pattern := s.mux.Handler(r)
		// Refusals below are reported under the route they were meant for.
		state(r.Context()).route = pattern
		key := ip.String()
		opts := &s.opts.Protection
		if !s.allow(w, r, ip, opts.IPRule, key, routeCost(pattern, r)) {
			return
		}
		if pattern == patternLogin || pattern == patternRegister {
			if !s.allow(w, r, ip, opts.LoginRule, key, 1) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// limitPrincipal spends the request's cost under the principal rule. API keys have
// budgets of their own, apart from their owner's.
func (s *Server) limitPrincipal(w http.ResponseWriter, r *http.Request, rt Route,
	p auth.Principal) bool {
	key := "u:" + strconv.FormatInt(p.UserID, 10)
	if p.APIKeyID != "" {
		key = "k:" + p.APIKeyID
	}
	ip, _ := netip.ParseAddr(state(r.Context()).clientIP)
	return s.allow(w, r, ip, s.opts.Protection.PrincipalRule, key, routeCost(rt.Pattern(), r))
}

// blocked answers 403 when ip is on the block list. A failing block list lets the
// request on to the limiter, whose failure policy then decides.
func (s *Server) blocked(w http.ResponseWriter, r *http.Request, ip netip.Addr) bool {
	if s.Blocker == nil || s.backendDown() {
		return false
	}
	ctx, cancel := s.callCtx(r)
	b, found, err := s.Blocker.Blocked(ctx, ip)
	cancel()
	if err != nil {
		s.tripBackend()
		s.limiterError(fmt.Errorf("ip block list: %w", err))
		return false
	}
	if !found {
		return false
	}
	s.writeError(w, r, &Error{Status: http.StatusForbidden, Code: "ip_blocked",
		Message:    "this address is blocked after repeated abuse; retry after Retry-After seconds",
		RetryAfter: b.Until.Sub(s.Clock())})
	return true
}

// allow spends cost units of key under rule, writes the rate limit headers and
// answers 429 when the rule refuses. A rule with Limit 0 is off.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, ip netip.Addr,
	rule ratelimit.Rule, key string, cost int) bool {
	if s.prot.limiter == nil || rule.Limit == 0 {
		return true
	}
	down := false
	ctx, cancel := s.callCtx(r)
	ctx = context.WithValue(ctx, outageKey{}, &down)
	d, err := s.prot.limiter.Allow(ctx, rule, key, min(cost, rule.Capacity()))
	cancel()
	if err != nil {
		// Only an invalid rule gets here: configuration validates them, so this is a bug.
		s.writeError(w, r, fmt.Errorf("rate limit %s: %w", rule.Name, err))
		return false
	}
	if !down || !d.Allowed {
		// Failing open, the remaining budget is unknown: say nothing rather than zero.
		ratelimit.WriteHeaders(w.Header(), rule, d)
	}
	switch {
	case d.Shadowed:
		s.rateLimited(rule.Name + "_shadow")
		s.log.InfoContext(r.Context(), "rate limit exceeded in shadow mode", "rule", rule.Name,
			"client_ip", ip.String())
		return true
	case d.Allowed:
		return true
	}
	s.rateLimited(rule.Name)
	if !down {
		s.violation(r, ip, rule.Name)
	}
	s.writeError(w, r, errRateLimited)
	return false
}

func (s *Server) rateLimited(rule string) {
	if s.OnRateLimited != nil {
		s.OnRateLimited(rule)
	}
}

// violation counts a refusal against the client address; the refusal that crosses
// the abuse threshold blocks it and records a suspicious_api_usage event.
func (s *Server) violation(r *http.Request, ip netip.Addr, rule string) {
	if s.Abuse == nil || !ip.IsValid() || s.backendDown() {
		return
	}
	ctx, cancel := s.callCtx(r)
	blocked, b, err := s.Abuse.Violation(ctx, ip)
	cancel()
	if err != nil {
		s.tripBackend()
		s.limiterError(fmt.Errorf("abuse tracker: %w", err))
		return
	}
	if !blocked || s.Events == nil {
		return
	}
	s.Events.Record(r.Context(), security.SuspiciousAPIUsage, principal(r).UserID, ip.String(),
		fmt.Sprintf("blocked until %s after repeated %s rate limit refusals (offense %d)",
			b.Until.UTC().Format(time.RFC3339), rule, b.Offenses))
}
