package password

// Helpers shared by the breach tests and benchmark: they write sorted files
// in the Pwned Passwords format from seeded random hashes.

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

type breachEntry struct {
	hash  [20]byte
	count int
}

type genOptions struct {
	lines     int                // random lines
	known     map[string]int     // passwords and their counts
	crlf      bool               // CRLF line endings
	noFinalNL bool               // omit the last line ending
	mangle    func(i int) []byte // replaces line i when it returns non-nil
}

// genEntries returns sorted random entries plus the known passwords.
func genEntries(seed uint64, o genOptions) []breachEntry {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]breachEntry, 0, o.lines+len(o.known))
	for range o.lines {
		var e breachEntry
		for i := range e.hash {
			e.hash[i] = byte(rng.Uint32())
		}
		e.count = 1 + rng.IntN(5000)
		out = append(out, e)
	}
	for pw, count := range o.known {
		out = append(out, breachEntry{hash: sha1.Sum([]byte(pw)), count: count})
	}
	slices.SortFunc(out, func(a, b breachEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })

	return out
}

// writeBreachFile writes entries to a new file in dir and returns its path.
func writeBreachFile(tb testing.TB, dir string, entries []breachEntry, o genOptions) string {
	tb.Helper()
	path := filepath.Join(dir, "pwned.txt")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	for i, e := range entries {
		line := formatLine(e)
		if o.mangle != nil {
			if m := o.mangle(i); m != nil {
				line = m
			}
		}
		w.Write(line)
		if o.noFinalNL && i == len(entries)-1 {
			break
		}
		if o.crlf {
			w.WriteString("\r\n")
		} else {
			w.WriteString("\n")
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}

	return path
}

func formatLine(e breachEntry) []byte {
	line := bytes.ToUpper([]byte(hex.EncodeToString(e.hash[:])))
	line = append(line, ':')
	return strconv.AppendInt(line, int64(e.count), 10)
}

// hexKey is the upper-case hex form lookup expects.
func hexKey(h [20]byte) []byte {
	return bytes.ToUpper([]byte(hex.EncodeToString(h[:])))
}
