// Package security records security events: it stores them, logs them at warn and
// hands them to whoever watches (metrics, SIEM forwarding). The event type is an open
// string so that detectors can add kinds without touching this package.
package security

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// Event types of the specification.
const (
	FailedLogin          = "failed_login_attempt"
	AccountLockout       = "account_lockout"
	PrivilegeEscalation  = "privilege_escalation"
	RefreshTokenReuse    = "refresh_token_reuse"
	MFAFailure           = "mfa_failure"
	SuspiciousAPIUsage   = "suspicious_api_usage"
	DataAccessAnomaly    = "data_access_anomaly"
	severityUnknownEvent = "medium"
)

// Severities per event type; an operator can read them off the README.
var Severities = map[string]string{
	FailedLogin:         "low",
	AccountLockout:      "medium",
	PrivilegeEscalation: "high",
	RefreshTokenReuse:   "high",
	MFAFailure:          "medium",
	SuspiciousAPIUsage:  "medium",
	DataAccessAnomaly:   "high",
}

// Severity returns the severity of an event type.
func Severity(eventType string) string {
	if s, ok := Severities[eventType]; ok {
		return s
	}
	return severityUnknownEvent
}

// EventStore is where events are kept.
type EventStore interface {
	InsertSecurityEvent(ctx context.Context, e *store.SecurityEvent) error
}

// Recorder records events. Watchers are called synchronously after the event is
// stored, so they must not block (the SIEM forwarder queues).
type Recorder struct {
	store EventStore
	log   *slog.Logger
	clock func() time.Time

	mu       sync.RWMutex
	watchers []func(store.SecurityEvent)
}

// NewRecorder returns a Recorder writing to st.
func NewRecorder(st EventStore, log *slog.Logger, clock func() time.Time) *Recorder {
	if clock == nil {
		clock = time.Now
	}
	return &Recorder{store: st, log: log, clock: clock}
}

// Watch adds a function called with every recorded event.
func (r *Recorder) Watch(f func(store.SecurityEvent)) {
	r.mu.Lock()
	r.watchers = append(r.watchers, f)
	r.mu.Unlock()
}

// Record stores an event. A storage failure is logged, not returned: the request that
// caused the event has already been decided, and the log line keeps the evidence.
func (r *Recorder) Record(ctx context.Context, eventType string, userID int64, ip, detail string) {
	e := store.SecurityEvent{
		Type: eventType, Severity: Severity(eventType), UserID: userID, IP: ip,
		Detail: detail, CreatedAt: r.clock().UTC(),
	}
	if r.store != nil {
		if err := r.store.InsertSecurityEvent(context.WithoutCancel(ctx), &e); err != nil {
			r.log.Error("store security event", "error", err, "event_type", eventType)
		}
	}
	r.log.WarnContext(ctx, "security event", "event_type", eventType, "severity", e.Severity,
		"user_id", userID, "client_ip", ip, "detail", detail)
	r.mu.RLock()
	ws := r.watchers
	r.mu.RUnlock()
	for _, w := range ws {
		w(e)
	}
}
