package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterAuditQueue exports depth, the number of audit records waiting for the
// writer, as the gauge audit_queue_depth. depth is called at every scrape, so it
// must be cheap and safe for concurrent use. It may be registered once.
func (m *Metrics) RegisterAuditQueue(depth func() float64) error {
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "audit_queue_depth",
		Help: "Audit records queued and not yet written.",
	}, depth)
	if err := m.reg.Register(g); err != nil {
		return fmt.Errorf("%w: %w", ErrRegister, err)
	}
	return nil
}

// AuditWritten counts n audit records committed to the database.
func (m *Metrics) AuditWritten(n int) {
	if n > 0 {
		m.auditWritten.Add(float64(n))
	}
}

// AuditWriteFailed counts a failed attempt to write a batch of audit records.
func (m *Metrics) AuditWriteFailed() { m.auditFailures.Inc() }

// AuditDropped counts n audit records given up on.
func (m *Metrics) AuditDropped(n int) {
	if n > 0 {
		m.auditDropped.Add(float64(n))
	}
}
