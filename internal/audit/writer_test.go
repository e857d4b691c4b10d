package audit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store"
)

func TestWriterChainVerifies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db auditDB) {
		st, s := db.open(t), newSigner(t)
		w := newWriter(t, st, s.options(t))
		observe(t, w, 0, 1234)
		closeWriter(t, w)

		rep := mustVerify(t, st, s)
		if rep.Records != 1234 || rep.FirstID != 1 || rep.LastID != 1234 || !rep.Anchored {
			t.Fatalf("report = %+v, want records 1 to 1234 anchored at genesis", rep)
		}
		if rep.DigestsChecked != 1 || rep.LastSignedID != 1234 {
			t.Fatalf("digests checked %d up to %d, want the closing digest of 1234",
				rep.DigestsChecked, rep.LastSignedID)
		}

		stats := w.Stats()
		if stats.Enqueued != 1234 || stats.Written != 1234 || stats.Dropped != 0 || stats.Held != 0 {
			t.Fatalf("stats = %+v", stats)
		}
	})
}

func TestWriterKeepsRequestOrderAndFields(t *testing.T) {
	st, s := newSQLiteDB(t).open(t), newSigner(t)
	w := newWriter(t, st, s.options(t))
	observe(t, w, 0, 10)
	closeWriter(t, w)

	got := scanAll(t, st)
	h := newHasher(t)
	for i, r := range got {
		want := audit.FromRequest(request(i), h)
		if r.RequestID != want.RequestID || r.Path != want.Path || r.Status != want.Status ||
			r.APIKeyID != want.APIKeyID || r.Summary != want.Summary || !r.Time.Equal(want.Time) {
			t.Fatalf("record %d = %+v, want %+v", r.ID, r, want)
		}
	}
}

func TestWriterRestartContinuesChain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db auditDB) {
		s := newSigner(t)
		first := db.open(t)
		w := newWriter(t, first, s.options(t))
		observe(t, w, 0, 300)
		closeWriter(t, w)
		first.Close()

		second := db.open(t)
		w = newWriter(t, second, s.options(t))
		observe(t, w, 300, 200)
		closeWriter(t, w)

		rep := mustVerify(t, second, s)
		if rep.Records != 500 || rep.LastID != 500 || rep.DigestsChecked != 2 {
			t.Fatalf("report = %+v, want 500 records and 2 digests", rep)
		}
	})
}

// TestWriterConcurrentEnqueueLosesNothing drives many goroutines through a
// small queue, so Enqueue blocks on a full queue often, and checks that every
// record was written.
func TestWriterConcurrentEnqueueLosesNothing(t *testing.T) {
	const goroutines, each = 64, 300
	forEachBackend(t, func(t *testing.T, db auditDB) {
		st, s := db.open(t), newSigner(t)
		opts := s.options(t)
		opts.QueueSize = 256
		opts.EnqueueWait = 5 * time.Second
		w := newWriter(t, st, opts)

		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					if !w.Observe(request(g*each + i)) {
						t.Errorf("goroutine %d: record %d dropped", g, i)
						return
					}
				}
			})
		}
		wg.Wait()
		closeWriter(t, w)

		stats := w.Stats()
		const total = goroutines * each
		if stats.Enqueued != total || stats.Written != total || stats.Dropped != 0 {
			t.Fatalf("stats = %+v, want %d enqueued and written, none dropped", stats, total)
		}
		if n := len(scanAll(t, st)); n != total {
			t.Fatalf("stored %d records, want %d", n, total)
		}
		mustVerify(t, st, s)
	})
}

// TestWritersShareOneChain runs two writers, as two processes would, on one
// database: each notices the other moved the head and relinks after it.
func TestWritersShareOneChain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db auditDB) {
		s := newSigner(t)
		a, b := db.open(t), db.open(t)
		optsA, optsB := s.options(t), s.options(t)
		optsA.SigningKey, optsB.SigningKey = nil, nil
		wa, wb := newWriter(t, a, optsA), newWriter(t, b, optsB)

		var wg sync.WaitGroup
		wg.Go(func() { observe(t, wa, 0, 2000) })
		wg.Go(func() { observe(t, wb, 2000, 2000) })
		wg.Wait()
		closeWriter(t, wa)
		closeWriter(t, wb)

		rep, err := audit.Verify(context.Background(), a, nil, "")
		if err != nil || rep.Records != 4000 {
			t.Fatalf("verify = %v, %d records; want 4000 in one chain", err, rep.Records)
		}
	})
}

func TestWriterOutageHoldsRecordsAndFailsClosed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db auditDB) {
		s := newSigner(t)
		sw := &swappable{st: db.open(t)}
		w := newWriter(t, sw, s.options(t))

		observe(t, w, 0, 100)
		waitFor(t, "first records written", func() bool { return w.Stats().Written == 100 })
		if !w.Healthy() || !w.AcceptingStateChanges() {
			t.Fatal("writer not healthy before the outage")
		}

		sw.outage(t)
		observe(t, w, 100, 250)
		waitFor(t, "the writer to notice the outage", func() bool { return !w.Healthy() })
		if w.AcceptingStateChanges() {
			t.Fatal("state changes accepted while the store is down")
		}
		waitFor(t, "retries", func() bool { return w.Stats().WriteFailures >= 3 })
		if stats := w.Stats(); stats.Written != 100 || stats.Held != 250 {
			t.Fatalf("during outage stats = %+v, want 100 written and 250 held", stats)
		}

		sw.recover(db.open(t))
		waitFor(t, "held records written", func() bool { return w.Stats().Written == 350 })
		if !w.Healthy() || !w.AcceptingStateChanges() {
			t.Fatal("writer not healthy after recovery")
		}
		observe(t, w, 350, 50)
		closeWriter(t, w)

		rep := mustVerify(t, sw, s)
		if rep.Records != 400 {
			t.Fatalf("verified %d records, want 400", rep.Records)
		}
	})
}

func TestWriterCloseGivesUpAtDeadline(t *testing.T) {
	s := newSigner(t)
	sw := &swappable{st: newSQLiteDB(t).open(t)}
	w := newWriter(t, sw, s.options(t))
	sw.outage(t)
	observe(t, w, 0, 10)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := w.Close(ctx)
	if !errors.Is(err, audit.ErrUnwritten) {
		t.Fatalf("close = %v, want ErrUnwritten", err)
	}
	if err := w.Close(context.Background()); !errors.Is(err, audit.ErrClosed) {
		t.Fatalf("second close = %v, want ErrClosed", err)
	}
}

func TestWriterRefusesAfterClose(t *testing.T) {
	st, s := newSQLiteDB(t).open(t), newSigner(t)
	w := newWriter(t, st, s.options(t))
	closeWriter(t, w)

	if w.Observe(request(1)) {
		t.Fatal("record accepted after close")
	}
	if w.AcceptingStateChanges() {
		t.Fatal("closed writer accepts state changes")
	}
	if stats := w.Stats(); stats.Dropped != 1 {
		t.Fatalf("dropped = %d, want 1", stats.Dropped)
	}
}

func TestWriterReportsOverLimitButKeeps(t *testing.T) {
	s, db := newSigner(t), newSQLiteDB(t)
	sw := &swappable{st: db.open(t)}
	opts := s.options(t)
	opts.MaxHeld = 20
	w := newWriter(t, sw, opts)

	sw.outage(t)
	observe(t, w, 0, 50)
	waitFor(t, "all records held", func() bool { return w.Stats().Held == 50 })
	if !w.Stats().OverLimit {
		t.Fatal("50 held records with MaxHeld 20 not reported over the limit")
	}

	sw.recover(db.open(t))
	waitFor(t, "held records written", func() bool { return w.Stats().Written == 50 })
	if w.Stats().OverLimit {
		t.Fatal("still over the limit after writing everything")
	}
	closeWriter(t, w)
}

func TestWriterNeedsHasher(t *testing.T) {
	st := newSQLiteDB(t).open(t)
	if _, err := audit.New(context.Background(), st, audit.Options{}); err == nil {
		t.Fatal("writer started without a hasher")
	}
}

// metricsSpy counts what the writer reports.
type metricsSpy struct {
	mu                       sync.Mutex
	written, failed, dropped int
}

func (m *metricsSpy) AuditWritten(n int) { m.mu.Lock(); m.written += n; m.mu.Unlock() }
func (m *metricsSpy) AuditWriteFailed()  { m.mu.Lock(); m.failed++; m.mu.Unlock() }
func (m *metricsSpy) AuditDropped(n int) { m.mu.Lock(); m.dropped += n; m.mu.Unlock() }

func TestWriterReportsMetrics(t *testing.T) {
	s, db := newSigner(t), newSQLiteDB(t)
	sw := &swappable{st: db.open(t)}
	spy := &metricsSpy{}
	opts := s.options(t)
	opts.Metrics = spy
	w := newWriter(t, sw, opts)

	observe(t, w, 0, 30)
	waitFor(t, "written", func() bool { return w.Stats().Written == 30 })
	sw.outage(t)
	observe(t, w, 30, 5)
	waitFor(t, "a failure", func() bool { return w.Stats().WriteFailures > 0 })
	if d := w.Depth(); d != 5 {
		t.Fatalf("depth = %d, want 5", d)
	}
	sw.recover(db.open(t))
	closeWriter(t, w)
	w.Observe(request(99))

	spy.mu.Lock()
	defer spy.mu.Unlock()
	if spy.written != 35 || spy.failed == 0 || spy.dropped != 1 {
		t.Fatalf("metrics written %d, failed %d, dropped %d; want 35, >0, 1",
			spy.written, spy.failed, spy.dropped)
	}
}

var _ audit.Metrics = (*metricsSpy)(nil)
var _ store.AuditStore = (*swappable)(nil)

// TestEnqueueSyncWaitsForTheWrite: a record waited for is in the store when
// EnqueueSync returns, long before the flush interval.
func TestEnqueueSyncWaitsForTheWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db auditDB) {
		st, s := db.open(t), newSigner(t)
		opts := s.options(t)
		opts.FlushInterval = time.Hour
		w := newWriter(t, st, opts)
		defer closeWriter(t, w)
		for i := range 20 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := w.ObserveSync(ctx, request(i))
			cancel()
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			head, err := st.LastAudit(context.Background())
			if err != nil || head.ID != int64(i+1) {
				t.Fatalf("record %d not written when ObserveSync returned: head %d, %v", i, head.ID, err)
			}
		}
	})
}
