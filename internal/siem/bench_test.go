package siem

import (
	"context"
	"testing"
	"time"
)

func BenchmarkFormatRFC5424(b *testing.B) {
	ev := Event{
		Time: time.Now(), Kind: KindSecurityEvent, Type: "failed_login_attempt",
		Severity: SeverityMedium, Message: "login failed for user alice from 192.0.2.7",
		Fields: map[string]string{"user": "alice", "client_ip": "192.0.2.7", "route": "/v1/login"},
	}
	b.ReportAllocs()
	for b.Loop() {
		formatRFC5424(testHeader, ev, 0)
	}
}

// BenchmarkForward measures the caller's cost of Forward while the sink
// keeps up: the queue path, without disk.
func BenchmarkForward(b *testing.B) {
	sink := &discardSink{}
	f, err := NewForwarder(Config{QueueSize: 1 << 16, BufferDir: b.TempDir()}, sink)
	if err != nil {
		b.Fatal(err)
	}
	defer closeQuickly(f)
	ev := Event{Time: time.Now(), Kind: KindSecurityEvent, Type: "t", Severity: SeverityInfo,
		Fields: map[string]string{"user": "alice"}}
	b.ReportAllocs()
	for b.Loop() {
		f.Forward(ev)
	}
}

// BenchmarkForwardSpill measures Forward when every event goes to disk.
func BenchmarkForwardSpill(b *testing.B) {
	sink := &blockedSink{}
	f, err := NewForwarder(Config{QueueSize: 1, BufferDir: b.TempDir(), BufferMaxBytes: 1 << 30}, sink)
	if err != nil {
		b.Fatal(err)
	}
	defer closeQuickly(f)
	ev := Event{Time: time.Now(), Kind: KindSecurityEvent, Type: "t", Severity: SeverityInfo,
		Fields: map[string]string{"user": "alice"}}
	b.ReportAllocs()
	for b.Loop() {
		f.Forward(ev)
	}
}

type discardSink struct{}

func (discardSink) Name() string                            { return "discard" }
func (discardSink) Send(_ context.Context, _ []Event) error { return nil }
func (discardSink) Close() error                            { return nil }

// blockedSink fails every send until the context ends.
type blockedSink struct{}

func (blockedSink) Name() string { return "blocked" }
func (blockedSink) Send(ctx context.Context, _ []Event) error {
	<-ctx.Done()
	return ctx.Err()
}
func (blockedSink) Close() error { return nil }

// closeQuickly closes f without waiting for a receiver that is down.
func closeQuickly(f *Forwarder) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = f.Close(ctx)
}
