package siem

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons for siem_events_dropped_total.
const (
	ReasonQueueFull  = "queue_full"  // memory queue full and no disk buffer
	ReasonBufferFull = "buffer_full" // disk buffer at BufferMaxBytes
	ReasonRejected   = "rejected"    // refused for good by the receiver
	ReasonShutdown   = "shutdown"    // neither delivered nor stored at Close
	ReasonClosed     = "closed"      // Forward called after Close
	ReasonCorrupt    = "corrupt"     // unreadable line in the disk buffer
	ReasonIO         = "io_error"    // the disk buffer could not be written
)

// metrics holds the collectors shared by every sink of a Forwarder.
type metrics struct {
	forwarded   *prometheus.CounterVec
	dropped     *prometheus.CounterVec
	bufferBytes *prometheus.GaugeVec
	failures    *prometheus.CounterVec
}

// newMetrics registers the collectors on reg (skipped when nil). A
// collector already registered by an earlier Forwarder is reused, so a
// restart within one process keeps counting in the same series.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siem_events_forwarded_total",
			Help: "Events delivered to a SIEM sink.",
		}, []string{"sink"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siem_events_dropped_total",
			Help: "Events given up on, by sink and reason.",
		}, []string{"sink", "reason"}),
		bufferBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "siem_buffer_bytes",
			Help: "Bytes held in the on-disk buffer of a SIEM sink.",
		}, []string{"sink"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siem_send_failures_total",
			Help: "Failed delivery attempts to a SIEM sink.",
		}, []string{"sink"}),
	}
	if reg == nil {
		return m, nil
	}

	var err error
	m.forwarded, err = register(reg, m.forwarded)
	if err != nil {
		return nil, err
	}
	m.dropped, err = register(reg, m.dropped)
	if err != nil {
		return nil, err
	}
	m.bufferBytes, err = register(reg, m.bufferBytes)
	if err != nil {
		return nil, err
	}
	m.failures, err = register(reg, m.failures)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register siem metrics: %w", err)
}

// sinkMetrics are the collectors bound to one sink's label.
type sinkMetrics struct {
	forwarded   prometheus.Counter
	failures    prometheus.Counter
	bufferBytes prometheus.Gauge
	dropped     *prometheus.CounterVec
}

func (m *metrics) forSink(name string) sinkMetrics {
	return sinkMetrics{
		forwarded:   m.forwarded.WithLabelValues(name),
		failures:    m.failures.WithLabelValues(name),
		bufferBytes: m.bufferBytes.WithLabelValues(name),
		dropped:     m.dropped.MustCurryWith(prometheus.Labels{"sink": name}),
	}
}
