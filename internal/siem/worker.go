package siem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// dropLogInterval rate-limits the log line for drops that come in floods
// (queue or buffer full, events after Close); the counter is exact.
const dropLogInterval = time.Second

// worker delivers the events of one sink.
//
// Ordering: events move from the memory queue to the disk buffer only
// while the buffer is in use ("spilling"). While spilling, Forward writes
// every new event to disk, so whatever is still in memory is older than
// anything on disk; the worker empties memory first, then the disk, and
// stops spilling only once the disk holds nothing undelivered.
type worker struct {
	cfg  *Config
	sink Sink
	name string
	log  *slog.Logger
	m    sinkMetrics

	queue    chan Event
	wake     chan struct{} // an event went to disk
	draining chan struct{} // closed by Forwarder.Close
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}

	mu       sync.Mutex // guards buf
	buf      *diskBuffer
	spilling atomic.Bool

	// Owned by the run goroutine.
	pending []Event
	token   *readToken // where pending came from on disk, if it did
	failing bool

	lost        atomic.Int64 // dropped at close
	lastDropLog atomic.Int64
}

func newWorker(cfg *Config, s Sink, m *metrics) (*worker, error) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{
		cfg:      cfg,
		sink:     s,
		name:     s.Name(),
		log:      cfg.Logger.With("sink", s.Name()),
		m:        m.forSink(s.Name()),
		queue:    make(chan Event, cfg.QueueSize),
		wake:     make(chan struct{}, 1),
		draining: make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
	}
	if cfg.BufferDir == "" {
		return w, nil
	}

	buf, err := openDiskBuffer(bufferDir(cfg.BufferDir, w.name), cfg.BufferMaxBytes)
	if err != nil {
		cancel()
		return nil, err
	}
	w.buf = buf
	w.m.bufferBytes.Set(float64(buf.bytes()))
	if !buf.empty() {
		w.spilling.Store(true)
		w.log.Info("siem buffer found, replaying", "bytes", buf.bytes())
	}
	return w, nil
}

// enqueue hands ev to the worker without waiting.
func (w *worker) enqueue(ev Event) {
	if !w.spilling.Load() {
		select {
		case w.queue <- ev:
			return
		default:
		}
	}
	if w.buf == nil {
		w.drop(1, ReasonQueueFull, nil)
		return
	}

	line, err := json.Marshal(ev)
	if err != nil {
		w.drop(1, ReasonIO, err)
		return
	}
	line = append(line, '\n')

	w.mu.Lock()
	w.spilling.Store(true)
	err = w.buf.append(line)
	size := w.buf.bytes()
	w.mu.Unlock()

	w.m.bufferBytes.Set(float64(size))
	switch {
	case errors.Is(err, ErrBufferFull):
		w.drop(1, ReasonBufferFull, err)
	case err != nil:
		w.drop(1, ReasonIO, err)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run delivers until Close: batches are retried with backoff until they
// are delivered or refused for good.
func (w *worker) run() {
	defer close(w.done)

	attempt := 0
	for {
		if len(w.pending) == 0 {
			ok, err := w.fill()
			if err != nil {
				w.log.Error("siem buffer read failed", "error", err)
				attempt++
				if w.cfg.Sleep(w.ctx, w.cfg.Backoff.Delay(attempt)) != nil {
					break
				}
				continue
			}
			if !ok {
				break
			}
		}

		if err := w.send(); err != nil {
			attempt++
			if w.cfg.Sleep(w.ctx, w.cfg.Backoff.Delay(attempt)) != nil {
				break
			}
			continue
		}
		attempt = 0
	}
	w.persist()
}

// fill loads the next batch into pending: memory first, then disk. It
// waits for events, and returns false once Close asked to drain and
// nothing is left, or when the worker is cancelled.
func (w *worker) fill() (bool, error) {
	draining := false
	for {
		if w.takeQueue() {
			return true, nil
		}
		ok, err := w.takeDisk()
		if ok || err != nil {
			return ok, err
		}
		if draining {
			return false, nil
		}

		select {
		case ev := <-w.queue:
			w.pending = append(w.pending, ev)
			w.takeQueue()
			return true, nil
		case <-w.wake:
		case <-w.draining:
			draining = true
		case <-w.ctx.Done():
			return false, nil
		}
	}
}

// takeQueue moves queued events into pending, up to a batch.
func (w *worker) takeQueue() bool {
	for len(w.pending) < w.cfg.BatchSize {
		select {
		case ev := <-w.queue:
			w.pending = append(w.pending, ev)
		default:
			return len(w.pending) > 0
		}
	}
	return true
}

// takeDisk reads the next batch from the disk buffer into pending.
func (w *worker) takeDisk() (bool, error) {
	if w.buf == nil {
		return false, nil
	}

	w.mu.Lock()
	evs, tok, corrupt, err := w.buf.read(w.cfg.BatchSize)
	if len(evs) == 0 && err == nil && w.buf.empty() {
		w.spilling.Store(false)
	}
	size := w.buf.bytes()
	w.mu.Unlock()

	w.m.bufferBytes.Set(float64(size))
	if corrupt > 0 {
		w.drop(corrupt, ReasonCorrupt, nil)
	}
	if err != nil || len(evs) == 0 {
		return false, err
	}
	w.pending, w.token = evs, &tok
	return true, nil
}

// send makes one delivery attempt of pending.
func (w *worker) send() error {
	ctx, cancel := context.WithTimeout(w.ctx, w.cfg.SendTimeout)
	err := w.sink.Send(ctx, w.pending)
	cancel()

	n := len(w.pending)
	if err == nil {
		w.delivered(n)
		w.resolve()
		return nil
	}
	w.m.failures.Inc()

	var se *SendError
	if errors.As(err, &se) {
		w.delivered(max(n-len(se.Retry)-se.Rejected, 0))
		if se.Rejected > 0 {
			w.drop(se.Rejected, ReasonRejected, err)
		}
		if len(se.Retry) == 0 {
			w.resolve()
			return nil
		}
		w.pending = se.Retry
	}

	if w.ctx.Err() == nil {
		w.log.Warn("siem send failed", "events", len(w.pending), "error", err)
	}
	w.failing = true
	return err
}

func (w *worker) delivered(n int) {
	if n == 0 {
		return
	}
	w.m.forwarded.Add(float64(n))
	if w.failing {
		w.failing = false
		w.log.Info("siem sink recovered")
	}
}

// resolve forgets the pending batch, marking it delivered on disk when it
// came from there.
func (w *worker) resolve() {
	w.pending = nil
	if w.token == nil {
		return
	}
	tok := *w.token
	w.token = nil

	w.mu.Lock()
	err := w.buf.commit(tok)
	size := w.buf.bytes()
	w.mu.Unlock()

	w.m.bufferBytes.Set(float64(size))
	if err != nil {
		// The events were delivered; a stale position only means they may
		// be sent again after a restart.
		w.log.Error("siem buffer commit failed", "error", err)
	}
}

// persist runs when delivery stops: events still in memory go in front of
// the disk buffer so the next start sends them first.
func (w *worker) persist() {
	var mem []Event
	if w.token == nil {
		mem = append(mem, w.pending...)
	}
	mem = w.drainQueue(mem)
	w.pending, w.token = nil, nil

	if w.buf == nil {
		w.loseAtClose(len(mem), nil)
		return
	}
	defer func() {
		w.mu.Lock()
		w.buf.close()
		w.mu.Unlock()
	}()
	if len(mem) == 0 {
		return
	}

	lines := make([][]byte, 0, len(mem))
	for _, ev := range mem {
		line, err := json.Marshal(ev)
		if err != nil {
			w.loseAtClose(1, err)
			continue
		}
		lines = append(lines, append(line, '\n'))
	}

	w.mu.Lock()
	dropped, err := w.buf.prepend(lines)
	size := w.buf.bytes()
	w.mu.Unlock()

	w.m.bufferBytes.Set(float64(size))
	if err != nil {
		w.loseAtClose(len(lines), err)
		return
	}
	if dropped > 0 {
		w.lost.Add(int64(dropped))
		w.drop(dropped, ReasonBufferFull, ErrBufferFull)
	}
	w.log.Info("siem events kept on disk for the next start", "events", len(lines)-dropped)
}

// drainQueue appends whatever is queued to into.
func (w *worker) drainQueue(into []Event) []Event {
	for {
		select {
		case ev := <-w.queue:
			into = append(into, ev)
		default:
			return into
		}
	}
}

func (w *worker) loseAtClose(n int, err error) {
	if n == 0 {
		return
	}
	w.lost.Add(int64(n))
	w.drop(n, ReasonShutdown, err)
}

// drop counts events given up on and logs it; floods of the same kind are
// logged at most once per dropLogInterval.
func (w *worker) drop(n int, reason string, err error) {
	w.m.dropped.WithLabelValues(reason).Add(float64(n))

	if reason != ReasonRejected && reason != ReasonShutdown {
		now := w.cfg.Now().UnixNano()
		last := w.lastDropLog.Load()
		if now-last < int64(dropLogInterval) || !w.lastDropLog.CompareAndSwap(last, now) {
			return
		}
	}
	attrs := []any{"reason", reason, "events", n}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	w.log.Warn("siem events dropped", attrs...)
}
