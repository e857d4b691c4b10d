// Package metrics holds the venue's Prometheus collectors. Other packages stay free
// of a metrics library: they expose hooks (httpapi observers, trading.Hooks,
// security.Recorder watchers, the rate limiter's failure callback) and the app
// wires the methods of a Metrics value into them.
package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/octopus-venue/octopus/internal/security"
)

// Errors of the package.
var (
	// ErrNotGatherer means the registerer given to New cannot be scraped.
	ErrNotGatherer = errors.New("metrics: registerer is not a gatherer")
	// ErrRegister means a collector could not be registered.
	ErrRegister = errors.New("metrics: register collector")
)

// Histogram buckets, in seconds.
var (
	// requestBuckets span a cached read (1ms) to a slow export (10s).
	requestBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	// matchBuckets start at a microsecond: matching a batch is pure CPU work.
	matchBuckets = prometheus.ExponentialBuckets(1e-6, 4, 10)
	// commitBuckets span 100µs (SQLite in memory) to about 2.4s (a stalled database).
	commitBuckets = prometheus.ExponentialBuckets(1e-4, 2.5, 12)
)

// Metrics is the set of the venue's collectors, registered on one registry.
type Metrics struct {
	reg      prometheus.Registerer
	gatherer prometheus.Gatherer

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec

	failedLogins    prometheus.Counter
	lockouts        prometheus.Counter
	rateLimited     *prometheus.CounterVec
	securityEvents  *prometheus.CounterVec
	rateLimitErrors prometheus.Counter

	orders         *prometheus.CounterVec
	trades         *prometheus.CounterVec
	matchLatency   prometheus.Histogram
	commitLatency  prometheus.Histogram
	commitFailures *prometheus.CounterVec

	auditWritten  prometheus.Counter
	auditFailures prometheus.Counter
	auditDropped  prometheus.Counter
}

// New creates the collectors and registers them, with the Go runtime and process
// collectors, on reg. reg must also be a prometheus.Gatherer (a *prometheus.Registry
// is both) because Handler serves what it gathers; when reg is nil a new registry is
// made. The app should give a dedicated registry, never the global default, so that
// nothing registered behind its back is exposed.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	g, ok := reg.(prometheus.Gatherer)
	if !ok {
		return nil, ErrNotGatherer
	}

	m := &Metrics{reg: reg, gatherer: g}
	m.newHTTP()
	m.newSecurity()
	m.newTrading()
	m.newAudit()

	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration,
		m.failedLogins, m.lockouts, m.rateLimited, m.securityEvents, m.rateLimitErrors,
		m.orders, m.trades, m.matchLatency, m.commitLatency, m.commitFailures,
		m.auditWritten, m.auditFailures, m.auditDropped,
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRegister, err)
		}
	}

	m.initSecurityEvents()
	return m, nil
}

// Gatherer returns what Handler serves, for tests and for embedding elsewhere.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.gatherer }

func (m *Metrics) newHTTP() {
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "Answered API requests by route pattern, method and status code.",
	}, []string{"route", "method", "status"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Latency of answered API requests by route pattern and method.",
		Buckets: requestBuckets,
	}, []string{"route", "method"})
}

func (m *Metrics) newSecurity() {
	m.failedLogins = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "failed_login_total",
		Help: "Failed login attempts (unknown user, wrong password, locked account).",
	})
	m.lockouts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "account_lockouts_total",
		Help: "Accounts locked after too many failed logins.",
	})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rate_limited_total",
		Help: "Requests refused by a rate limit rule.",
	}, []string{"rule"})
	m.securityEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "security_events_total",
		Help: "Recorded security events by type and severity.",
	}, []string{"type", "severity"})
	m.rateLimitErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ratelimit_backend_errors_total",
		Help: "Rate limiter backend failures, answered by the fail-open or fail-closed policy.",
	})
}

func (m *Metrics) newTrading() {
	m.orders = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orders_total",
		Help: "Orders accepted and committed, by symbol.",
	}, []string{"symbol"})
	m.trades = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trades_total",
		Help: "Trades committed, by symbol.",
	}, []string{"symbol"})
	m.matchLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "matching_latency_seconds",
		Help:    "Time the engine spent matching one sequencer batch.",
		Buckets: matchBuckets,
	})
	m.commitLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "commit_latency_seconds",
		Help:    "Time spent committing one sequencer batch, successful or not.",
		Buckets: commitBuckets,
	})
	m.commitFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "commit_failures_total",
		Help: "Sequencer batches whose commit failed, by symbol.",
	}, []string{"symbol"})
}

func (m *Metrics) newAudit() {
	m.auditWritten = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "audit_records_written_total",
		Help: "Audit records committed to the database.",
	})
	m.auditFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "audit_write_failures_total",
		Help: "Failed attempts to write a batch of audit records.",
	})
	m.auditDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "audit_records_dropped_total",
		Help: "Audit records given up on; any increase is a hole in the trail.",
	})
}

// initSecurityEvents exports every known event type at zero. increase() cannot see
// the first sample of a series, so without this the first privilege escalation
// after a restart would never reach the alert.
func (m *Metrics) initSecurityEvents() {
	for typ, sev := range security.Severities {
		m.securityEvents.WithLabelValues(typ, sev)
	}
}
