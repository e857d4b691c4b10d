package audit_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store"
)

// benchWriter pushes b.N request records through a writer on st and closes it,
// so the time covers every record committed, and reports records per second.
func benchWriter(b *testing.B, st store.AuditStore) {
	// The loop below floods the writer far beyond any request rate, so Enqueue
	// must wait for room rather than drop.
	opts := audit.Options{Hasher: newHasher(b), EnqueueWait: time.Minute}
	w := newWriter(b, st, opts)
	reqs := make([]audit.Request, 1000)
	for i := range reqs {
		reqs[i] = request(i)
	}

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if !w.Observe(reqs[i%len(reqs)]) {
			b.Fatal("record dropped")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

func BenchmarkWriterSQLite(b *testing.B) {
	benchWriter(b, newSQLiteDB(b).open(b))
}

func BenchmarkWriterPostgres(b *testing.B) {
	url := os.Getenv("OCTOPUS_TEST_DATABASE_URL")
	if url == "" {
		b.Skip("OCTOPUS_TEST_DATABASE_URL not set")
	}
	benchWriter(b, newPostgresDB(b, url).open(b))
}

// discardStore accepts every batch at once, so the database never limits a
// benchmark of the request path.
type discardStore struct{ store.AuditStore }

func (discardStore) AppendAudit(context.Context, []store.AuditRecord) error { return nil }

func (discardStore) LastAudit(context.Context) (store.AuditHead, error) {
	return store.AuditHead{Hash: audit.Genesis()}, nil
}

// BenchmarkObserve is what the audit trail adds to one request: building the
// record and queueing it, from many request goroutines at once. The store
// takes batches instantly, so the figure is the CPU cost, linking and hashing
// on the writer goroutine included, not the database's.
func BenchmarkObserve(b *testing.B) {
	w := newWriter(b, discardStore{}, audit.Options{Hasher: newHasher(b)})
	defer closeWriter(b, w)
	req := request(1) // a state change with an API key: the most work

	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Observe(req)
		}
	})
}

func BenchmarkHashRecord(b *testing.B) {
	r := sampleRecord()
	b.ReportAllocs()
	for b.Loop() {
		audit.HashRecord(&r)
	}
}
