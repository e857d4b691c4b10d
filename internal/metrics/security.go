package metrics

import (
	"github.com/octopus-venue/octopus/internal/security"
	"github.com/octopus-venue/octopus/internal/store"
)

// FailedLogin counts a failed login attempt.
func (m *Metrics) FailedLogin() { m.failedLogins.Inc() }

// AccountLockout counts an account locked after repeated failures.
func (m *Metrics) AccountLockout() { m.lockouts.Inc() }

// RateLimited counts a request refused by the named rate limit rule. rule must come
// from configuration, never from the request.
func (m *Metrics) RateLimited(rule string) { m.rateLimited.WithLabelValues(rule).Inc() }

// SecurityEvent counts a recorded security event.
func (m *Metrics) SecurityEvent(eventType, severity string) {
	m.securityEvents.WithLabelValues(eventType, severity).Inc()
}

// RateLimiterBackendError counts a failure of the rate limiter's backend. Its
// signature is the onError callback of ratelimit.WithFailurePolicy; the error
// itself is not a label, so it cannot multiply series.
func (m *Metrics) RateLimiterBackendError(error) { m.rateLimitErrors.Inc() }

// WatchSecurityEvent is a security.Recorder watcher: it counts the event by type and
// severity and, for failed logins and lockouts, the dedicated counters too. Wire
// either this or FailedLogin/AccountLockout from elsewhere, not both, or those
// counts double.
func (m *Metrics) WatchSecurityEvent(e store.SecurityEvent) {
	m.SecurityEvent(e.Type, e.Severity)
	switch e.Type {
	case security.FailedLogin:
		m.FailedLogin()
	case security.AccountLockout:
		m.AccountLockout()
	}
}
