package siem

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func line(t *testing.T, seq int) []byte {
	t.Helper()
	b, err := json.Marshal(seqEvents(seq, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func appendSeqs(t *testing.T, b *diskBuffer, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := b.append(line(t, i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// readAll reads and commits everything, returning the seqs in order.
func readAll(t *testing.T, b *diskBuffer, batch int) []string {
	t.Helper()
	var seqs []string
	for {
		evs, tok, corrupt, err := b.read(batch)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if corrupt > 0 {
			seqs = append(seqs, "corrupt")
		}
		if len(evs) == 0 {
			return seqs
		}
		seqs = append(seqs, eventSeqs(evs)...)
		if err := b.commit(tok); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
}

func TestDiskBufferKeepsOrderAcrossSegmentsAndReopen(t *testing.T) {
	dir := t.TempDir()
	lineLen := int64(len(line(t, 10)))
	b, err := openDiskBuffer(dir, 64*lineLen) // segments of 8 lines
	if err != nil {
		t.Fatal(err)
	}
	appendSeqs(t, b, 10, 30)
	if n := len(segmentFiles(t, dir)); n < 3 {
		t.Fatalf("%d segments, want rotation into several", n)
	}

	evs, tok, _, err := b.read(3)
	if err != nil || len(evs) != 3 {
		t.Fatalf("read = %d events, %v", len(evs), err)
	}
	if err := b.commit(tok); err != nil {
		t.Fatal(err)
	}
	// Read but not committed: these must come back after a restart.
	if _, _, _, err := b.read(2); err != nil {
		t.Fatal(err)
	}
	b.close()

	b, err = openDiskBuffer(dir, 64*lineLen)
	if err != nil {
		t.Fatal(err)
	}
	appendSeqs(t, b, 40, 2)
	got := strings.Join(readAll(t, b, 4), ",")
	want := "13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41"
	if got != want {
		t.Fatalf("after reopen read %s\nwant %s", got, want)
	}
	if !b.empty() || b.bytes() != 0 {
		t.Errorf("empty %v bytes %d after reading everything", b.empty(), b.bytes())
	}
	if files := segmentFiles(t, dir); len(files) != 0 {
		t.Errorf("segments left: %v", files)
	}
}

func TestDiskBufferPrependGoesFirst(t *testing.T) {
	dir := t.TempDir()
	b, err := openDiskBuffer(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	appendSeqs(t, b, 5, 5)
	evs, tok, _, _ := b.read(2) // 5 and 6 delivered
	if len(evs) != 2 {
		t.Fatal("short read")
	}
	if err := b.commit(tok); err != nil {
		t.Fatal(err)
	}

	dropped, err := b.prepend([][]byte{line(t, 1), line(t, 2)})
	if err != nil || dropped != 0 {
		t.Fatalf("prepend = %d, %v", dropped, err)
	}
	b.close()

	b, err = openDiskBuffer(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(readAll(t, b, 10), ","); got != "1,2,7,8,9" {
		t.Errorf("read %s, want 1,2,7,8,9", got)
	}
}

func TestDiskBufferLimit(t *testing.T) {
	l := line(t, 1)
	b, err := openDiskBuffer(t.TempDir(), int64(3*len(l)))
	if err != nil {
		t.Fatal(err)
	}
	appendSeqs(t, b, 1, 3)
	if err := b.append(line(t, 4)); !errors.Is(err, ErrBufferFull) {
		t.Fatalf("append past the limit = %v, want ErrBufferFull", err)
	}
	dropped, err := b.prepend([][]byte{line(t, 0)})
	if err != nil || dropped != 1 {
		t.Errorf("prepend past the limit = %d, %v, want 1 dropped", dropped, err)
	}
	if b.bytes() != int64(3*len(l)) {
		t.Errorf("bytes %d", b.bytes())
	}
}

func TestDiskBufferSkipsCorruptLines(t *testing.T) {
	dir := t.TempDir()
	seg := filepath.Join(dir, "00000000004294967296"+segmentExt)
	data := string(line(t, 1)) + "not json\n" + string(line(t, 2)) + `{"kind":"torn`
	if err := os.WriteFile(seg, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	// Leftovers of an interrupted write and of a deleted segment.
	for _, name := range []string{"x.tmp", "00000000000000000007" + positionExt} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("7"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	b, err := openDiskBuffer(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(readAll(t, b, 10), ","); got != "corrupt,1,2" {
		t.Errorf("read %s, want the two good events and the corruption noted", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}

func TestForwarderReplaysBufferFromDisk(t *testing.T) {
	env := newTestEnv(t)
	sink := &fakeSink{name: "fake"}
	dir := bufferDir(env.cfg.BufferDir, sink.name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	data := string(line(t, 0)) + "{broken\n" + string(line(t, 1))
	if err := os.WriteFile(filepath.Join(dir, "00000000004294967296"+segmentExt), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}

	f := env.start(t, sink)
	f.Forward(seqEvents(2, 1)[0])
	eventually(t, 5*time.Second, "3 events", func() bool { return len(sink.delivered()) == 3 })
	if got := strings.Join(eventSeqs(sink.delivered()), ","); got != "0,1,2" {
		t.Errorf("delivered %s, want 0,1,2", got)
	}
	if d := env.metric(t, "siem_events_dropped_total", "reason", ReasonCorrupt); d != 1 {
		t.Errorf("corrupt drops %v, want 1", d)
	}
	if !strings.Contains(env.logs.String(), "siem buffer found") {
		t.Errorf("no log line for the replay")
	}
}
