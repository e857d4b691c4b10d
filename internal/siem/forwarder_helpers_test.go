package siem

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is what a forwarder test observes: metrics and logs.
type testEnv struct {
	reg  *prometheus.Registry
	logs *syncBuffer
	cfg  Config
}

// newTestEnv returns a Config with fast retries, a private registry and
// captured logs; the caller adjusts the rest.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	env := &testEnv{reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	env.cfg = Config{
		BatchSize:   5,
		QueueSize:   8,
		BufferDir:   t.TempDir(),
		SendTimeout: 2 * time.Second,
		Backoff:     Backoff{Base: 2 * time.Millisecond, Max: 20 * time.Millisecond},
		Logger:      slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer:  env.reg,
	}
	return env
}

func (env *testEnv) start(t *testing.T, sinks ...Sink) *Forwarder {
	t.Helper()
	f, err := NewForwarder(env.cfg, sinks...)
	if err != nil {
		t.Fatalf("NewForwarder: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = f.Close(ctx)
	})
	return f
}

// metric sums the series of name whose labels include the given pairs.
func (env *testEnv) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := env.reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			match := true
			for i := 0; i+1 < len(labels); i += 2 {
				match = match && have[labels[i]] == labels[i+1]
			}
			if match {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// seqEvents returns events numbered from..from+n-1 in their seq field.
func seqEvents(from, n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{
			Kind: KindSecurityEvent, Type: "failed_login_attempt", Severity: SeverityMedium,
			Message: "login failed", Fields: map[string]string{"seq": strconv.Itoa(from + i)},
		}
	}
	return evs
}

func forwardAll(f *Forwarder, evs []Event) {
	for _, ev := range evs {
		f.Forward(ev)
	}
}

// checkSeqs asserts that seqs (in arrival order) hold every number below
// n, first seen in ascending order, and no more than once when exact.
func checkSeqs(t *testing.T, seqs []string, n int, exact bool) {
	t.Helper()
	checkSeqsOrder(t, seqs, n, exact, true)
}

// checkSeqsOrder is checkSeqs with the order check optional.
func checkSeqsOrder(t *testing.T, seqs []string, n int, exact, ordered bool) {
	t.Helper()
	seen := make(map[int]int)
	next := 0
	for _, s := range seqs {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("bad seq %q", s)
		}
		if seen[v] == 0 {
			if ordered && v != next {
				t.Fatalf("event %d first arrived where %d was due: order lost", v, next)
			}
			next++
		}
		seen[v]++
	}
	for v := range n {
		if seen[v] == 0 {
			t.Fatalf("event %d never arrived", v)
		}
	}
	if next != n || len(seen) != n {
		t.Fatalf("got %d distinct events, want %d", len(seen), n)
	}
	dups := len(seqs) - n
	if exact && dups != 0 {
		t.Fatalf("%d duplicates, want exactly once", dups)
	}
	t.Logf("%d events, %d duplicates", n, dups)
}

// segmentFiles lists the buffer segments under dir.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, segmentExt) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// restartHTTP stops srv and serves h again on the same address, to stage
// a receiver that was down (connection refused) and came back.
func restartHTTP(t *testing.T, srv **httptest.Server, h http.Handler) (down, up func()) {
	t.Helper()
	addr := (*srv).Listener.Addr().String()
	down = func() { (*srv).Close() }
	up = func() {
		var ln net.Listener
		var err error
		for range 50 {
			if ln, err = net.Listen("tcp", addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		s := httptest.NewUnstartedServer(h)
		s.Listener = ln
		s.Start()
		*srv = s
	}
	return down, up
}
