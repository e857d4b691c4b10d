package httpapi

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/trading"
)

// Error is an API error: an HTTP status, a stable machine code and a message safe to
// show. Fields names the inputs that were wrong.
type Error struct {
	Status     int
	Code       string
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errBadRequest(code, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: msg}
}

func errField(field, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_field",
		Message: field + ": " + msg, Fields: map[string]string{field: msg}}
}

var (
	errUnauthorized = &Error{Status: http.StatusUnauthorized, Code: "unauthorized",
		Message: "authentication required"}
	errForbidden = &Error{Status: http.StatusForbidden, Code: "forbidden",
		Message: "you do not have permission to do this"}
	errNotFound = &Error{Status: http.StatusNotFound, Code: "not_found",
		Message: "resource not found"}
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	ErrorID string            `json:"error_id,omitempty"`
}

// apiError maps a domain error to what the client may see. Anything unknown is a 500
// whose detail stays in the log under an error id the client can quote.
func apiError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var inv *trading.InvalidError
	if errors.As(err, &inv) {
		return errField(inv.Field, inv.Message)
	}
	var fe *auth.FieldError
	if errors.As(err, &fe) {
		e := errField(fe.Field, fe.Message)
		if fe.Field == "password" {
			e.Code = "weak_password"
			e.Fields["rule"] = fe.Rule
		}
		if fe.Rule == "taken" {
			e.Status, e.Code = http.StatusConflict, "conflict"
		}
		return e
	}
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		return &Error{Status: http.StatusUnauthorized, Code: "invalid_credentials",
			Message: "invalid username or password"}
	case errors.Is(err, auth.ErrMFARequired):
		return &Error{Status: http.StatusUnauthorized, Code: "mfa_required",
			Message: "this account needs a second factor: send totp_code or recovery_code"}
	case errors.Is(err, auth.ErrInvalidToken):
		return &Error{Status: http.StatusUnauthorized, Code: "invalid_token",
			Message: "invalid or expired token"}
	case errors.Is(err, auth.ErrInvalidAPIKey):
		return &Error{Status: http.StatusUnauthorized, Code: "invalid_api_key",
			Message: "invalid, expired or unsigned api key request"}
	case errors.Is(err, auth.ErrAPIKeyNotAllowed):
		return &Error{Status: http.StatusForbidden, Code: "api_key_not_allowed",
			Message: "this needs a signed-in user; api keys cannot do it"}
	case errors.Is(err, auth.ErrScopeNotAllowed):
		return &Error{Status: http.StatusForbidden, Code: "scope_not_allowed",
			Message: "scopes must be permissions your role grants",
			Fields:  map[string]string{"scopes": "exceeds your role"}}
	case errors.Is(err, auth.ErrTooManyAPIKeys):
		return &Error{Status: http.StatusConflict, Code: "too_many_api_keys",
			Message: "delete an api key before creating another"}
	case errors.Is(err, auth.ErrReplayGuardFull):
		return &Error{Status: http.StatusServiceUnavailable, Code: "busy",
			Message: "too many signed requests in flight, retry shortly", RetryAfter: time.Second}
	case errors.Is(err, auth.ErrBusy):
		return &Error{Status: http.StatusServiceUnavailable, Code: "busy",
			Message: "too many logins in progress, retry shortly", RetryAfter: time.Second}
	case errors.Is(err, auth.ErrInvalidCode):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_code", Message: "invalid code"}
	case errors.Is(err, auth.ErrMFAEnrolled):
		return &Error{Status: http.StatusConflict, Code: "mfa_enrolled",
			Message: "a second factor is already enrolled"}
	case errors.Is(err, auth.ErrMFANotEnrolled):
		return &Error{Status: http.StatusConflict, Code: "mfa_not_enrolled",
			Message: "start enrollment first"}
	case errors.Is(err, trading.ErrSupplyLimit):
		return &Error{Status: http.StatusBadRequest, Code: "supply_limit",
			Message: "the deposit would exceed the venue's limit for this asset",
			Fields:  map[string]string{"amount": "is too large"}}
	case errors.Is(err, trading.ErrInsufficientFunds):
		return &Error{Status: http.StatusBadRequest, Code: "insufficient_funds",
			Message: "insufficient available balance"}
	case errors.Is(err, trading.ErrUnknownSymbol):
		return &Error{Status: http.StatusNotFound, Code: "unknown_symbol", Message: "unknown symbol"}
	case errors.Is(err, trading.ErrHalted):
		return &Error{Status: http.StatusConflict, Code: "trading_halted",
			Message: "trading is halted for this symbol"}
	case errors.Is(err, trading.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, trading.ErrNotOpen):
		return &Error{Status: http.StatusConflict, Code: "order_not_open",
			Message: "the order is no longer open"}
	case errors.Is(err, trading.ErrUnavailable), errors.Is(err, trading.ErrClosed):
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the request could not be committed; nothing was done", RetryAfter: time.Second}
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: "already exists"}
	case errors.Is(err, money.ErrOverflow):
		return errBadRequest("overflow", "value too large")
	case unreachable(err):
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the database did not answer; retry shortly", RetryAfter: time.Second}
	}
	return nil
}

// unreachable reports whether err is a backing service not answering (refused,
// reset or closed connection, timeout) rather than a bug: a 503 with Retry-After
// tells the client to come back, where a 500 would claim a defect. Drivers mark
// errors raised before anything was sent with SafeToRetry.
func unreachable(err error) bool {
	var ne net.Error
	var retry interface{ SafeToRetry() bool }
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, driver.ErrBadConn) || (errors.As(err, &retry) && retry.SafeToRetry())
}

// writeError answers with a JSON error. 5xx detail goes to the log only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := apiError(err)
	body := errorBody{}
	if e == nil {
		id := errorID()
		s.log.ErrorContext(r.Context(), "internal error", "error", err, "error_id", id)
		e = &Error{Status: http.StatusInternalServerError, Code: "internal_error",
			Message: "internal error; quote error_id when reporting it"}
		body.Error.ErrorID = id
	} else if e.Status >= 500 {
		s.log.WarnContext(r.Context(), "request refused", "code", e.Code, "error", err)
	}
	body.Error.Code, body.Error.Message, body.Error.Fields = e.Code, e.Message, e.Fields
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="octopus"`)
	}
	setErrorDetail(r, e.Code)
	writeJSON(w, e.Status, body)
}

func errorID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// logLevel is the level a response status is logged at.
func logLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
