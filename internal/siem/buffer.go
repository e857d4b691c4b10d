package siem

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	segmentExt  = ".jsonl"
	positionExt = ".pos"

	// firstSegment numbers the first segment of an empty buffer. Starting
	// far from zero leaves room for segments written in front of it at
	// shutdown (prepend).
	firstSegment = int64(1) << 32

	// maxSegmentBytes bounds one segment file.
	maxSegmentBytes = 8 << 20
)

// diskBuffer is the bounded on-disk queue of one sink: append-only
// segment files of JSON lines, read oldest first. The delivered prefix of
// the oldest segment is recorded in a small position file next to it, so a
// restart resumes where delivery stopped; a segment is deleted once all of
// it is delivered. The caller serialises every method.
type diskBuffer struct {
	dir      string
	maxBytes int64
	segMax   int64

	segs    []*segment // oldest first
	size    int64      // bytes of all segment files
	nextSeq int64

	w    *os.File // append handle of the last segment, if writable
	r    *os.File // read handle of segs[0]
	rSeq int64
}

type segment struct {
	seq      int64
	size     int64
	pos      int64 // bytes already delivered
	writable bool  // created by this process and still appended to
}

// readToken marks how far a read got, to be committed once delivered.
type readToken struct {
	seq int64
	pos int64
}

// openDiskBuffer opens (creating if needed) the buffer in dir and loads
// the segments a previous run left there.
func openDiskBuffer(dir string, maxBytes int64) (*diskBuffer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create buffer dir: %w", err)
	}
	b := &diskBuffer{
		dir:      dir,
		maxBytes: maxBytes,
		segMax:   min(max(maxBytes/8, 1), maxSegmentBytes),
		nextSeq:  firstSegment,
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read buffer dir: %w", err)
	}
	for _, e := range entries {
		if err := b.load(e); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(b.segs, func(x, y *segment) int { return cmp.Compare(x.seq, y.seq) })
	for len(b.segs) > 0 && b.segs[0].pos >= b.segs[0].size {
		if err := b.removeHead(); err != nil {
			return nil, err
		}
	}
	if n := len(b.segs); n > 0 {
		b.nextSeq = b.segs[n-1].seq + 1
	}
	return b, nil
}

// load adds one directory entry: a segment, or a leftover to clean up.
func (b *diskBuffer) load(e fs.DirEntry) error {
	name := e.Name()
	seqText, isSeg := strings.CutSuffix(name, segmentExt)
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !isSeg || err != nil || !e.Type().IsRegular() {
		return b.removeLeftover(name)
	}

	info, err := e.Info()
	if err != nil {
		return fmt.Errorf("stat buffer segment: %w", err)
	}
	s := &segment{seq: seq, size: info.Size()}
	s.pos = min(b.readPosition(seq), s.size)
	b.segs = append(b.segs, s)
	b.size += s.size
	return nil
}

// removeLeftover deletes temporary files and position files whose
// segment is gone; anything else in the directory is left alone.
func (b *diskBuffer) removeLeftover(name string) error {
	path := filepath.Join(b.dir, name)
	if strings.HasSuffix(name, ".tmp") {
		return os.Remove(path)
	}
	seqText, isPos := strings.CutSuffix(name, positionExt)
	if !isPos {
		return nil
	}
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil {
		return nil
	}
	_, err = os.Stat(b.path(seq, segmentExt))
	if errors.Is(err, fs.ErrNotExist) {
		return os.Remove(path)
	}
	return nil
}

func (b *diskBuffer) readPosition(seq int64) int64 {
	data, err := os.ReadFile(b.path(seq, positionExt))
	if err != nil {
		return 0
	}
	pos, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || pos < 0 {
		return 0
	}
	return pos
}

func (b *diskBuffer) path(seq int64, ext string) string {
	return filepath.Join(b.dir, fmt.Sprintf("%020d%s", seq, ext))
}

// bytes returns the bytes the buffer occupies on disk.
func (b *diskBuffer) bytes() int64 { return b.size }

// empty reports whether everything stored has been delivered.
func (b *diskBuffer) empty() bool {
	for _, s := range b.segs {
		if s.pos < s.size {
			return false
		}
	}
	return true
}

// append stores one JSON line at the end, or fails with ErrBufferFull.
func (b *diskBuffer) append(line []byte) error {
	n := int64(len(line))
	if b.size+n > b.maxBytes {
		return ErrBufferFull
	}

	last := b.last()
	if last == nil || !last.writable || last.size >= b.segMax {
		var err error
		if last, err = b.newWriter(); err != nil {
			return err
		}
	}

	if _, err := b.w.Write(line); err != nil {
		// Cut a partial line off so the segment stays line-aligned.
		_ = b.w.Truncate(last.size)
		return fmt.Errorf("write buffer segment: %w", err)
	}
	last.size += n
	b.size += n
	return nil
}

func (b *diskBuffer) last() *segment {
	if len(b.segs) == 0 {
		return nil
	}
	return b.segs[len(b.segs)-1]
}

func (b *diskBuffer) newWriter() (*segment, error) {
	b.closeWriter()

	seq := b.nextSeq
	f, err := os.OpenFile(b.path(seq, segmentExt), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create buffer segment: %w", err)
	}
	b.nextSeq++
	b.w = f
	s := &segment{seq: seq, writable: true}
	b.segs = append(b.segs, s)
	return s, nil
}

func (b *diskBuffer) closeWriter() {
	if b.w != nil {
		_ = b.w.Close()
		b.w = nil
	}
	if last := b.last(); last != nil {
		last.writable = false
	}
}

// prepend stores lines in front of everything else, for events that are
// older than the buffer's content (still in memory at shutdown). Lines past
// the size limit are left out and counted.
func (b *diskBuffer) prepend(lines [][]byte) (dropped int, err error) {
	var data []byte
	for i, line := range lines {
		if b.size+int64(len(data)+len(line)) > b.maxBytes {
			dropped = len(lines) - i
			break
		}
		data = append(data, line...)
	}
	if len(data) == 0 {
		return dropped, nil
	}

	seq := b.nextSeq
	if len(b.segs) > 0 {
		seq = b.segs[0].seq - 1
	}
	final := b.path(seq, segmentExt)
	if err := writeFileAtomic(final, data); err != nil {
		return len(lines), fmt.Errorf("write buffer segment: %w", err)
	}

	b.segs = slices.Insert(b.segs, 0, &segment{seq: seq, size: int64(len(data))})
	b.size += int64(len(data))
	if len(b.segs) == 1 {
		b.nextSeq = seq + 1
	}
	return dropped, nil
}

// read returns up to max events from the oldest undelivered segment and
// a token to commit once they are delivered. Lines that do not decode (a
// torn write before a crash) are skipped and counted in corrupt.
func (b *diskBuffer) read(max int) (evs []Event, tok readToken, corrupt int, err error) {
	for len(b.segs) > 0 {
		head := b.segs[0]
		if head.pos >= head.size {
			if head.writable {
				return nil, readToken{}, corrupt, nil
			}
			if err := b.removeHead(); err != nil {
				return nil, readToken{}, corrupt, err
			}
			continue
		}

		evs, end, bad, err := b.readSegment(head, max)
		corrupt += bad
		if err != nil {
			return nil, readToken{}, corrupt, err
		}
		tok = readToken{seq: head.seq, pos: end}
		if len(evs) > 0 {
			return evs, tok, corrupt, nil
		}
		if err := b.commit(tok); err != nil {
			return nil, readToken{}, corrupt, err
		}
	}
	return nil, readToken{}, corrupt, nil
}

func (b *diskBuffer) readSegment(s *segment, max int) ([]Event, int64, int, error) {
	if b.r == nil || b.rSeq != s.seq {
		b.closeReader()
		f, err := os.Open(b.path(s.seq, segmentExt))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("open buffer segment: %w", err)
		}
		b.r, b.rSeq = f, s.seq
	}

	br := bufio.NewReader(io.NewSectionReader(b.r, s.pos, s.size-s.pos))
	end := s.pos
	var evs []Event
	corrupt := 0
	for len(evs) < max {
		line, err := br.ReadBytes('\n')
		end += int64(len(line))
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				corrupt++ // a line cut short by a crash
			}
			break
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("read buffer segment: %w", err)
		}

		var ev Event
		if json.Unmarshal(line, &ev) != nil {
			corrupt++
			continue
		}
		evs = append(evs, ev)
	}
	return evs, end, corrupt, nil
}

// commit records that everything before tok is delivered, deleting the
// segment when it is used up.
func (b *diskBuffer) commit(tok readToken) error {
	if len(b.segs) == 0 || b.segs[0].seq != tok.seq {
		return nil
	}
	head := b.segs[0]
	head.pos = tok.pos

	if head.pos < head.size {
		return writeFileAtomic(b.path(head.seq, positionExt), []byte(strconv.FormatInt(head.pos, 10)))
	}
	if head.writable {
		// Everything written so far is delivered: start afresh so the
		// disk holds nothing while the sink keeps up.
		b.closeWriter()
	}
	return b.removeHead()
}

func (b *diskBuffer) removeHead() error {
	head := b.segs[0]
	if b.rSeq == head.seq {
		b.closeReader()
	}
	if head.writable {
		b.closeWriter()
	}
	b.segs = b.segs[1:]
	b.size -= head.size

	err := os.Remove(b.path(head.seq, segmentExt))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove buffer segment: %w", err)
	}
	err = os.Remove(b.path(head.seq, positionExt))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove buffer position: %w", err)
	}
	return nil
}

func (b *diskBuffer) closeReader() {
	if b.r != nil {
		_ = b.r.Close()
		b.r = nil
	}
}

// close releases the file handles; the files stay for the next start.
func (b *diskBuffer) close() {
	b.closeReader()
	b.closeWriter()
}

// writeFileAtomic replaces path with data through a temporary file, so a
// crash leaves either the old or the new content.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
