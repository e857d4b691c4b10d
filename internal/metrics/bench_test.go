package metrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/octopus-venue/octopus/internal/metrics"
)

// BenchmarkObserveRequest measures what metrics add to each answered request.
func BenchmarkObserveRequest(b *testing.B) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest("GET /api/v1/orders/{id}", "GET", 200, 3*time.Millisecond)
		}
	})
}

// BenchmarkBatch measures the OnBatch hook of a sequencer.
func BenchmarkBatch(b *testing.B) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Batch("BTC-USD", 64, 20, 40*time.Microsecond, 2*time.Millisecond, nil)
	}
}
