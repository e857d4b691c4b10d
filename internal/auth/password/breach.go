package password

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Sizes of the Pwned Passwords SHA-1 line format: 40 upper-case hex digits,
// a colon, a decimal count, then LF or CRLF.
const (
	hashHexLen = 40
	maxDigits  = 18 // keeps every count inside an int64
	maxLineLen = hashHexLen + 1 + maxDigits + 2

	// probeLen is read at each bisection step: it always holds the end of
	// the line being skipped and the whole of the next line.
	probeLen = 2 * maxLineLen

	// scanLen is the span below which the search stops bisecting and
	// reads the remaining candidate lines in one go.
	scanLen = 4096
)

// ErrBreachFile means the breach file is empty or holds a line that is not
// HASH:COUNT.
var ErrBreachFile = errors.New("password: malformed breach file")

// BreachFile looks passwords up in a local copy of the Pwned Passwords
// "SHA-1, ordered by hash" download: lines of upper-case SHA-1 hex, a colon
// and a count, sorted by hash, ending in LF or CRLF.
//
// A lookup is a binary search over byte offsets done with ReadAt: each step
// reads a small window at the middle of the remaining range, skips to the
// next line start and compares that line's hash. Nothing is loaded into
// memory, a file of a billion lines costs about 24 reads of 122 bytes and
// one of 4 KiB per lookup, and lookups are safe to run concurrently because
// ReadAt keeps no shared file position.
//
// The file must be sorted; that is not verified beyond the first and last
// lines, as doing so would mean reading all of it.
type BreachFile struct {
	r        io.ReaderAt
	size     int64
	minCount int
	closer   io.Closer
}

// OpenBreachFile opens a breach file. A password counts as breached when it
// was seen at least minCount times; values below 1 mean 1.
func OpenBreachFile(path string, minCount int) (*BreachFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open breach file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open breach file: %w", err)
	}

	b, err := NewBreachFile(f, st.Size(), minCount)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	b.closer = f

	return b, nil
}

// NewBreachFile reads breach data of the given size from r, which must
// allow concurrent ReadAt calls if the BreachFile is used concurrently. It
// checks that the first and last lines are well formed.
func NewBreachFile(r io.ReaderAt, size int64, minCount int) (*BreachFile, error) {
	if size <= 0 {
		return nil, fmt.Errorf("open breach file: empty: %w", ErrBreachFile)
	}
	if minCount < 1 {
		minCount = 1
	}
	b := &BreachFile{r: r, size: size, minCount: minCount}

	if err := b.checkEnds(); err != nil {
		return nil, fmt.Errorf("open breach file: %w", err)
	}

	return b, nil
}

// Close closes the file opened by OpenBreachFile; for a BreachFile made by
// NewBreachFile it does nothing.
func (b *BreachFile) Close() error {
	if b.closer == nil {
		return nil
	}

	return b.closer.Close()
}

// Breached reports whether pw was seen at least minCount times, and the
// count found in the file (zero when absent).
func (b *BreachFile) Breached(pw string) (bool, int, error) {
	sum := sha1.Sum([]byte(pw))
	var key [hashHexLen]byte
	hex.Encode(key[:], sum[:])
	upper(key[:])

	count, err := b.lookup(key[:])
	if err != nil {
		return false, 0, fmt.Errorf("breach lookup: %w", err)
	}

	return count >= b.minCount, count, nil
}

// lookup returns the count on the line whose hash is key, or 0.
//
// Invariant: if key is in the file, its line starts in [lo, hi), and lo is
// always the start of a line.
func (b *BreachFile) lookup(key []byte) (int, error) {
	lo, hi := int64(0), b.size
	buf := make([]byte, probeLen)

	for hi-lo > scanLen {
		mid := lo + (hi-lo)/2
		line, start, err := b.lineAfter(buf, mid)
		if err != nil {
			return 0, err
		}
		if line == nil || start >= hi {
			// No line starts in [mid, hi).
			hi = mid
			continue
		}

		hash, count, err := parseLine(line, start)
		if err != nil {
			return 0, err
		}
		switch c := bytes.Compare(hash, key); {
		case c == 0:
			return count, nil
		case c < 0:
			lo = start + int64(len(line))
		default:
			hi = start
		}
	}

	return b.scan(key, lo, hi)
}

// lineAfter returns the first line starting at or after off, including its
// line ending, and where it starts. It returns a nil line when no line
// starts at or after off.
func (b *BreachFile) lineAfter(buf []byte, off int64) ([]byte, int64, error) {
	// Reading from off-1 finds a line that starts exactly at off.
	n, err := b.readAt(buf, off-1)
	if err != nil {
		return nil, 0, err
	}
	window := buf[:n]
	atEOF := off-1+int64(n) == b.size

	nl := bytes.IndexByte(window, '\n')
	if nl < 0 {
		if atEOF {
			return nil, 0, nil
		}
		return nil, 0, fmt.Errorf("line near byte %d too long: %w", off, ErrBreachFile)
	}
	start := off + int64(nl)
	rest := window[nl+1:]
	if len(rest) == 0 {
		return nil, 0, nil
	}

	end := bytes.IndexByte(rest, '\n')
	if end < 0 && !atEOF {
		return nil, 0, fmt.Errorf("line at byte %d too long: %w", start, ErrBreachFile)
	}
	if end >= 0 {
		rest = rest[:end+1]
	}

	return rest, start, nil
}

// scan reads [lo, hi) plus the tail of the last line and checks each line
// in turn.
func (b *BreachFile) scan(key []byte, lo, hi int64) (int, error) {
	end := min(hi+maxLineLen, b.size)
	buf := make([]byte, end-lo)
	n, err := b.readAt(buf, lo)
	if err != nil {
		return 0, err
	}
	buf = buf[:n]

	for off := lo; off < hi && len(buf) > 0; {
		line := buf
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line = buf[:i+1]
		} else if end < b.size {
			return 0, fmt.Errorf("line at byte %d too long: %w", off, ErrBreachFile)
		}

		hash, count, err := parseLine(line, off)
		if err != nil {
			return 0, err
		}
		switch c := bytes.Compare(hash, key); {
		case c == 0:
			return count, nil
		case c > 0:
			return 0, nil
		}

		off += int64(len(line))
		buf = buf[len(line):]
	}

	return 0, nil
}

// checkEnds parses the first and the last line, which catches files of the
// wrong format (hashes in lower case, NTLM, the k-anonymity range format)
// when they are opened rather than at the first lookup.
func (b *BreachFile) checkEnds() error {
	buf := make([]byte, min(probeLen, b.size))
	n, err := b.readAt(buf, 0)
	if err != nil {
		return err
	}
	first := buf[:n]
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i+1]
	}
	if _, _, err := parseLine(first, 0); err != nil {
		return err
	}

	from := max(b.size-int64(len(buf)), 0)
	n, err = b.readAt(buf, from)
	if err != nil {
		return err
	}
	tail := bytes.TrimSuffix(buf[:n], []byte("\n"))
	i := bytes.LastIndexByte(tail, '\n')
	if i < 0 && from > 0 {
		return fmt.Errorf("last line too long: %w", ErrBreachFile)
	}
	_, _, err = parseLine(tail[i+1:], from+int64(i+1))

	return err
}

// readAt fills as much of buf as the file holds from off.
func (b *BreachFile) readAt(buf []byte, off int64) (int, error) {
	n, err := b.r.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read breach file at %d: %w", off, err)
	}

	return n, nil
}

// parseLine splits one line, with or without its LF or CRLF ending, into
// its hash and count. off is only used in error messages.
func parseLine(line []byte, off int64) ([]byte, int, error) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	bad := func(why string) error {
		return fmt.Errorf("line at byte %d: %s: %w", off, why, ErrBreachFile)
	}

	if len(line) < hashHexLen+2 || line[hashHexLen] != ':' {
		return nil, 0, bad("not HASH:COUNT")
	}
	hash, digits := line[:hashHexLen], line[hashHexLen+1:]
	for _, c := range hash {
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return nil, 0, bad("hash is not upper-case hex")
		}
	}
	if len(digits) > maxDigits {
		return nil, 0, bad("count too large")
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, 0, bad("count is not a number")
		}
	}
	count, err := strconv.Atoi(string(digits))
	if err != nil {
		return nil, 0, bad("count is not a number")
	}

	return hash, count, nil
}

func upper(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
}
