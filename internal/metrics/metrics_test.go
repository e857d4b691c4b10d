package metrics

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/octopus-venue/octopus/internal/store"
)

func newMetrics(t *testing.T) *Metrics {
	t.Helper()
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func TestCountersMove(t *testing.T) {
	errCommit := errors.New("commit failed")
	tests := []struct {
		name  string
		input func(m *Metrics)
		got   func(m *Metrics) prometheus.Collector
		want  float64
	}{
		{
			name: "request counted under its pattern without the method",
			input: func(m *Metrics) {
				m.ObserveRequest("GET /api/v1/orders/{id}", "GET", 200, time.Millisecond)
				m.ObserveRequest("GET /api/v1/orders/{id}", "GET", 200, time.Millisecond)
			},
			got: func(m *Metrics) prometheus.Collector {
				return m.requests.WithLabelValues("/api/v1/orders/{id}", "GET", "200")
			},
			want: 2,
		},
		{
			name:  "request without a route counted as unmatched",
			input: func(m *Metrics) { m.ObserveRequest("", "GET", 404, time.Millisecond) },
			got: func(m *Metrics) prometheus.Collector {
				return m.requests.WithLabelValues(Unmatched, "GET", "404")
			},
			want: 1,
		},
		{
			name:  "unknown method counted as OTHER",
			input: func(m *Metrics) { m.ObserveRequest("", "BREW", 405, time.Millisecond) },
			got: func(m *Metrics) prometheus.Collector {
				return m.requests.WithLabelValues(Unmatched, "OTHER", "405")
			},
			want: 1,
		},
		{
			name:  "failed login",
			input: func(m *Metrics) { m.FailedLogin() },
			got:   func(m *Metrics) prometheus.Collector { return m.failedLogins },
			want:  1,
		},
		{
			name:  "account lockout",
			input: func(m *Metrics) { m.AccountLockout(); m.AccountLockout() },
			got:   func(m *Metrics) prometheus.Collector { return m.lockouts },
			want:  2,
		},
		{
			name:  "rate limited by rule",
			input: func(m *Metrics) { m.RateLimited("login_ip"); m.RateLimited("orders") },
			got: func(m *Metrics) prometheus.Collector {
				return m.rateLimited.WithLabelValues("login_ip")
			},
			want: 1,
		},
		{
			name:  "security event by type and severity",
			input: func(m *Metrics) { m.SecurityEvent("data_access_anomaly", "high") },
			got: func(m *Metrics) prometheus.Collector {
				return m.securityEvents.WithLabelValues("data_access_anomaly", "high")
			},
			want: 1,
		},
		{
			name:  "rate limiter backend error",
			input: func(m *Metrics) { m.RateLimiterBackendError(errors.New("redis down")) },
			got:   func(m *Metrics) prometheus.Collector { return m.rateLimitErrors },
			want:  1,
		},
		{
			name: "watched failed login moves the dedicated counter",
			input: func(m *Metrics) {
				m.WatchSecurityEvent(store.SecurityEvent{Type: "failed_login_attempt", Severity: "low"})
			},
			got:  func(m *Metrics) prometheus.Collector { return m.failedLogins },
			want: 1,
		},
		{
			name: "watched failed login moves security events",
			input: func(m *Metrics) {
				m.WatchSecurityEvent(store.SecurityEvent{Type: "failed_login_attempt", Severity: "low"})
			},
			got: func(m *Metrics) prometheus.Collector {
				return m.securityEvents.WithLabelValues("failed_login_attempt", "low")
			},
			want: 1,
		},
		{
			name: "watched lockout moves the dedicated counter",
			input: func(m *Metrics) {
				m.WatchSecurityEvent(store.SecurityEvent{Type: "account_lockout", Severity: "medium"})
			},
			got:  func(m *Metrics) prometheus.Collector { return m.lockouts },
			want: 1,
		},
		{
			name: "watched privilege escalation leaves failed logins alone",
			input: func(m *Metrics) {
				m.WatchSecurityEvent(store.SecurityEvent{Type: "privilege_escalation", Severity: "high"})
			},
			got:  func(m *Metrics) prometheus.Collector { return m.failedLogins },
			want: 0,
		},
		{
			name: "committed batch counts orders",
			input: func(m *Metrics) {
				m.Batch("BTC-USD", 3, 2, time.Microsecond, time.Millisecond, nil)
				m.Batch("BTC-USD", 4, 0, time.Microsecond, time.Millisecond, nil)
			},
			got:  func(m *Metrics) prometheus.Collector { return m.orders.WithLabelValues("BTC-USD") },
			want: 7,
		},
		{
			name:  "committed batch counts trades",
			input: func(m *Metrics) { m.Batch("BTC-USD", 3, 2, 0, 0, nil) },
			got:   func(m *Metrics) prometheus.Collector { return m.trades.WithLabelValues("BTC-USD") },
			want:  2,
		},
		{
			name:  "failed batch counts no orders",
			input: func(m *Metrics) { m.Batch("BTC-USD", 3, 2, 0, 0, errCommit) },
			got:   func(m *Metrics) prometheus.Collector { return m.orders.WithLabelValues("BTC-USD") },
			want:  0,
		},
		{
			name:  "failed batch counts a commit failure",
			input: func(m *Metrics) { m.Batch("ETH-USD", 3, 2, 0, 0, errCommit) },
			got: func(m *Metrics) prometheus.Collector {
				return m.commitFailures.WithLabelValues("ETH-USD")
			},
			want: 1,
		},
		{
			name:  "audit records written",
			input: func(m *Metrics) { m.AuditWritten(500); m.AuditWritten(12) },
			got:   func(m *Metrics) prometheus.Collector { return m.auditWritten },
			want:  512,
		},
		{
			name:  "audit written ignores a negative count",
			input: func(m *Metrics) { m.AuditWritten(-3) },
			got:   func(m *Metrics) prometheus.Collector { return m.auditWritten },
			want:  0,
		},
		{
			name:  "audit write failure",
			input: func(m *Metrics) { m.AuditWriteFailed() },
			got:   func(m *Metrics) prometheus.Collector { return m.auditFailures },
			want:  1,
		},
		{
			name:  "audit records dropped",
			input: func(m *Metrics) { m.AuditDropped(4) },
			got:   func(m *Metrics) prometheus.Collector { return m.auditDropped },
			want:  4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics(t)
			tt.input(m)
			if got := testutil.ToFloat64(tt.got(m)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHistogramsObserve(t *testing.T) {
	m := newMetrics(t)
	m.ObserveRequest("POST /api/v1/orders", "POST", 201, 30*time.Millisecond)
	m.Batch("BTC-USD", 1, 0, 3*time.Microsecond, 2*time.Millisecond, nil)
	m.Batch("BTC-USD", 1, 0, 5*time.Microsecond, 4*time.Millisecond, errors.New("x"))

	tests := []struct {
		name      string
		c         prometheus.Collector
		wantCount uint64
		wantSum   float64
	}{
		{name: "matching latency per batch", c: m.matchLatency, wantCount: 2, wantSum: 8e-6},
		{name: "commit latency per attempt", c: m.commitLatency, wantCount: 2, wantSum: 0.006},
		{
			name:      "request latency by route",
			c:         m.requestDuration.WithLabelValues("/api/v1/orders", "POST").(prometheus.Histogram),
			wantCount: 1,
			wantSum:   0.03,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out dto.Metric
			if err := tt.c.(prometheus.Metric).Write(&out); err != nil {
				t.Fatalf("write: %v", err)
			}
			h := out.GetHistogram()
			if h.GetSampleCount() != tt.wantCount {
				t.Errorf("count %d, want %d", h.GetSampleCount(), tt.wantCount)
			}
			if math.Abs(h.GetSampleSum()-tt.wantSum) > 1e-9 {
				t.Errorf("sum %v, want %v", h.GetSampleSum(), tt.wantSum)
			}
		})
	}
}

// TestRouteCardinality shows that raw paths never become labels: only the route
// pattern does, so ids in paths cannot multiply series.
func TestRouteCardinality(t *testing.T) {
	m := newMetrics(t)
	for i := range 50 {
		m.ObserveRequest("GET /api/v1/orders/{id}", "GET", 200, time.Duration(i)*time.Millisecond)
		m.ObserveRequest("", "GET", 404, time.Millisecond)
	}
	if got := testutil.CollectAndCount(m.requests); got != 2 {
		t.Errorf("http_requests_total has %d series, want 2", got)
	}
	if got := testutil.CollectAndCount(m.requestDuration); got != 2 {
		t.Errorf("http_request_duration_seconds has %d series, want 2", got)
	}
}

// TestSecurityEventsStartAtZero shows that every known event type is exported
// before its first event, which the PrivilegeEscalationAttempt alert relies on.
func TestSecurityEventsStartAtZero(t *testing.T) {
	m := newMetrics(t)
	want := `
# HELP security_events_total Recorded security events by type and severity.
# TYPE security_events_total counter
security_events_total{severity="high",type="data_access_anomaly"} 0
security_events_total{severity="high",type="privilege_escalation"} 0
security_events_total{severity="high",type="refresh_token_reuse"} 0
security_events_total{severity="low",type="failed_login_attempt"} 0
security_events_total{severity="medium",type="account_lockout"} 0
security_events_total{severity="medium",type="mfa_failure"} 0
security_events_total{severity="medium",type="suspicious_api_usage"} 0
`
	if err := testutil.CollectAndCompare(m.securityEvents, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		reg     prometheus.Registerer
		wantErr error
	}{
		{name: "nil makes a registry", reg: nil},
		{name: "dedicated registry", reg: prometheus.NewRegistry()},
		{
			name:    "registerer that cannot be scraped",
			reg:     prometheus.WrapRegistererWith(prometheus.Labels{"a": "b"}, prometheus.NewRegistry()),
			wantErr: ErrNotGatherer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.reg)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestNewTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatalf("first New: %v", err)
	}
	if _, err := New(reg); !errors.Is(err, ErrRegister) {
		t.Errorf("second New: err %v, want ErrRegister", err)
	}
}

func TestRegisterAuditQueue(t *testing.T) {
	m := newMetrics(t)
	depth := 0.0
	if err := m.RegisterAuditQueue(func() float64 { return depth }); err != nil {
		t.Fatalf("RegisterAuditQueue: %v", err)
	}
	depth = 42
	want := `
# HELP audit_queue_depth Audit records queued and not yet written.
# TYPE audit_queue_depth gauge
audit_queue_depth 42
`
	err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), "audit_queue_depth")
	if err != nil {
		t.Error(err)
	}
	if err := m.RegisterAuditQueue(func() float64 { return 0 }); !errors.Is(err, ErrRegister) {
		t.Errorf("second registration: err %v, want ErrRegister", err)
	}
}
