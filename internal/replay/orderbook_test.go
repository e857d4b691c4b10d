package replay_test

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/engine"
	"github.com/octopus-venue/octopus/internal/replay"
)

func lv(price, qty int64) engine.Level {
	return engine.Level{Price: price, Quantity: qty}
}

func TestParseBookRow(t *testing.T) {
	cases := []struct {
		name     string
		input    string
		levels   int
		wantAsks []engine.Level
		wantBids []engine.Level
		wantErr  bool
	}{
		{
			name:     "two full levels",
			input:    "10100,60,9900,60,10200,40,9800,30",
			levels:   2,
			wantAsks: []engine.Level{lv(10100, 60), lv(10200, 40)},
			wantBids: []engine.Level{lv(9900, 60), lv(9800, 30)},
		},
		{
			name:     "empty deeper levels",
			input:    "10100,60,9900,60,9999999999,0,-9999999999,0",
			levels:   2,
			wantAsks: []engine.Level{lv(10100, 60)},
			wantBids: []engine.Level{lv(9900, 60)},
		},
		{
			name:     "one side empty",
			input:    "9999999999,0,9900,60,9999999999,0,9800,30",
			levels:   2,
			wantBids: []engine.Level{lv(9900, 60), lv(9800, 30)},
		},
		{name: "too few fields", input: "10100,60,9900,60,10200,40,9800", levels: 2, wantErr: true},
		{name: "too many fields", input: "10100,60,9900,60,10200,40,9800,30,1", levels: 2, wantErr: true},
		{name: "level after empty one", input: "9999999999,0,9900,60,10200,40,9800,30", levels: 2, wantErr: true},
		{name: "asks not rising", input: "10200,60,9900,60,10100,40,9800,30", levels: 2, wantErr: true},
		{name: "bids not falling", input: "10100,60,9800,60,10200,40,9800,30", levels: 2, wantErr: true},
		{name: "crossed", input: "10100,60,10100,60,10200,40,9800,30", levels: 2, wantErr: true},
		{name: "empty level with size", input: "10100,60,9900,60,9999999999,5,9800,30", levels: 2, wantErr: true},
		{name: "bid sentinel on ask side", input: "-9999999999,0,9900,60", levels: 1, wantErr: true},
		{name: "zero size", input: "10100,0,9900,60", levels: 1, wantErr: true},
		{name: "not a number", input: "10100,6x,9900,60", levels: 1, wantErr: true},
		{name: "no levels", input: "10100,60,9900,60", levels: 0, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var row replay.BookRow
			err := replay.ParseBookRow([]byte(tc.input), tc.levels, &row)
			if tc.wantErr {
				if !errors.Is(err, replay.ErrSyntax) {
					t.Fatalf("ParseBookRow(%q) error = %v, want ErrSyntax", tc.input, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(row.Asks, tc.wantAsks) || !slices.Equal(row.Bids, tc.wantBids) {
				t.Fatalf("row = %+v, want asks %+v bids %+v", row, tc.wantAsks, tc.wantBids)
			}
			if !slices.Equal(row.Side(engine.Sell), row.Asks) || !slices.Equal(row.Side(engine.Buy), row.Bids) {
				t.Fatal("Side does not return the side's levels")
			}
		})
	}
}

func TestBookReaderNamesLine(t *testing.T) {
	input := "10100,60,9900,60\n10100,50,9900,60\n10100,50,99x0,60\n"
	r := replay.NewBookReader(strings.NewReader(input), 1)
	var row replay.BookRow
	for want := range 2 {
		if err := r.Next(&row); err != nil {
			t.Fatalf("row %d: %v", want+1, err)
		}
	}
	if row.Asks[0] != lv(10100, 50) {
		t.Fatalf("second row asks = %+v", row.Asks)
	}
	err := r.Next(&row)
	if !errors.Is(err, replay.ErrSyntax) || !strings.Contains(err.Error(), "orderbook line 3") {
		t.Fatalf("error = %v, want ErrSyntax naming line 3", err)
	}
	if r.Line() != 3 {
		t.Fatalf("Line = %d, want 3", r.Line())
	}
}

func TestBookReaderEOF(t *testing.T) {
	r := replay.NewBookReader(strings.NewReader("10100,60,9900,60"), 1)
	var row replay.BookRow
	if err := r.Next(&row); err != nil {
		t.Fatal(err)
	}
	if err := r.Next(&row); err != io.EOF {
		t.Fatalf("error = %v, want io.EOF", err)
	}
}
