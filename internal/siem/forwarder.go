package siem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Forwarder defaults.
const (
	DefaultQueueSize      = 1024
	DefaultBatchSize      = 100
	DefaultBufferMaxBytes = 64 << 20
	DefaultSendTimeout    = 10 * time.Second
)

// Config tunes a Forwarder. Zero values take the defaults above.
type Config struct {
	// QueueSize is the number of events held in memory per sink.
	QueueSize int
	// BatchSize is the largest number of events passed to one Send.
	BatchSize int
	// BufferDir holds one subdirectory of buffer segments per sink. When
	// empty, events that do not fit the memory queue are dropped and
	// whatever is undelivered at Close is lost.
	BufferDir string
	// BufferMaxBytes bounds the on-disk buffer of each sink.
	BufferMaxBytes int64
	// SendTimeout bounds one Send call.
	SendTimeout time.Duration
	// Backoff spaces the retries after a failed Send.
	Backoff Backoff
	// Sleep waits between retries and returns early with ctx's error when
	// ctx ends; a timer when nil. Tests replace it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps events that carry no time; time.Now when nil.
	Now func() time.Time
	// Logger receives delivery failures and drops; discarded when nil.
	Logger *slog.Logger
	// Registerer receives the siem_* metrics; none are registered when nil.
	Registerer prometheus.Registerer
}

// withDefaults checks cfg and fills in the defaults, reporting every
// problem at once.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	if cfg.QueueSize < 0 {
		errs = append(errs, fmt.Errorf("queue size %d: %w", cfg.QueueSize, ErrInvalidConfig))
	}
	if cfg.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size %d: %w", cfg.BatchSize, ErrInvalidConfig))
	}
	if cfg.BufferMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("buffer max bytes %d: %w", cfg.BufferMaxBytes, ErrInvalidConfig))
	}
	if cfg.SendTimeout < 0 {
		errs = append(errs, fmt.Errorf("send timeout %s: %w", cfg.SendTimeout, ErrInvalidConfig))
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}

	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BufferMaxBytes == 0 {
		cfg.BufferMaxBytes = DefaultBufferMaxBytes
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepContext
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg, nil
}

// Forwarder fans events out to its sinks. Each sink has its own queue,
// disk buffer and delivery goroutine, so a slow or failed receiver never
// holds back the others or the caller.
type Forwarder struct {
	cfg     Config
	workers []*worker

	mu     sync.RWMutex
	closed bool
}

// NewForwarder starts one delivery goroutine per sink. Events a previous
// run left in BufferDir are delivered first, in order. The sinks are owned
// by the Forwarder from here on and closed by Close.
func NewForwarder(cfg Config, sinks ...Sink) (*Forwarder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkSinkNames(sinks); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}

	f := &Forwarder{cfg: cfg}
	for _, s := range sinks {
		w, err := newWorker(&f.cfg, s, m)
		if err != nil {
			f.abort()
			return nil, fmt.Errorf("sink %s: %w", s.Name(), err)
		}
		f.workers = append(f.workers, w)
	}
	for _, w := range f.workers {
		go w.run()
	}
	return f, nil
}

// checkSinkNames makes sure no two sinks share a metrics label or a
// buffer directory.
func checkSinkNames(sinks []Sink) error {
	var errs []error
	seen := make(map[string]bool)
	for _, s := range sinks {
		key := bufferDirName(s.Name())
		if seen[key] {
			errs = append(errs, fmt.Errorf("sink %s listed twice: %w", s.Name(), ErrInvalidConfig))
		}
		seen[key] = true
	}
	return errors.Join(errs...)
}

// bufferDirName maps a sink name onto a safe directory name.
func bufferDirName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, name)
}

func bufferDir(root, name string) string {
	return filepath.Join(root, bufferDirName(name))
}

// abort releases what a failed NewForwarder had opened.
func (f *Forwarder) abort() {
	for _, w := range f.workers {
		if w.buf != nil {
			w.buf.close()
		}
	}
}

// Forward queues ev for every sink and returns at once: it never waits for
// a receiver. When a sink's memory queue is full the event is appended to
// its disk buffer (one small file write); when that is full too the event
// is dropped and counted. An event without a time is stamped now. Forward
// is safe for concurrent use; events from one goroutine keep their order.
func (f *Forwarder) Forward(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = f.cfg.Now()
	}
	ev = ev.clone()

	f.mu.RLock()
	defer f.mu.RUnlock()

	for _, w := range f.workers {
		if f.closed {
			w.drop(1, ReasonClosed, ErrClosed)
		} else {
			w.enqueue(ev)
		}
	}
}

// Close stops accepting events and delivers what it can until ctx ends;
// then it stops retrying and writes what is left in memory to the disk
// buffer, where the next Forwarder picks it up. It closes the sinks. The
// error reports events that could be neither delivered nor stored, and
// failures to close a sink. Give ctx a deadline: a receiver that stays
// down would otherwise keep Close waiting.
func (f *Forwarder) Close(ctx context.Context) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	f.closed = true
	f.mu.Unlock()

	for _, w := range f.workers {
		close(w.draining)
	}

	stopped := make(chan struct{})
	go func() {
		for _, w := range f.workers {
			<-w.done
		}
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		for _, w := range f.workers {
			w.cancel()
		}
		<-stopped
	}

	var errs []error
	for _, w := range f.workers {
		w.cancel()
		if n := w.lost.Load(); n > 0 {
			errs = append(errs, fmt.Errorf("sink %s: %d events lost at close", w.name, n))
		}
		if err := w.sink.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sink %s: %w", w.name, err))
		}
	}
	return errors.Join(errs...)
}
