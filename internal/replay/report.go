package replay

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
)

// ErrMismatch means the engine's book differed from the recorded one.
var ErrMismatch = errors.New("engine book differs from the recorded book")

// MismatchKind says what differed.
type MismatchKind uint8

// Kinds of mismatch.
const (
	// DepthMismatch: a visible level differs from the orderbook row.
	DepthMismatch MismatchKind = iota + 1
	// PriorityMismatch: an execution filled another order than the one the
	// message names first.
	PriorityMismatch
	// ExecutionShort: the engine could not fill the whole execution.
	ExecutionShort
	// AddRejected: a new order traded or was refused instead of resting.
	AddRejected
	// MissingOrder: a message names an order the file placed, but the
	// engine no longer holds it.
	MissingOrder
)

// Mismatch is one difference between the engine and the recording.
type Mismatch struct {
	Message int // row number in both files, from 1
	Kind    MismatchKind
	Side    engine.Side
	// Level (from 1), Want (recorded) and Got (engine) describe a
	// DepthMismatch; a zero Level value means the level is missing.
	Level     int
	Want, Got engine.Level
	// OrderID is the order the message names; MakerID is the order the
	// engine filled instead (PriorityMismatch); Short is the unfilled size
	// (ExecutionShort).
	OrderID, MakerID, Short int64
	// Outcome is the engine's answer to a rejected add.
	Outcome engine.Outcome
}

// String describes the mismatch on one line.
func (m Mismatch) String() string {
	switch m.Kind {
	case DepthMismatch:
		return fmt.Sprintf("message %d: %v level %d: want %s, got %s",
			m.Message, m.Side, m.Level, levelText(m.Want), levelText(m.Got))
	case PriorityMismatch:
		return fmt.Sprintf("message %d: execution of order %d filled order %d",
			m.Message, m.OrderID, m.MakerID)
	case ExecutionShort:
		return fmt.Sprintf("message %d: execution of order %d left %d lots unfilled",
			m.Message, m.OrderID, m.Short)
	case MissingOrder:
		return fmt.Sprintf("message %d: order %d no longer rests in the engine",
			m.Message, m.OrderID)
	case AddRejected:
		return fmt.Sprintf("message %d: new order %d did not rest: %v",
			m.Message, m.OrderID, m.Outcome)
	}
	return fmt.Sprintf("message %d: mismatch kind %d", m.Message, m.Kind)
}

func levelText(l engine.Level) string {
	if l == (engine.Level{}) {
		return "none"
	}
	return fmt.Sprintf("%d@%d", l.Quantity, l.Price)
}

// Resync is a level deeper than the previous row showed that came into view
// with a size the engine could not know; the engine's level was set to it.
type Resync struct {
	Message  int
	Side     engine.Side
	Price    int64
	From, To int64 // engine lots before and after
}

// String describes the resync on one line.
func (r Resync) String() string {
	return fmt.Sprintf("message %d: %v %d resynced %d -> %d",
		r.Message, r.Side, r.Price, r.From, r.To)
}

// Report sums up a replay.
type Report struct {
	Messages   int
	Trades     int // fills the engine produced
	Mismatches int
	Resyncs    int
	// Details and ResyncDetails hold the first few of each.
	Details       []Mismatch
	ResyncDetails []Resync
	Elapsed       time.Duration
}

// MessagesPerSecond is the replay throughput.
func (r *Report) MessagesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Elapsed.Seconds()
}

// Err returns an error wrapping ErrMismatch when any mismatch was found.
func (r *Report) Err() error {
	if r.Mismatches == 0 {
		return nil
	}
	return fmt.Errorf("%d mismatches: %w", r.Mismatches, ErrMismatch)
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "messages:    %d\ntrades:      %d\nmismatches:  %d\n", r.Messages, r.Trades, r.Mismatches)
	fmt.Fprintf(&b, "resyncs:     %d\nelapsed:     %v\nmessages/s:  %.0f\n",
		r.Resyncs, r.Elapsed, r.MessagesPerSecond())
	if len(r.Details) > 0 {
		b.WriteString("first mismatches:\n")
		for _, m := range r.Details {
			fmt.Fprintf(&b, "  %v\n", m)
		}
	}
	if len(r.ResyncDetails) > 0 {
		b.WriteString("first resyncs:\n")
		for _, s := range r.ResyncDetails {
			fmt.Fprintf(&b, "  %v\n", s)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
