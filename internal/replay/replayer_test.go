package replay_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
	"github.com/octopus-venue/octopus/internal/replay"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixedClock advances one millisecond per reading, so reports are stable.
func fixedClock() func() time.Time {
	t := time.Date(2012, 6, 21, 9, 30, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Millisecond)
		return t
	}
}

func runFixture(t *testing.T, messages, orderbook []byte, cfg replay.Config) replay.Report {
	t.Helper()
	cfg.Levels = 2
	cfg.Now = fixedClock()
	rep, err := replay.Run(context.Background(), bytes.NewReader(messages), bytes.NewReader(orderbook), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// The fixture walks through every rule: seeding from the first row, orders
// from before the file (executed and cancelled through synthetic liquidity),
// price-time executions, hidden executions, halts, cross trades and three
// deeper levels coming into view.
func TestReplayFixture(t *testing.T) {
	rep := runFixture(t, readFixture(t, "basic_message_2.csv"), readFixture(t, "basic_orderbook_2.csv"),
		replay.Config{})
	if rep.Messages != 14 || rep.Trades != 4 || rep.Mismatches != 0 || rep.Resyncs != 3 {
		t.Fatalf("report = %+v", rep)
	}
	wantResyncs := []replay.Resync{
		{Message: 10, Side: engine.Buy, Price: 9800, From: 30, To: 35},
		{Message: 11, Side: engine.Sell, Price: 10300, From: 0, To: 70},
		{Message: 14, Side: engine.Buy, Price: 9700, From: 0, To: 25},
	}
	if !slices.Equal(rep.ResyncDetails, wantResyncs) {
		t.Fatalf("resyncs = %+v\nwant %+v", rep.ResyncDetails, wantResyncs)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

func TestReplayReportGolden(t *testing.T) {
	rep := runFixture(t, readFixture(t, "basic_message_2.csv"), readFixture(t, "basic_orderbook_2.csv"),
		replay.Config{Book: newLIFOBook(), MaxDetails: 4})
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "lifo_report.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readFixture(t, "lifo_report.golden"); !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("report:\n%s\nwant:\n%s", out.Bytes(), want)
	}
}

// TestReplayCatchesWrongPriority proves the check can fail: a book that
// fills the newest order of a level first must be caught, both by the maker
// of an execution and by the visible depth.
func TestReplayCatchesWrongPriority(t *testing.T) {
	rep := runFixture(t, readFixture(t, "basic_message_2.csv"), readFixture(t, "basic_orderbook_2.csv"),
		replay.Config{Book: newLIFOBook(), MaxDetails: 100})
	kinds := map[replay.MismatchKind]int{}
	for _, m := range rep.Details {
		kinds[m.Kind]++
	}
	if kinds[replay.PriorityMismatch] == 0 || kinds[replay.DepthMismatch] == 0 {
		t.Fatalf("mismatch kinds = %v, want priority and depth mismatches", kinds)
	}
	first := replay.Mismatch{Message: 3, Kind: replay.PriorityMismatch, Side: engine.Sell,
		OrderID: 900, MakerID: 2}
	if rep.Details[0] != first {
		t.Fatalf("first mismatch = %+v, want %+v", rep.Details[0], first)
	}
	if err := rep.Err(); !errors.Is(err, replay.ErrMismatch) {
		t.Fatalf("Err = %v, want ErrMismatch", err)
	}
}

func TestReplayReportsChangedRow(t *testing.T) {
	rows := strings.Split(string(readFixture(t, "basic_orderbook_2.csv")), "\n")
	rows[5] = "10100,8,9900,60,10200,40,9800,30" // the engine will hold 9 lots
	rep := runFixture(t, readFixture(t, "basic_message_2.csv"), []byte(strings.Join(rows, "\n")),
		replay.Config{})
	want := replay.Mismatch{Message: 6, Kind: replay.DepthMismatch, Side: engine.Sell, Level: 1,
		Want: lv(10100, 8), Got: lv(10100, 9)}
	if rep.Mismatches != 1 || len(rep.Details) != 1 || rep.Details[0] != want {
		t.Fatalf("mismatches %d, details %+v; want only %+v", rep.Mismatches, rep.Details, want)
	}
	if got := want.String(); got != "message 6: sell level 1: want 8@10100, got 9@10100" {
		t.Fatalf("String = %q", got)
	}
}

func TestReplayBadInput(t *testing.T) {
	msgs := string(readFixture(t, "basic_message_2.csv"))
	rows := string(readFixture(t, "basic_orderbook_2.csv"))
	dropLast := func(s string) string {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		return strings.Join(lines[:len(lines)-1], "\n") + "\n"
	}
	cases := []struct {
		name      string
		messages  string
		orderbook string
		wantErr   error
		wantText  string
	}{
		{"orderbook shorter", msgs, dropLast(rows), replay.ErrInconsistent, "orderbook ends at line 13"},
		{"orderbook longer", dropLast(msgs), rows, replay.ErrInconsistent, "more rows than the 13 messages"},
		{"no messages", "", rows, replay.ErrInconsistent, "no messages"},
		{"first add not in first row", "34200.1,1,1,10,10150,-1\n", "10100,60,9900,60,10200,40,9800,30\n",
			replay.ErrInconsistent, "first message adds 10 at 10150"},
		{"bad message", strings.Replace(msgs, "34200.1,4,900,30", "34200.1,4,900,3x", 1), rows,
			replay.ErrSyntax, "messages line 3"},
		{"bad row", msgs, strings.Replace(rows, "10100,35,", "10100,-35,", 1),
			replay.ErrSyntax, "orderbook line 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := replay.Run(context.Background(), strings.NewReader(tc.messages),
				strings.NewReader(tc.orderbook), replay.Config{Levels: 2})
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("error = %v, want %v containing %q", err, tc.wantErr, tc.wantText)
			}
		})
	}
}

func TestReplayGenerated(t *testing.T) {
	msgs, rows := generate(20000, 10)
	rep, err := replay.Run(context.Background(), bytes.NewReader(msgs), bytes.NewReader(rows), replay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages != 20000 || rep.Mismatches != 0 || rep.Trades == 0 {
		t.Fatalf("report = %+v", rep)
	}
}

func TestReplayStopsOnCancelledContext(t *testing.T) {
	msgs, rows := generate(10000, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := replay.Run(ctx, bytes.NewReader(msgs), bytes.NewReader(rows), replay.Config{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

// TestReplayRealSample replays the first 999 messages of the AAPL sample:
// with price-time priority the engine must agree with every recorded row.
func TestReplayRealSample(t *testing.T) {
	msgs, rows := readSample(t)
	rep, err := replay.Run(context.Background(), bytes.NewReader(msgs), bytes.NewReader(rows), replay.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mismatches != 0 {
		var out bytes.Buffer
		_ = rep.WriteText(&out)
		t.Fatalf("engine disagrees with the recording:\n%s", out.String())
	}
	// The README counts 98 visible executions; each takes one maker.
	if rep.Messages != 999 || rep.Trades != 98 {
		t.Fatalf("messages %d, trades %d; want 999 and 98", rep.Messages, rep.Trades)
	}
	t.Logf("%d messages, %d trades, %d resyncs", rep.Messages, rep.Trades, rep.Resyncs)
}

func TestReplayRealSampleCatchesWrongPriority(t *testing.T) {
	msgs, rows := readSample(t)
	rep, err := replay.Run(context.Background(), bytes.NewReader(msgs), bytes.NewReader(rows),
		replay.Config{Book: newLIFOBook()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mismatches < 100 {
		t.Fatalf("a newest-first book gave only %d mismatches", rep.Mismatches)
	}
}

func BenchmarkReplay(b *testing.B) {
	inputs := []struct {
		name            string
		messages, books []byte
	}{{name: "generated"}}
	inputs[0].messages, inputs[0].books = generate(20000, 10)
	if m, o, ok := sampleIfPresent(); ok {
		inputs = append(inputs, struct {
			name            string
			messages, books []byte
		}{"AAPL", m, o})
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) { benchReplay(b, in.messages, in.books) })
	}
}

func benchReplay(b *testing.B, msgs, rows []byte) {
	{
		b.ReportAllocs()
		b.SetBytes(int64(len(msgs) + len(rows)))
		count := 0
		for range b.N {
			rep, err := replay.Run(context.Background(), bytes.NewReader(msgs), bytes.NewReader(rows),
				replay.Config{})
			if err != nil || rep.Mismatches != 0 {
				b.Fatalf("replay: %v, %d mismatches", err, rep.Mismatches)
			}
			count += rep.Messages
		}
		b.ReportMetric(float64(count)/b.Elapsed().Seconds(), "msgs/s")
	}
}
