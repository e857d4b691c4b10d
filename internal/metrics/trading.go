package metrics

import "time"

// Batch observes one commit attempt of a sequencer; its signature is
// trading.Hooks.OnBatch. Orders and trades are counted only when the commit
// succeeded, since a failed batch is answered with an error and leaves no trace.
func (m *Metrics) Batch(symbol string, orders, trades int, match, commit time.Duration, err error) {
	m.matchLatency.Observe(match.Seconds())
	m.commitLatency.Observe(commit.Seconds())

	// Touching every series of the symbol exports it at zero, so that increase()
	// sees the first failure after a restart.
	failures := m.commitFailures.WithLabelValues(symbol)
	o, t := m.orders.WithLabelValues(symbol), m.trades.WithLabelValues(symbol)
	if err != nil {
		failures.Inc()
		return
	}
	o.Add(float64(orders))
	t.Add(float64(trades))
}
