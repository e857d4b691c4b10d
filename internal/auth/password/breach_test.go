package password

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var knownBreached = map[string]int{
	"password":    9_545_824,
	"123456":      37_359_195,
	"hunter2":     17_043,
	"Tr0ub4dor&3": 3,
	"rare-one":    1,
}

func TestBreachFileKnownPasswords(t *testing.T) {
	for _, layout := range []struct {
		name string
		opts genOptions
	}{
		{name: "lf", opts: genOptions{lines: 5000}},
		{name: "crlf", opts: genOptions{lines: 5000, crlf: true}},
		{name: "no final newline", opts: genOptions{lines: 5000, noFinalNL: true}},
		{name: "small file scanned whole", opts: genOptions{lines: 20}},
	} {
		t.Run(layout.name, func(t *testing.T) {
			o := layout.opts
			o.known = knownBreached
			path := writeBreachFile(t, t.TempDir(), genEntries(1, o), o)
			b, err := OpenBreachFile(path, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()

			tests := []struct {
				pw        string
				wantFound bool
				wantCount int
			}{
				{pw: "password", wantFound: true, wantCount: 9_545_824},
				{pw: "123456", wantFound: true, wantCount: 37_359_195},
				{pw: "hunter2", wantFound: true, wantCount: 17_043},
				{pw: "Tr0ub4dor&3", wantFound: true, wantCount: 3},
				{pw: "rare-one", wantFound: false, wantCount: 1}, // below minCount
				{pw: "Password", wantFound: false},
				{pw: "correct horse battery staple", wantFound: false},
				{pw: "", wantFound: false},
			}
			for _, tt := range tests {
				found, count, err := b.Breached(tt.pw)
				if err != nil {
					t.Fatalf("Breached(%q): %v", tt.pw, err)
				}
				if found != tt.wantFound || count != tt.wantCount {
					t.Errorf("Breached(%q) = %v, %d; want %v, %d",
						tt.pw, found, count, tt.wantFound, tt.wantCount)
				}
			}
		})
	}
}

// TestBreachFileEveryLine looks up every hash in the file, the first and last
// lines included, and the hashes just either side of each, which are absent.
func TestBreachFileEveryLine(t *testing.T) {
	for _, o := range []genOptions{
		{lines: 3000},
		{lines: 3000, crlf: true},
		{lines: 3000, noFinalNL: true},
		{lines: 1},
		{lines: 2, crlf: true, noFinalNL: true},
	} {
		entries := genEntries(7, o)
		path := writeBreachFile(t, t.TempDir(), entries, o)
		b, err := OpenBreachFile(path, 1)
		if err != nil {
			t.Fatal(err)
		}

		for i, e := range entries {
			count, err := b.lookup(hexKey(e.hash))
			if err != nil || count != e.count {
				t.Fatalf("%+v line %d: lookup = %d, %v; want %d", o, i, count, err, e.count)
			}
			for _, near := range [][20]byte{addOne(e.hash, -1), addOne(e.hash, 1)} {
				if isNeighbour(entries, i, near) {
					continue
				}
				count, err := b.lookup(hexKey(near))
				if err != nil || count != 0 {
					t.Fatalf("%+v near line %d: lookup = %d, %v; want 0", o, i, count, err)
				}
			}
		}
		for _, edge := range [][20]byte{{}, allFF()} {
			if count, err := b.lookup(hexKey(edge)); err != nil || count != 0 {
				t.Fatalf("%+v edge %x: lookup = %d, %v; want 0", o, edge, count, err)
			}
		}
		b.Close()
	}
}

func TestOpenBreachFileRejectsMalformed(t *testing.T) {
	good := "0000000000000000000000000000000000000001:5\n" +
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:7\n"

	tests := []struct {
		name    string
		content string
	}{
		{name: "empty", content: ""},
		{name: "blank line", content: "\n"},
		{name: "lower-case hex", content: strings.ToLower(good)},
		{name: "range format suffix only", content: "00000000000000000000000000000000001:5\n"},
		{name: "ntlm length", content: "00000000000000000000000000000001:5\n"},
		{name: "no count", content: "0000000000000000000000000000000000000001:\n"},
		{name: "no colon", content: "0000000000000000000000000000000000000001 5\n"},
		{name: "negative count", content: "0000000000000000000000000000000000000001:-5\n"},
		{name: "count too large", content: "0000000000000000000000000000000000000001:" +
			strings.Repeat("9", 19) + "\n"},
		{name: "bad last line", content: good + "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:x\n"},
		{name: "trailing blank line", content: good + "\n"},
		{name: "overlong last line", content: good + strings.Repeat("A", 300) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.txt")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := OpenBreachFile(path, 1)
			if !errors.Is(err, ErrBreachFile) {
				if b != nil {
					b.Close()
				}
				t.Fatalf("OpenBreachFile = %v, want ErrBreachFile", err)
			}
		})
	}
}

func TestOpenBreachFileMissing(t *testing.T) {
	_, err := OpenBreachFile(filepath.Join(t.TempDir(), "absent.txt"), 1)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenBreachFile = %v, want not exist", err)
	}
}

// TestBreachFileMalformedMiddle corrupts every line but the first and last,
// so any lookup must step on a bad line and report it instead of a verdict.
func TestBreachFileMalformedMiddle(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(line []byte) []byte
	}{
		{name: "lower case", mangle: func(l []byte) []byte { return []byte(strings.ToLower(string(l))) }},
		{name: "missing count", mangle: func(l []byte) []byte { return l[:41] }},
		{name: "overlong", mangle: func(l []byte) []byte { return []byte(strings.Repeat("B", 200)) }},
		{name: "empty", mangle: func(l []byte) []byte { return []byte{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := genOptions{lines: 4000}
			entries := genEntries(3, o)
			o.mangle = func(i int) []byte {
				if i == 0 || i == len(entries)-1 {
					return nil
				}
				return tt.mangle(formatLine(entries[i]))
			}
			path := writeBreachFile(t, t.TempDir(), entries, o)
			b, err := OpenBreachFile(path, 1)
			if err != nil {
				t.Fatalf("open: %v (first and last lines are fine)", err)
			}
			defer b.Close()

			_, _, err = b.Breached("password")
			if !errors.Is(err, ErrBreachFile) {
				t.Fatalf("Breached = %v, want ErrBreachFile", err)
			}
		})
	}
}

func TestBreachFileConcurrent(t *testing.T) {
	o := genOptions{lines: 5000, known: knownBreached}
	path := writeBreachFile(t, t.TempDir(), genEntries(11, o), o)
	b, err := OpenBreachFile(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				pw := "hunter2"
				if (g+i)%2 == 1 {
					pw = "not-in-the-file"
				}
				found, _, err := b.Breached(pw)
				if err != nil || found != (pw == "hunter2") {
					errs <- errors.New("wrong answer for " + pw)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func addOne(h [20]byte, delta int) [20]byte {
	for i := len(h) - 1; i >= 0; i-- {
		old := h[i]
		h[i] = byte(int(h[i]) + delta)
		if (delta > 0 && h[i] > old) || (delta < 0 && h[i] < old) {
			break
		}
	}
	return h
}

// isNeighbour reports whether h is the entry next to entries[i], in which
// case it is present and not a test of an absent hash.
func isNeighbour(entries []breachEntry, i int, h [20]byte) bool {
	return (i > 0 && entries[i-1].hash == h) ||
		(i+1 < len(entries) && entries[i+1].hash == h)
}

func allFF() [20]byte {
	var h [20]byte
	for i := range h {
		h[i] = 0xff
	}
	return h
}
