package replay_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/engine"
	"github.com/octopus-venue/octopus/internal/replay"
)

func TestParseMessage(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		want    replay.Message
		wantErr bool
	}{
		{
			name:  "new limit order",
			input: "34200.004241176,1,16113575,18,5853300,1",
			want: replay.Message{Time: 34200*time.Second + 4241176*time.Nanosecond,
				Type: replay.NewOrder, OrderID: 16113575, Size: 18, Price: 5853300, Direction: 1},
		},
		{
			name:  "short fraction and sell",
			input: "34201.00965512,3,42,200,5857500,-1",
			want: replay.Message{Time: 34201*time.Second + 9655120*time.Nanosecond,
				Type: replay.Delete, OrderID: 42, Size: 200, Price: 5857500, Direction: -1},
		},
		{
			name:  "whole seconds",
			input: "34203,4,1,4,10100,-1",
			want: replay.Message{Time: 34203 * time.Second, Type: replay.ExecuteVisible,
				OrderID: 1, Size: 4, Price: 10100, Direction: -1},
		},
		{
			name:  "hidden execution without id",
			input: "34200.275072491,5,0,100,5857900,-1",
			want: replay.Message{Time: 34200*time.Second + 275072491*time.Nanosecond,
				Type: replay.ExecuteHidden, Size: 100, Price: 5857900, Direction: -1},
		},
		{
			name:  "trading halt",
			input: "34203.5,7,0,0,-1,-1",
			want: replay.Message{Time: 34203*time.Second + 500*time.Millisecond,
				Type: replay.TradingHalt, Price: -1, Direction: -1},
		},
		{name: "too few fields", input: "34200.1,1,5,18,5853300", wantErr: true},
		{name: "too many fields", input: "34200.1,1,5,18,5853300,1,9", wantErr: true},
		{name: "empty field", input: "34200.1,1,,18,5853300,1", wantErr: true},
		{name: "unknown type", input: "34200.1,8,5,18,5853300,1", wantErr: true},
		{name: "type zero", input: "34200.1,0,5,18,5853300,1", wantErr: true},
		{name: "direction zero", input: "34200.1,1,5,18,5853300,0", wantErr: true},
		{name: "direction two", input: "34200.1,1,5,18,5853300,2", wantErr: true},
		{name: "plus sign", input: "34200.1,1,+5,18,5853300,1", wantErr: true},
		{name: "space", input: "34200.1,1,5, 18,5853300,1", wantErr: true},
		{name: "decimal price", input: "34200.1,1,5,18,585.33,1", wantErr: true},
		{name: "zero size add", input: "34200.1,1,5,0,5853300,1", wantErr: true},
		{name: "negative size", input: "34200.1,2,5,-3,5853300,1", wantErr: true},
		{name: "zero price add", input: "34200.1,1,5,18,0,1", wantErr: true},
		{name: "zero id delete", input: "34200.1,3,0,18,5853300,1", wantErr: true},
		{name: "negative hidden id", input: "34200.1,5,-1,18,5853300,1", wantErr: true},
		{name: "halt indicator out of range", input: "34200.1,7,0,0,2,-1", wantErr: true},
		{name: "ten decimals", input: "34200.0000000001,1,5,18,5853300,1", wantErr: true},
		{name: "negative time", input: "-1.5,1,5,18,5853300,1", wantErr: true},
		{name: "dot without decimals", input: "34200.,1,5,18,5853300,1", wantErr: true},
		{name: "no seconds", input: ".5,1,5,18,5853300,1", wantErr: true},
		{name: "letters in time", input: "34200.5e3,1,5,18,5853300,1", wantErr: true},
		{name: "id overflows", input: "34200.1,1,9223372036854775808,18,5853300,1", wantErr: true},
		{name: "empty line", input: "", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := replay.ParseMessage([]byte(tc.input))
			if tc.wantErr {
				if !errors.Is(err, replay.ErrSyntax) {
					t.Fatalf("ParseMessage(%q) = %+v, %v; want ErrSyntax", tc.input, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseMessage(%q) = %+v, %v; want %+v", tc.input, got, err, tc.want)
			}
		})
	}
}

func TestMessageSide(t *testing.T) {
	if s := (replay.Message{Direction: 1}).Side(); s != engine.Buy {
		t.Fatalf("direction 1 side = %v", s)
	}
	if s := (replay.Message{Direction: -1}).Side(); s != engine.Sell {
		t.Fatalf("direction -1 side = %v", s)
	}
}

func TestMessageReader(t *testing.T) {
	cases := []struct {
		name      string
		input     string
		wantCount int
		wantErr   string // substring; empty means clean io.EOF
	}{
		{"two rows", "34200.1,1,5,18,5853300,1\n34200.2,3,5,18,5853300,1\n", 2, ""},
		{"last row without newline", "34200.1,1,5,18,5853300,1\n34200.2,3,5,18,5853300,1", 2, ""},
		{"CRLF line ends", "34200.1,1,5,18,5853300,1\r\n34200.2,3,5,18,5853300,1\r\n", 2, ""},
		{"bad row names its line", "34200.1,1,5,18,5853300,1\n34200.2,3,5,x,5853300,1\n", 1,
			`messages line 2: size "x"`},
		{"blank line", "34200.1,1,5,18,5853300,1\n\n34200.2,3,5,18,5853300,1\n", 1,
			"line 2: empty line"},
		{"empty file", "", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := replay.NewMessageReader(strings.NewReader(tc.input))
			count := 0
			var err error
			for {
				if _, err = r.Next(); err != nil {
					break
				}
				count++
			}
			if count != tc.wantCount {
				t.Fatalf("read %d rows, want %d", count, tc.wantCount)
			}
			if tc.wantErr == "" {
				if err != io.EOF {
					t.Fatalf("end error = %v, want io.EOF", err)
				}
				return
			}
			if !errors.Is(err, replay.ErrSyntax) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want ErrSyntax containing %q", err, tc.wantErr)
			}
		})
	}
}

func formatMessage(m replay.Message) string {
	return fmt.Sprintf("%d.%09d,%d,%d,%d,%d,%d",
		m.Time/time.Second, m.Time%time.Second, m.Type, m.OrderID, m.Size, m.Price, m.Direction)
}

// FuzzParseMessage checks that the parser never panics and that whatever
// it accepts is a valid message that survives a format and parse round trip.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		"34200.004241176,1,16113575,18,5853300,1",
		"34200.275072491,5,0,100,5857900,-1",
		"34203.5,7,0,0,-1,-1",
		"34201,2,1,2,10100,-1",
		"1.,1,1,1,1,1",
		"34200.1,1,-9223372036854775808,1,1,1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := replay.ParseMessage(line)
		if err != nil {
			if !errors.Is(err, replay.ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if m.Type < replay.NewOrder || m.Type > replay.TradingHalt || m.Time < 0 ||
			(m.Direction != 1 && m.Direction != -1) {
			t.Fatalf("accepted invalid message %+v from %q", m, line)
		}
		again, err := replay.ParseMessage([]byte(formatMessage(m)))
		if err != nil || again != m {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", line, again, err, m)
		}
	})
}
