package replay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
)

// ErrSyntax marks a row that does not follow the LOBSTER format.
var ErrSyntax = errors.New("invalid syntax")

// EventType is the type column of a LOBSTER message.
type EventType uint8

// LOBSTER event types.
const (
	NewOrder       EventType = 1 // submission of a new limit order
	PartialCancel  EventType = 2 // cancellation of part of an order
	Delete         EventType = 3 // deletion of an order
	ExecuteVisible EventType = 4 // execution of a visible order
	ExecuteHidden  EventType = 5 // execution of a hidden order
	CrossTrade     EventType = 6 // cross or auction trade
	TradingHalt    EventType = 7 // trading halt, quote or resume indicator
)

// Message is one row of a LOBSTER message file.
type Message struct {
	// Time is the time after midnight, to the nanosecond.
	Time    time.Duration
	Type    EventType
	OrderID int64
	Size    int64
	// Price is in 1/10000 dollar, used as the engine's tick. Trading halt
	// rows carry -1 (halt), 0 (quote) or 1 (resume) here.
	Price int64
	// Direction is 1 for a buy order and -1 for a sell order; for an
	// execution it is the side of the resting order that was hit.
	Direction int8
}

// Side returns the engine side of the order the message refers to.
func (m Message) Side() engine.Side {
	if m.Direction == 1 {
		return engine.Buy
	}
	return engine.Sell
}

// messageFields is the number of columns in a message row.
const messageFields = 6

// ParseMessage parses one message row (without its line break).
func ParseMessage(line []byte) (Message, error) {
	var f [messageFields][]byte
	if err := splitFields(line, f[:]); err != nil {
		return Message{}, err
	}
	var m Message
	var err error
	if m.Time, err = parseTime(f[0]); err != nil {
		return Message{}, err
	}
	typ, err := parseInt(f[1], "type")
	if err != nil {
		return Message{}, err
	}
	if typ < int64(NewOrder) || typ > int64(TradingHalt) {
		return Message{}, fmt.Errorf("type %d not in 1..7: %w", typ, ErrSyntax)
	}
	m.Type = EventType(typ)
	if m.OrderID, err = parseInt(f[2], "order id"); err != nil {
		return Message{}, err
	}
	if m.Size, err = parseInt(f[3], "size"); err != nil {
		return Message{}, err
	}
	if m.Price, err = parseInt(f[4], "price"); err != nil {
		return Message{}, err
	}
	dir, err := parseInt(f[5], "direction")
	if err != nil {
		return Message{}, err
	}
	if dir != 1 && dir != -1 {
		return Message{}, fmt.Errorf("direction %d not 1 or -1: %w", dir, ErrSyntax)
	}
	m.Direction = int8(dir)
	return m, m.check()
}

// check applies the per-type rules: orders the book knows have an id, a
// positive size and a positive price; hidden and cross trades may have id 0.
func (m Message) check() error {
	switch m.Type {
	case TradingHalt:
		if m.Price < -1 || m.Price > 1 {
			return fmt.Errorf("halt indicator %d not in -1..1: %w", m.Price, ErrSyntax)
		}
		return nil
	case ExecuteHidden, CrossTrade:
		if m.OrderID < 0 {
			return fmt.Errorf("order id %d negative: %w", m.OrderID, ErrSyntax)
		}
	default:
		if m.OrderID <= 0 {
			return fmt.Errorf("order id %d not positive: %w", m.OrderID, ErrSyntax)
		}
	}
	if m.Size <= 0 {
		return fmt.Errorf("size %d not positive: %w", m.Size, ErrSyntax)
	}
	if m.Price <= 0 {
		return fmt.Errorf("price %d not positive: %w", m.Price, ErrSyntax)
	}
	return nil
}

// MessageReader streams a LOBSTER message file row by row.
type MessageReader struct {
	sc   *bufio.Scanner
	line int
}

// NewMessageReader returns a reader of message rows from r.
func NewMessageReader(r io.Reader) *MessageReader {
	return &MessageReader{sc: newScanner(r)}
}

// Next returns the next message. It returns io.EOF after the last row; other
// errors name the line.
func (r *MessageReader) Next() (Message, error) {
	line, err := nextLine(r.sc, &r.line)
	if err != nil {
		return Message{}, err
	}
	m, err := ParseMessage(line)
	if err != nil {
		return Message{}, fmt.Errorf("messages line %d: %w", r.line, err)
	}
	return m, nil
}

// Line returns the number of the last line read, counting from 1.
func (r *MessageReader) Line() int {
	return r.line
}

// maxLine bounds one row; a 200-level book row is about 10 KiB.
const maxLine = 1 << 20

func newScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return sc
}

// nextLine returns the next line without its CR LF, counting lines. Blank
// lines are errors: LOBSTER files have none.
func nextLine(sc *bufio.Scanner, line *int) ([]byte, error) {
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("line %d: %w", *line+1, err)
		}
		return nil, io.EOF
	}
	*line++
	b := sc.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("line %d: empty line: %w", *line, ErrSyntax)
	}
	return b, nil
}

// splitFields cuts line at commas into exactly len(dst) fields.
func splitFields(line []byte, dst [][]byte) error {
	n := 0
	start := 0
	for i, c := range line {
		if c != ',' {
			continue
		}
		if n == len(dst)-1 {
			return fmt.Errorf("more than %d fields: %w", len(dst), ErrSyntax)
		}
		dst[n] = line[start:i]
		n++
		start = i + 1
	}
	if n != len(dst)-1 {
		return fmt.Errorf("%d fields, want %d: %w", n+1, len(dst), ErrSyntax)
	}
	dst[n] = line[start:]
	return nil
}

// parseInt parses a decimal int64 field, naming the field on failure.
func parseInt(b []byte, field string) (int64, error) {
	n, ok := parseDigits(b)
	if !ok {
		return 0, fmt.Errorf("%s %q: %w", field, b, ErrSyntax)
	}
	return n, nil
}

// parseDigits parses a decimal int64 with an optional minus sign, strictly:
// no plus sign, no spaces, not empty. It works on bytes to avoid allocating.
func parseDigits(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	// 19 digits always fit in a uint64; the int64 range is checked here.
	switch {
	case neg && u == 1<<63:
		return -1 << 63, true
	case u > 1<<63-1:
		return 0, false
	case neg:
		return -int64(u), true
	}
	return int64(u), true
}

// maxTimeSeconds bounds the seconds so that nanoseconds fit in an int64.
const maxTimeSeconds = 1 << 32

// parseTime parses seconds after midnight with up to nine decimals into a
// duration, without floating point.
func parseTime(b []byte) (time.Duration, error) {
	whole, frac := b, []byte(nil)
	for i, c := range b {
		if c == '.' {
			whole, frac = b[:i], b[i+1:]
			if len(frac) == 0 {
				return 0, fmt.Errorf("time %q: %w", b, ErrSyntax)
			}
			break
		}
	}
	if len(whole) == 0 || whole[0] == '-' || len(frac) > 9 {
		return 0, fmt.Errorf("time %q: %w", b, ErrSyntax)
	}
	sec, ok := parseDigits(whole)
	if !ok || sec >= maxTimeSeconds {
		return 0, fmt.Errorf("time %q out of range: %w", b, ErrSyntax)
	}
	var ns int64
	for i := range 9 {
		ns *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("time %q: %w", b, ErrSyntax)
			}
			ns += int64(c - '0')
		}
	}
	return time.Duration(sec)*time.Second + time.Duration(ns), nil
}
