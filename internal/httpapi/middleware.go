package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/logging"
	"github.com/octopus-venue/octopus/internal/rbac"
)

type ctxKey int

const stateKey ctxKey = 1

// reqState is what the middleware learns about a request as it passes through;
// the handlers add to it and the observers read it.
type reqState struct {
	id        string
	start     time.Time
	clientIP  string
	principal *auth.Principal
	route     string
	summary   string
	errorCode string
}

func state(ctx context.Context) *reqState {
	if st, ok := ctx.Value(stateKey).(*reqState); ok {
		return st
	}
	return &reqState{}
}

func principal(r *http.Request) auth.Principal {
	if p := state(r.Context()).principal; p != nil {
		return *p
	}
	return auth.Principal{}
}

// setSummary records what a state change did, for the audit trail.
func setSummary(r *http.Request, format string, args ...any) {
	state(r.Context()).summary = fmt.Sprintf(format, args...)
}

func setErrorDetail(r *http.Request, code string) { state(r.Context()).errorCode = code }

// setSubject names the user a public route acted for (a login), so its audit record
// says who logged in.
func setSubject(r *http.Request, userID int64, role string) {
	st := state(r.Context())
	if st.principal == nil {
		st.principal = &auth.Principal{UserID: userID, Role: role}
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// chain wraps the router in the middleware every request passes, outermost first:
// request id and client address (observe), recover, security headers, HTTPS
// redirect, CORS, IP blocks and rate limits (protect); authentication, the
// principal's rate limit and authorization follow per route in guard.
func (s *Server) chain(h http.Handler) http.Handler {
	h = s.protect(h)
	h = s.cors(h)
	h = s.redirectHTTPS(h)
	h = s.securityHeaders(h)
	h = s.recoverPanics(h)
	return s.observe(h)
}

// observe gives the request an id and state, and reports it when answered.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{id: newRequestID(), start: s.Clock()}
		st.clientIP = s.clientAddr(r).String()
		w.Header().Set("X-Request-Id", st.id)
		// A state change is answered only after its audit record is written, so the
		// answer waits in a buffer while the record is made durable.
		var held *heldResponse
		out := w
		if s.AuditSync != nil && changesState(r.Method) {
			held = &heldResponse{w: w}
			out = held
		}
		sw := &statusWriter{ResponseWriter: out}
		ctx := logging.WithRequestID(context.WithValue(r.Context(), stateKey, st), st.id)
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		info := RequestInfo{
			Time: st.start, RequestID: st.id, ClientIP: st.clientIP, Method: r.Method,
			Route: st.route, Path: r.URL.Path, Status: sw.status, Latency: s.Clock().Sub(st.start),
			UserAgent: r.UserAgent(), Summary: st.summary, ErrorCode: st.errorCode,
		}
		if p := st.principal; p != nil {
			info.UserID, info.APIKeyID, info.Role = p.UserID, p.APIKeyID, p.Role
		}
		// Only a change that was made must wait; a refused one changed nothing and
		// is recorded like a read.
		if held != nil && info.Status < 400 {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditSyncWait)
			if err := s.AuditSync(actx, info); err != nil {
				s.log.ErrorContext(ctx, "state change answered before its audit record was written",
					"error", err)
			}
			cancel()
			info.Audited = true
		}
		if held != nil {
			held.release()
		}
		s.log.Log(r.Context(), logLevel(info.Status), "request",
			"method", info.Method, "route", info.Route,
			"status", info.Status, "latency_ms", info.Latency.Milliseconds(),
			"client_ip", info.ClientIP, "user_id", info.UserID)
		for _, o := range s.Observers {
			o(r.Context(), info)
		}
	})
}

// auditSyncWait bounds how long an answer waits for its audit record. Past it the
// change is already committed, so the answer goes out and the record follows.
const auditSyncWait = 5 * time.Second

func changesState(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// heldResponse keeps a handler's answer until release writes it out.
type heldResponse struct {
	w      http.ResponseWriter
	status int
	body   []byte
}

func (h *heldResponse) Header() http.Header { return h.w.Header() }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	h.body = append(h.body, b...)
	return len(b), nil
}

func (h *heldResponse) release() {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	h.w.WriteHeader(h.status)
	_, _ = h.w.Write(h.body)
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// recoverPanics turns a panic into a 500 with an error id; the stack goes to the log.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the specification's headers on every response.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.sendHSTS(r) {
			h.Set("Strict-Transport-Security", s.hstsValue())
		}
		next.ServeHTTP(w, r)
	})
}

// dispatch routes the request, answering unknown paths and methods in JSON.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		// ServeHTTP, not h: only the mux fills in the request's path values.
		s.mux.ServeHTTP(w, r)
		return
	}
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "method not allowed on this path"})
		return
	}
	s.writeError(w, r, errNotFound)
}

// headerProbe captures what the mux's own 404/405 handler would answer.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

// guard authenticates and authorizes a request for rt before its handler runs.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := state(r.Context())
		st.route = rt.Pattern()
		if rt.StateChange && s.Audit != nil && !s.Audit.AcceptingStateChanges() {
			s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "audit_unavailable",
				Message:    "the audit trail cannot record changes right now; nothing was done",
				RetryAfter: 2 * time.Second})
			return
		}
		if rt.Access == Public {
			rt.handler(w, r)
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		st.principal = &p
		if !s.limitPrincipal(w, r, rt, p) {
			return
		}
		if rt.Access == Session {
			rt.handler(w, r)
			return
		}
		need := rbac.Permission(rt.Access)
		if !p.Can(need) {
			s.forbid(w, r, p, need)
			return
		}
		rt.handler(w, r)
	})
}

// forbid answers 403. Reaching for admin rights without them is recorded as a
// privilege escalation attempt. A token restricted to MFA enrollment is refused
// everything else without an event: its holder is on the way to enrolling, not
// reaching above their role.
func (s *Server) forbid(w http.ResponseWriter, r *http.Request, p auth.Principal, need rbac.Permission) {
	if p.Restricted == auth.ScopeMFAEnroll {
		s.writeError(w, r, &Error{Status: http.StatusForbidden, Code: "mfa_enrollment_required",
			Message: "enroll a second factor first: POST /api/v1/me/mfa/totp"})
		return
	}
	if need == rbac.ManageUsers || need == rbac.SystemAdmin || strings.HasPrefix(r.URL.Path, "/api/v1/admin/") {
		s.Events.Record(r.Context(), "privilege_escalation", p.UserID, state(r.Context()).clientIP,
			fmt.Sprintf("%s needs %s; role %s", state(r.Context()).route, need, p.Role))
	}
	s.writeError(w, r, errForbidden)
}

// authenticate reads the bearer token, or the API key when X-API-Key is sent.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	if len(r.Header.Values(headerAPIKey)) > 0 {
		return s.authenticateAPIKey(r)
	}
	values := r.Header.Values("Authorization")
	if len(values) == 0 || values[0] == "" {
		return auth.Principal{}, errUnauthorized
	}
	if len(values) > 1 {
		// Two credentials: which one a proxy or this server reads would be a guess.
		return auth.Principal{}, auth.ErrInvalidToken
	}
	h := values[0]
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return auth.Principal{}, errUnauthorized
	}
	p, err := s.Auth.Authenticate(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		if errors.Is(err, auth.ErrInvalidToken) {
			return auth.Principal{}, err
		}
		return auth.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}
