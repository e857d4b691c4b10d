package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// run is the writer goroutine: it links records as they arrive and writes them
// in batches, when a batch is full or at every flush tick.
func (w *Writer) run() {
	defer close(w.done)
	flush := time.NewTicker(w.opts.FlushInterval)
	defer flush.Stop()
	var digests <-chan time.Time
	if w.opts.SigningKey != nil {
		t := time.NewTicker(w.opts.DigestInterval)
		defer t.Stop()
		digests = t.C
	}

	for {
		select {
		case r := <-w.queue:
			w.add(r)
			w.takeQueued(w.opts.BatchSize)
			w.flush(context.Background(), false)
		case <-flush.C:
			w.flush(context.Background(), true)
		case <-w.urgent:
			w.takeQueued(len(w.queue))
			w.flush(context.Background(), true)
		case <-digests:
			w.digest()
		case <-w.stop:
			w.shutdown()
			return
		}
	}
}

// add links r into the chain and holds it until written.
func (w *Writer) add(r Record) {
	w.link(&r)
	w.pending = append(w.pending, r)
	if held := w.held.Add(1); held > int64(w.opts.MaxHeld) && !w.overLimit.Load() {
		w.overLimit.Store(true)
		w.log.Error("audit records held in memory exceed the limit; keeping them",
			"held", held, "max_held", w.opts.MaxHeld)
	}
}

// link sets r's chain fields after the current head and makes r the head.
// ChainedAt never goes below the head's, even if the clock steps back.
func (w *Writer) link(r *Record) {
	at := w.opts.Clock().UTC().Truncate(time.Microsecond)
	if at.Before(w.head.ChainedAt) {
		at = w.head.ChainedAt
	}
	r.ID, r.ChainedAt, r.PrevHash = w.head.ID+1, at, w.head.Hash
	r.Hash = HashRecord(r)
	w.head = store.AuditHead{ID: r.ID, Hash: r.Hash, ChainedAt: at}
}

// takeQueued links up to n records already in the queue, without waiting.
func (w *Writer) takeQueued(n int) {
	for range n {
		select {
		case r := <-w.queue:
			w.add(r)
		default:
			return
		}
	}
}

// flush writes full batches, up to maxBatchesPerRound of them, and with all
// also the partial batch left. While a failed write waits for its retry time
// it writes nothing.
func (w *Writer) flush(ctx context.Context, all bool) {
	for range maxBatchesPerRound {
		if len(w.pending) < w.opts.BatchSize || !w.writeBatch(ctx) {
			break
		}
		w.takeQueued(w.opts.BatchSize)
	}
	if all && len(w.pending) > 0 && len(w.pending) < w.opts.BatchSize {
		w.writeBatch(ctx)
	}
}

// writeBatch writes the oldest pending batch and reports whether it was
// written.
func (w *Writer) writeBatch(ctx context.Context) bool {
	if time.Now().Before(w.retryAt) {
		return false
	}
	batch := w.pending[:min(w.opts.BatchSize, len(w.pending))]
	err := w.append(ctx, batch)
	if errors.Is(err, store.ErrAuditHead) {
		var committed bool
		committed, err = w.resync(ctx, batch)
		if err == nil && !committed {
			return true // relinked; the next round writes it
		}
	}
	if err != nil {
		w.failed(err)
		return false
	}
	w.wrote(len(batch))
	return true
}

func (w *Writer) append(ctx context.Context, batch []Record) error {
	ctx, cancel := context.WithTimeout(ctx, w.opts.WriteTimeout)
	defer cancel()
	w.writeStart.Store(time.Now().UnixNano())
	defer w.writeStart.Store(0)
	return w.st.AppendAudit(ctx, batch)
}

// resync handles a batch the store says does not continue its head. Either the
// batch was committed by an earlier call that only looked failed, or another
// writer appended first; then every pending record is linked again after the
// store's head.
func (w *Writer) resync(ctx context.Context, batch []Record) (committed bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, w.opts.WriteTimeout)
	defer cancel()
	stored, err := w.st.ScanAudit(ctx, batch[0].ID-1, 1)
	if err != nil {
		return false, fmt.Errorf("resync audit chain: %w", err)
	}
	if len(stored) == 1 && stored[0].ID == batch[0].ID &&
		bytes.Equal(stored[0].Hash, batch[0].Hash) {
		return true, nil
	}
	head, err := w.st.LastAudit(ctx)
	if err != nil {
		return false, fmt.Errorf("resync audit chain: %w", err)
	}
	w.log.Warn("audit chain head moved; relinking pending records",
		"head_id", head.ID, "pending", len(w.pending))
	w.head = head
	for i := range w.pending {
		w.link(&w.pending[i])
	}
	return false, nil
}

// wrote drops the n oldest pending records after they were written.
func (w *Writer) wrote(n int) {
	w.release(w.pending[:n])
	last := w.pending[n-1]
	w.stored = store.AuditHead{ID: last.ID, Hash: last.Hash, ChainedAt: last.ChainedAt}
	rest := w.pending[n:]
	if len(rest) <= w.opts.BatchSize {
		// Reuse the array: copying a short tail is cheaper than regrowing.
		w.pending = w.pending[:copy(w.pending, rest)]
	} else {
		w.pending = rest
	}
	if w.held.Add(int64(-n)) <= int64(w.opts.MaxHeld) {
		w.overLimit.Store(false)
	}
	w.written.Add(int64(n))
	if w.opts.Metrics != nil {
		w.opts.Metrics.AuditWritten(n)
	}
	if !w.healthy.Swap(true) {
		w.log.Info("audit store recovered", "held", w.held.Load())
	}
	w.backoff, w.retryAt = 0, time.Time{}
}

// failed records a failed write and schedules the retry.
func (w *Writer) failed(err error) {
	w.failures.Add(1)
	if w.opts.Metrics != nil {
		w.opts.Metrics.AuditWriteFailed()
	}
	if w.healthy.Swap(false) {
		w.log.Error("audit write failed; refusing state changes until it succeeds",
			"error", err, "held", w.held.Load())
	} else {
		w.log.Debug("audit write failed again", "error", err, "held", w.held.Load())
	}
	w.backoff = min(max(2*w.backoff, w.opts.RetryMin), w.opts.RetryMax)
	w.retryAt = time.Now().Add(w.backoff)
}

// shutdown drains the queue and writes everything, retrying failed writes
// until the Close context ends, then signs a last digest.
func (w *Writer) shutdown() {
	ctx := w.closeCtx
	for {
		w.takeQueued(len(w.queue))
		w.flush(ctx, true)
		if len(w.pending) == 0 && len(w.queue) == 0 {
			break
		}
		if wait := time.Until(w.retryAt); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			w.closeErr = fmt.Errorf("close audit writer: %d records: %w",
				len(w.pending)+len(w.queue), ErrUnwritten)
			w.log.Error("audit writer closed with records unwritten",
				"unwritten", len(w.pending)+len(w.queue))
			break
		}
	}
	w.digest()
}

// digest signs the newest written record unless it is already signed.
func (w *Writer) digest() {
	key := w.opts.SigningKey
	if key == nil || w.stored.ID == 0 || w.stored.ID == w.signed {
		return
	}
	d := SignDigest(key, w.stored.ID, w.stored.Hash, w.opts.Clock())
	if w.opts.DigestFile != "" {
		if err := appendDigest(w.opts.DigestFile, d); err != nil {
			w.log.Error("audit digest not written; retrying at the next interval", "error", err)
			return
		}
	}
	w.signed = d.ID
	if w.opts.OnDigest != nil {
		w.opts.OnDigest(d)
	}
}

// maintain runs partition upkeep and retention at start and then every
// MaintainEvery, off the writer goroutine.
func (w *Writer) maintain(ctx context.Context) {
	defer close(w.maintDone)
	t := time.NewTicker(w.opts.MaintainEvery)
	defer t.Stop()
	for {
		w.maintainOnce(ctx)
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

func (w *Writer) maintainOnce(ctx context.Context) {
	now := w.opts.Clock()
	if p, ok := w.st.(store.AuditPartitioner); ok {
		if err := p.EnsureAuditPartitions(ctx, now); err != nil && ctx.Err() == nil {
			w.log.Error("audit partition upkeep failed", "error", err)
		}
	}
	if w.opts.Retention <= 0 {
		return
	}
	n, err := Prune(ctx, w.st, now.Add(-w.opts.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		w.log.Error("audit retention failed", "error", err)
	case n > 0:
		w.log.Info("audit retention pruned records", "pruned", n)
	}
}

// Prune deletes the records chained before olderThan. What is left still
// verifies: the oldest kept record's PrevHash becomes the trusted anchor (see
// the package documentation).
func Prune(ctx context.Context, st store.AuditStore, olderThan time.Time) (int64, error) {
	n, err := st.PruneAudit(ctx, olderThan)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	return n, nil
}
