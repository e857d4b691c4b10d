package siem

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// outageCase stages an outage of one kind of receiver.
type outageCase struct {
	sink  Sink
	down  func()
	up    func()
	seqs  func() []string // seq of every event received, in arrival order
	exact bool            // the protocol makes a duplicate impossible here
	// unordered: items of one bulk request succeed on their own, so a
	// retried item lands after later ones; an index has no order anyway.
	unordered bool
}

func syslogOutage(network string) func(t *testing.T) outageCase {
	return func(t *testing.T) outageCase {
		rcv, sink := newTestSyslog(t, network)
		return outageCase{
			sink: sink,
			down: rcv.stop,
			up:   rcv.start,
			seqs: func() []string {
				recs, bad := rcv.snapshot()
				if len(bad) > 0 {
					t.Errorf("framing errors: %q", bad)
				}
				var out []string
				for _, rec := range recs {
					r, err := parseRecord(rec)
					if err != nil {
						t.Errorf("record %q: %v", rec, err)
						continue
					}
					seq, _ := r.get("seq")
					out = append(out, seq)
				}
				return out
			},
		}
	}
}

func hecOutage(t *testing.T) outageCase {
	hec := startHEC(t, testToken)
	return outageCase{
		sink:  newSplunk(t, hec, testToken),
		down:  func() { hec.status.Store(http.StatusServiceUnavailable) },
		up:    func() { hec.status.Store(http.StatusOK) },
		seqs:  func() []string { return eventSeqs(hec.received()) },
		exact: true,
	}
}

func elasticDownCase(t *testing.T) outageCase {
	es := startBulk(t, "", "")
	down, up := restartHTTP(t, &es.Server, http.HandlerFunc(es.serve))
	return outageCase{
		sink:  newElastic(t, es, ""),
		down:  down,
		up:    up,
		seqs:  func() []string { return docSeqs(es.received()) },
		exact: true,
	}
}

// elasticThrottleCase throttles every other document with 429 during the
// outage, so recovery must resend exactly the failed items.
func elasticThrottleCase(t *testing.T) outageCase {
	es := startBulk(t, "", "")
	return outageCase{
		sink: newElastic(t, es, ""),
		down: func() {
			es.setItemStatus(func(doc map[string]any) int {
				seq, _ := strconv.Atoi(doc["fields"].(map[string]any)["seq"].(string))
				return map[bool]int{true: http.StatusTooManyRequests}[seq%2 == 0]
			})
		},
		up:        func() { es.setItemStatus(nil) },
		seqs:      func() []string { return docSeqs(es.received()) },
		exact:     true,
		unordered: true,
	}
}

func eventSeqs(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Fields["seq"]
	}
	return out
}

func docSeqs(docs []map[string]any) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i], _ = d["fields"].(map[string]any)["seq"].(string)
	}
	return out
}

// TestForwarderOutageAndRecovery takes each receiver down while events
// keep coming, brings it back, and checks that every event arrived, first
// seen in order. Delivery is at least once; where the protocol rules
// duplicates out (HTTP replies), exactly once is asserted too.
func TestForwarderOutageAndRecovery(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T) outageCase
	}{
		{"syslog udp receiver down", syslogOutage(NetworkUDP)},
		{"syslog tcp receiver down", syslogOutage(NetworkTCP)},
		{"syslog tls receiver down", syslogOutage(NetworkTLS)},
		{"splunk hec answering 503", hecOutage},
		{"elasticsearch down", elasticDownCase},
		{"elasticsearch throttling items", elasticThrottleCase},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			oc := tc.setup(t)
			f := env.start(t, oc.sink)
			name := oc.sink.Name()

			forwardAll(f, seqEvents(0, 10))
			eventually(t, 5*time.Second, "first 10 events", func() bool { return len(oc.seqs()) >= 10 })

			oc.down()
			forwardAll(f, seqEvents(10, 50))
			eventually(t, 5*time.Second, "failures and a spill to disk", func() bool {
				return env.metric(t, "siem_send_failures_total", "sink", name) > 0 &&
					env.metric(t, "siem_buffer_bytes", "sink", name) > 0
			})

			oc.up()
			eventually(t, 10*time.Second, "all 60 events", func() bool {
				return uniqueCount(oc.seqs()) == 60
			})
			checkSeqsOrder(t, oc.seqs(), 60, oc.exact, !oc.unordered)

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := f.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := env.metric(t, "siem_events_dropped_total"); got != 0 {
				t.Errorf("dropped %v events, want 0", got)
			}
			if got := env.metric(t, "siem_events_forwarded_total", "sink", name); got < 60 {
				t.Errorf("forwarded %v, want at least 60", got)
			}
			if got := env.metric(t, "siem_buffer_bytes", "sink", name); got != 0 {
				t.Errorf("buffer holds %v bytes after recovery, want 0", got)
			}
			if files := segmentFiles(t, env.cfg.BufferDir); len(files) != 0 {
				t.Errorf("segments left after recovery: %v", files)
			}
		})
	}
}

func uniqueCount(seqs []string) int {
	seen := make(map[string]bool)
	for _, s := range seqs {
		seen[s] = true
	}
	return len(seen)
}

// TestForwarderBufferSurvivesRestart closes a Forwarder while its receiver
// is down and checks that the next one, on the same BufferDir, delivers
// everything in order before newer events.
func TestForwarderBufferSurvivesRestart(t *testing.T) {
	env := newTestEnv(t)
	env.cfg.QueueSize = 4
	hec := startHEC(t, testToken)
	hec.status.Store(http.StatusServiceUnavailable)

	first, err := NewForwarder(env.cfg, newSplunk(t, hec, testToken))
	if err != nil {
		t.Fatal(err)
	}
	forwardAll(first, seqEvents(0, 30))
	eventually(t, 5*time.Second, "a failed send", func() bool {
		return env.metric(t, "siem_send_failures_total") > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := first.Close(ctx); err != nil {
		t.Fatalf("Close during outage: %v", err)
	}
	if len(segmentFiles(t, env.cfg.BufferDir)) == 0 {
		t.Fatal("nothing kept on disk")
	}
	if got := env.metric(t, "siem_events_dropped_total"); got != 0 {
		t.Fatalf("dropped %v events at close, want 0", got)
	}

	hec.status.Store(http.StatusOK)
	second := env.start(t, newSplunk(t, hec, testToken))
	forwardAll(second, seqEvents(30, 5))
	eventually(t, 5*time.Second, "35 events", func() bool { return len(hec.received()) >= 35 })
	checkSeqs(t, eventSeqs(hec.received()), 35, true)

	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := second.Close(ctx2); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if files := segmentFiles(t, env.cfg.BufferDir); len(files) != 0 {
		t.Errorf("segments left: %v", files)
	}
}

// TestForwarderOverflowCounted fills the queue and the disk buffer during
// an outage and checks that every event is either delivered later or
// counted as dropped, never both and never neither.
func TestForwarderOverflowCounted(t *testing.T) {
	env := newTestEnv(t)
	env.cfg.QueueSize = 2
	env.cfg.BatchSize = 2
	env.cfg.BufferMaxBytes = 2048
	hec := startHEC(t, testToken)
	hec.status.Store(http.StatusServiceUnavailable)
	f := env.start(t, newSplunk(t, hec, testToken))

	const total = 100
	forwardAll(f, seqEvents(0, total))
	dropped := env.metric(t, "siem_events_dropped_total", "reason", ReasonBufferFull)
	if dropped == 0 {
		t.Fatal("no overflow counted")
	}
	if b := env.metric(t, "siem_buffer_bytes"); b > 2048 || b == 0 {
		t.Errorf("buffer holds %v bytes, want 1..2048", b)
	}
	if !strings.Contains(env.logs.String(), `"reason":"buffer_full"`) {
		t.Errorf("no log line for the overflow:\n%s", env.logs)
	}

	hec.status.Store(http.StatusOK)
	want := total - int(dropped)
	eventually(t, 5*time.Second, "the events that fit", func() bool { return len(hec.received()) >= want })
	time.Sleep(50 * time.Millisecond)
	got := eventSeqs(hec.received())
	if len(got) != want {
		t.Fatalf("received %d, want %d (= %d sent - %v dropped)", len(got), want, total, dropped)
	}
	checkSeqs(t, got, want, true)
	if d := env.metric(t, "siem_events_dropped_total"); d != dropped {
		t.Errorf("dropped grew to %v after recovery", d)
	}
	t.Logf("%d delivered, %v dropped beyond the 2048-byte buffer", want, dropped)
}

func TestForwarderWithoutBuffer(t *testing.T) {
	env := newTestEnv(t)
	env.cfg.BufferDir = ""
	env.cfg.QueueSize = 4
	hec := startHEC(t, testToken)
	hec.status.Store(http.StatusServiceUnavailable)
	f := env.start(t, newSplunk(t, hec, testToken))

	forwardAll(f, seqEvents(0, 20))
	full := env.metric(t, "siem_events_dropped_total", "reason", ReasonQueueFull)
	if full < float64(20-4-env.cfg.BatchSize) {
		t.Errorf("queue_full drops %v, want at least %d", full, 20-4-env.cfg.BatchSize)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := f.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "lost at close") {
		t.Fatalf("Close = %v, want events lost at close", err)
	}
	lost := env.metric(t, "siem_events_dropped_total", "reason", ReasonShutdown)
	if full+lost != 20 {
		t.Errorf("queue_full %v + shutdown %v, want 20", full, lost)
	}
}

func TestForwarderCountsRejectedAndLogsWithoutSecrets(t *testing.T) {
	env := newTestEnv(t)
	hec := startHEC(t, testToken)
	es := startBulk(t, "elastic", "RightPass")
	splunk := newSplunk(t, hec, "WRONG-TOKEN-SECRET")
	elastic := newElastic(t, es, "elastic:WrongPassSecret@")
	f := env.start(t, splunk, elastic)

	forwardAll(f, seqEvents(0, 7))
	for _, s := range []Sink{splunk, elastic} {
		eventually(t, 5*time.Second, "rejections", func() bool {
			return env.metric(t, "siem_events_dropped_total", "sink", s.Name(), "reason", ReasonRejected) == 7
		})
		if got := env.metric(t, "siem_events_forwarded_total", "sink", s.Name()); got != 0 {
			t.Errorf("%s forwarded %v", s.Name(), got)
		}
	}
	logs := env.logs.String()
	if strings.Count(logs, `"reason":"rejected"`) < 4 { // two batches per sink
		t.Errorf("want a log line per rejected batch:\n%s", logs)
	}
	checkNoSecrets(t, logs, []string{"WRONG-TOKEN-SECRET", "WrongPassSecret", "RightPass", testToken})
}

// TestForwarderRetriesOnlyFailedItems checks the bulk path end to end: an
// item throttled once is resent alone, an item refused is dropped.
func TestForwarderRetriesOnlyFailedItems(t *testing.T) {
	env := newTestEnv(t)
	es := startBulk(t, "", "")
	var mu sync.Mutex
	throttled := false
	es.setItemStatus(func(doc map[string]any) int {
		mu.Lock()
		defer mu.Unlock()
		switch doc["fields"].(map[string]any)["seq"] {
		case "3":
			if !throttled {
				throttled = true
				return http.StatusTooManyRequests
			}
		case "6":
			return http.StatusBadRequest
		}
		return 0
	})
	sink := newElastic(t, es, "")
	f := env.start(t, sink)

	forwardAll(f, seqEvents(0, 10))
	eventually(t, 5*time.Second, "9 documents", func() bool { return len(es.received()) >= 9 })
	time.Sleep(30 * time.Millisecond)

	got := docSeqs(es.received())
	if strings.Join(sortedCopy(got), ",") != "0,1,2,3,4,5,7,8,9" {
		t.Errorf("indexed %v, want each of 0-9 but 6 once", got)
	}
	if d := env.metric(t, "siem_events_dropped_total", "reason", ReasonRejected); d != 1 {
		t.Errorf("rejected %v, want 1", d)
	}
	if n := env.metric(t, "siem_events_forwarded_total"); n != 9 {
		t.Errorf("forwarded %v, want 9", n)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, _ := strconv.Atoi(out[i])
			b, _ := strconv.Atoi(out[j])
			if b < a {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// fakeSink fails the first failures Sends, then records batches.
type fakeSink struct {
	name     string
	failures int

	mu      sync.Mutex
	calls   int
	batches [][]Event
}

func (s *fakeSink) Name() string { return s.name }
func (s *fakeSink) Close() error { return nil }

func (s *fakeSink) Send(_ context.Context, batch []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls <= s.failures {
		return errors.New("receiver unavailable")
	}
	s.batches = append(s.batches, append([]Event(nil), batch...))
	return nil
}

func (s *fakeSink) delivered() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, b := range s.batches {
		out = append(out, b...)
	}
	return out
}

func TestForwarderBacksOffWithInjectedSleep(t *testing.T) {
	env := newTestEnv(t)
	var mu sync.Mutex
	var waits []time.Duration
	env.cfg.Backoff = Backoff{Base: time.Second, Max: 4 * time.Second, Jitter: func(int64) int64 { return 0 }}
	env.cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return ctx.Err()
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env.cfg.Now = func() time.Time { return at }
	sink := &fakeSink{name: "fake", failures: 5}
	f := env.start(t, sink)

	f.Forward(Event{Type: "t", Severity: SeverityInfo})
	eventually(t, 5*time.Second, "delivery", func() bool { return len(sink.delivered()) == 1 })

	mu.Lock()
	defer mu.Unlock()
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("wait %d = %s, want %s", i, waits[i], want[i])
		}
	}
	if got := sink.delivered()[0].Time; !got.Equal(at) {
		t.Errorf("event stamped %v, want %v", got, at)
	}
	if n := env.metric(t, "siem_send_failures_total", "sink", "fake"); n != 5 {
		t.Errorf("failures %v, want 5", n)
	}
}

func TestForwarderAfterClose(t *testing.T) {
	env := newTestEnv(t)
	sink := &fakeSink{name: "fake"}
	f := env.start(t, sink)
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Forward(Event{Type: "t"})
	if d := env.metric(t, "siem_events_dropped_total", "reason", ReasonClosed); d != 1 {
		t.Errorf("closed drops %v, want 1", d)
	}
	if err := f.Close(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

func TestNewForwarderRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		sinks   []Sink
		wantErr []string
	}{
		{
			name:    "negative sizes all reported",
			cfg:     Config{QueueSize: -1, BatchSize: -2, BufferMaxBytes: -3, SendTimeout: -time.Second},
			wantErr: []string{"queue size -1", "batch size -2", "buffer max bytes -3", "send timeout -1s"},
		},
		{
			name:    "duplicate sink",
			sinks:   []Sink{&fakeSink{name: "a"}, &fakeSink{name: "a"}},
			wantErr: []string{"sink a listed twice"},
		},
		{
			name:    "names that share a buffer directory",
			sinks:   []Sink{&fakeSink{name: "a/b"}, &fakeSink{name: "a:b"}},
			wantErr: []string{"listed twice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewForwarder(tt.cfg, tt.sinks...)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// TestForwarderManyProducers forwards from several goroutines at once
// while the receiver flaps, under the race detector.
func TestForwarderManyProducers(t *testing.T) {
	env := newTestEnv(t)
	env.cfg.QueueSize = 16
	hec := startHEC(t, testToken)
	f := env.start(t, newSplunk(t, hec, testToken))

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			forwardAll(f, seqEvents(g*1000, 100))
		}()
	}
	hec.status.Store(http.StatusServiceUnavailable)
	time.Sleep(20 * time.Millisecond)
	hec.status.Store(http.StatusOK)
	wg.Wait()

	eventually(t, 10*time.Second, "400 events", func() bool { return len(hec.received()) >= 400 })
	perProducer := map[int][]int{}
	for _, s := range eventSeqs(hec.received()) {
		v, _ := strconv.Atoi(s)
		perProducer[v/1000] = append(perProducer[v/1000], v%1000)
	}
	for g, seqs := range perProducer {
		for i, v := range seqs {
			if v != i {
				t.Fatalf("producer %d: event %d arrived at position %d", g, v, i)
			}
		}
	}
	if d := env.metric(t, "siem_events_dropped_total"); d != 0 {
		t.Errorf("dropped %v", d)
	}
}
