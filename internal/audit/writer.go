package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// Defaults for Options fields left zero.
const (
	DefaultQueueSize      = 65536
	DefaultBatchSize      = 500
	DefaultFlushInterval  = 100 * time.Millisecond
	DefaultEnqueueWait    = 100 * time.Millisecond
	DefaultMaxHeld        = 1_000_000
	DefaultRetryMin       = 100 * time.Millisecond
	DefaultRetryMax       = 5 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultStallAfter     = 2 * time.Second
	DefaultDigestInterval = time.Minute
	DefaultMaintainEvery  = time.Hour
)

// maxBatchesPerRound bounds how many full batches one flush writes before the
// loop looks at its timers and the stop signal again.
const maxBatchesPerRound = 16

var (
	// ErrClosed is returned by Close when called twice, and Enqueue refuses
	// records after Close.
	ErrClosed = errors.New("audit: writer closed")
	// ErrUnwritten means Close gave up, at its context's end, with records
	// still unwritten.
	ErrUnwritten = errors.New("audit: records left unwritten")
	// ErrDropped means EnqueueSync could not queue its record (full or closed).
	ErrDropped = errors.New("audit: record not queued")
)

// Metrics receives the writer's counters; *metrics.Metrics satisfies it.
type Metrics interface {
	AuditWritten(n int)
	AuditWriteFailed()
	AuditDropped(n int)
}

// Options configure a Writer. Hasher is required; the zero value of every other
// field is a good default, and digests are off while SigningKey is nil.
type Options struct {
	// QueueSize is how many records wait for the writer goroutine. Size it for
	// the peak request rate times the longest expected write (the default
	// absorbs 65536 requests, several seconds of a busy venue).
	QueueSize int
	// BatchSize is the most records one AppendAudit writes.
	BatchSize int
	// FlushInterval is the longest a record waits for a batch to fill.
	FlushInterval time.Duration
	// EnqueueWait is how long Enqueue blocks on a full queue before it drops.
	EnqueueWait time.Duration
	// MaxHeld is the count of unwritten records past which the writer reports
	// itself over its limit (Stats.OverLimit, a log line). It still keeps them:
	// an audit trail would rather use memory than lose records.
	MaxHeld int
	// RetryMin and RetryMax bound the backoff between failed writes.
	RetryMin time.Duration
	RetryMax time.Duration
	// WriteTimeout bounds one AppendAudit.
	WriteTimeout time.Duration
	// StallAfter is how long a write may be in progress before the writer stops
	// accepting state changes, so a database that hangs rather than fails is
	// caught before the first timeout.
	StallAfter time.Duration

	// SigningKey signs the digests; nil turns digests off.
	SigningKey     ed25519.PrivateKey
	DigestInterval time.Duration
	// DigestFile receives each digest as a JSON line; empty for none.
	DigestFile string
	// OnDigest, when set, is handed every digest (for SIEM forwarding). It runs
	// on the writer goroutine and must not block.
	OnDigest func(Digest)

	// Retention, when positive, prunes records chained longer ago than it.
	Retention time.Duration
	// MaintainEvery is how often retention and partition upkeep run.
	MaintainEvery time.Duration

	Hasher  *Hasher
	Metrics Metrics
	Clock   func() time.Time
	Logger  *slog.Logger
}

func (o *Options) defaults() {
	setDefault(&o.QueueSize, DefaultQueueSize)
	setDefault(&o.BatchSize, DefaultBatchSize)
	setDefault(&o.FlushInterval, DefaultFlushInterval)
	setDefault(&o.EnqueueWait, DefaultEnqueueWait)
	setDefault(&o.MaxHeld, DefaultMaxHeld)
	setDefault(&o.RetryMin, DefaultRetryMin)
	setDefault(&o.RetryMax, DefaultRetryMax)
	setDefault(&o.WriteTimeout, DefaultWriteTimeout)
	setDefault(&o.StallAfter, DefaultStallAfter)
	setDefault(&o.DigestInterval, DefaultDigestInterval)
	setDefault(&o.MaintainEvery, DefaultMaintainEvery)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Writer takes records from the request path through a bounded queue and
// writes them in batches from one goroutine, which is also the only place
// records are linked into the chain, so the chain is strictly sequential.
//
// It is lossless as long as the queue is sized for the load: a failed write
// keeps its records in memory and retries with backoff; while writes fail,
// AcceptingStateChanges is false so the API refuses state changes (fail
// closed) and only reads go on, their records held until the store is back;
// Close drains everything. Enqueue drops a record only when the queue stayed
// full for EnqueueWait, which a correctly sized queue does not, and counts it.
type Writer struct {
	st    store.AuditStore
	opts  Options
	log   *slog.Logger
	queue chan Record

	mu        sync.RWMutex // Enqueue holds it shared; Close exclusively
	closed    bool
	isClosed  atomic.Bool
	stop      chan struct{}
	closeCtx  context.Context
	done      chan struct{}
	maintDone chan struct{}
	cancel    context.CancelFunc

	healthy    atomic.Bool
	writeStart atomic.Int64 // unix nanoseconds of the write in progress; 0 when none
	held       atomic.Int64
	enqueued   atomic.Int64
	written    atomic.Int64
	dropped    atomic.Int64
	failures   atomic.Int64
	overLimit  atomic.Bool

	// waiters are the records whose requests wait for them to be written, by
	// request id; urgent asks the writer goroutine to flush at once.
	waitMu  sync.Mutex
	waiters map[string]chan struct{}
	urgent  chan struct{}

	// Owned by the writer goroutine.
	head     store.AuditHead // the newest linked record, written or not
	stored   store.AuditHead // the newest written record
	signed   int64           // the record id of the last digest
	pending  []Record        // linked, not yet written, in chain order
	backoff  time.Duration
	retryAt  time.Time
	closeErr error
}

// Stats is a snapshot of the writer's counters.
type Stats struct {
	Enqueued      int64 // records accepted by Enqueue
	Written       int64 // records committed to the store
	Dropped       int64 // records Enqueue gave up on
	WriteFailures int64 // failed AppendAudit calls
	Queued        int   // records in the queue
	Held          int64 // records linked but not yet written
	Healthy       bool  // the last write succeeded
	OverLimit     bool  // Held is above MaxHeld
}

// New starts a writer that continues the chain from the store's head. It fails
// when the head cannot be read: a venue that cannot audit does not start.
func New(ctx context.Context, st store.AuditStore, opts Options) (*Writer, error) {
	if opts.Hasher == nil {
		return nil, errors.New("new audit writer: a Hasher is required")
	}
	opts.defaults()
	head, err := st.LastAudit(ctx)
	if err != nil {
		return nil, fmt.Errorf("new audit writer: %w", err)
	}
	// Partitions before the first record: one written while the partition of
	// its day is being created from the default partition fails (PostgreSQL
	// rechecks the default's constraint), which would refuse state changes at
	// the very start of a venue on a fresh database.
	if p, ok := st.(store.AuditPartitioner); ok {
		if err := p.EnsureAuditPartitions(ctx, opts.Clock()); err != nil {
			opts.Logger.Error("audit partition upkeep failed", "error", err)
		}
	}
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &Writer{
		st: st, opts: opts, log: opts.Logger, queue: make(chan Record, opts.QueueSize),
		stop: make(chan struct{}), done: make(chan struct{}), maintDone: make(chan struct{}),
		cancel: cancel, head: head, stored: head,
		waiters: map[string]chan struct{}{}, urgent: make(chan struct{}, 1),
	}
	w.healthy.Store(true)
	go w.run()
	go w.maintain(mctx)
	return w, nil
}

// Observe records one answered request: FromRequest, then Enqueue. It is the
// function to hand the API as an observer.
func (w *Writer) Observe(req Request) bool {
	return w.Enqueue(FromRequest(req, w.opts.Hasher))
}

// ObserveSync records one answered request and waits until its record is written:
// a state change is answered only once its audit record is durable, so even a
// crash right after the answer loses no record of it.
func (w *Writer) ObserveSync(ctx context.Context, req Request) error {
	return w.EnqueueSync(ctx, FromRequest(req, w.opts.Hasher))
}

// EnqueueSync queues r, has the writer flush at once, and waits until r is
// written or ctx ends. r must carry a request id, which identifies it.
func (w *Writer) EnqueueSync(ctx context.Context, r Record) error {
	if r.RequestID == "" {
		return errors.New("audit: a record waited for needs a request id")
	}
	done := make(chan struct{})
	w.waitMu.Lock()
	w.waiters[r.RequestID] = done
	w.waitMu.Unlock()
	forget := func() {
		w.waitMu.Lock()
		delete(w.waiters, r.RequestID)
		w.waitMu.Unlock()
	}
	if !w.Enqueue(r) {
		forget()
		return ErrDropped
	}
	select {
	case w.urgent <- struct{}{}:
	default:
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		forget()
		return fmt.Errorf("audit record not yet written: %w", ctx.Err())
	}
}

// release wakes the requests waiting for records that were just written.
func (w *Writer) release(written []Record) {
	w.waitMu.Lock()
	defer w.waitMu.Unlock()
	if len(w.waiters) == 0 {
		return
	}
	for _, r := range written {
		if done, ok := w.waiters[r.RequestID]; ok {
			close(done)
			delete(w.waiters, r.RequestID)
		}
	}
}

// Enqueue queues r for writing; its chain fields are set by the writer. It
// blocks at most EnqueueWait on a full queue, then drops r, counts it and
// returns false. After Close it returns false.
func (w *Writer) Enqueue(r Record) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.drop()
		return false
	}
	select {
	case w.queue <- r:
		w.enqueued.Add(1)
		return true
	default:
	}

	t := time.NewTimer(w.opts.EnqueueWait)
	defer t.Stop()
	select {
	case w.queue <- r:
		w.enqueued.Add(1)
		return true
	case <-t.C:
		w.drop()
		return false
	}
}

// drop counts a record Enqueue gave up on. It logs the 1st, 2nd, 4th, 8th...
// drop, so a flood cannot flood the log as well.
func (w *Writer) drop() {
	n := w.dropped.Add(1)
	if w.opts.Metrics != nil {
		w.opts.Metrics.AuditDropped(1)
	}
	if n&(n-1) == 0 {
		w.log.Error("audit record dropped: queue full or writer closed", "dropped", n,
			"queue_size", w.opts.QueueSize)
	}
}

// Healthy reports whether the last write succeeded.
func (w *Writer) Healthy() bool { return w.healthy.Load() }

// AcceptingStateChanges reports whether a state-changing request may go ahead:
// the writer is open, its last write succeeded, no write has hung for longer
// than StallAfter, and the queue is under 90% full. When false the API answers
// 503 instead of doing a change it might not be able to record; reads go on.
func (w *Writer) AcceptingStateChanges() bool {
	if w.isClosed.Load() || !w.healthy.Load() {
		return false
	}
	if start := w.writeStart.Load(); start != 0 &&
		time.Since(time.Unix(0, start)) > w.opts.StallAfter {
		return false
	}
	return len(w.queue) < cap(w.queue)-cap(w.queue)/10
}

// Depth is how many records wait to be written: queued plus held.
func (w *Writer) Depth() int { return len(w.queue) + int(w.held.Load()) }

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	return Stats{
		Enqueued: w.enqueued.Load(), Written: w.written.Load(), Dropped: w.dropped.Load(),
		WriteFailures: w.failures.Load(), Queued: len(w.queue), Held: w.held.Load(),
		Healthy: w.healthy.Load(), OverLimit: w.overLimit.Load(),
	}
}

// Close stops taking records, writes every queued and held record, signs a
// last digest and returns. If ctx ends first while the store still fails, it
// returns ErrUnwritten with the count left.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	w.isClosed.Store(true)
	w.closeCtx = ctx
	w.mu.Unlock()

	close(w.stop)
	w.cancel()
	<-w.done
	<-w.maintDone
	return w.closeErr
}
