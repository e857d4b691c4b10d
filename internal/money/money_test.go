package money

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    int64
		wantErr error
	}{
		{name: "whole", input: "12", want: 12 * One},
		{name: "fraction", input: "0.5", want: One / 2},
		{name: "full precision", input: "1.00000001", want: One + 1},
		{name: "zero", input: "0", want: 0},
		{name: "too many decimals", input: "1.000000001", wantErr: ErrPrecision},
		{name: "empty", input: "", wantErr: ErrSyntax},
		{name: "sign", input: "-1", wantErr: ErrSyntax},
		{name: "plus", input: "+1", wantErr: ErrSyntax},
		{name: "exponent", input: "1e5", wantErr: ErrSyntax},
		{name: "leading dot", input: ".5", wantErr: ErrSyntax},
		{name: "trailing dot", input: "5.", wantErr: ErrSyntax},
		{name: "space", input: " 5", wantErr: ErrSyntax},
		{name: "two dots", input: "1.2.3", wantErr: ErrSyntax},
		{name: "overflow", input: "92233720369", wantErr: ErrOverflow},
		{name: "largest", input: "92233720368.54775807", want: 9223372036854775807},
		{name: "huge", input: "99999999999999999999999999999999999999999", wantErr: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.input)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.input, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("Parse(%q) = %d, want %d", tt.input, got, tt.want)
			}
		})
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, s := range []string{"0", "1", "0.5", "150.25", "1.00000001", "92233720368.54775807"} {
		v, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got := Format(v); got != s {
			t.Errorf("Format(Parse(%q)) = %q", s, got)
		}
	}
	if got := FormatFixed(-150*One, 2); got != "-150.00" {
		t.Errorf("FormatFixed negative = %q", got)
	}
}

func TestInstrument(t *testing.T) {
	in := Instrument{TickSize: One / 100, LotSize: One}
	if err := in.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	ticks, err := in.Ticks("150.25")
	if err != nil || ticks != 15025 {
		t.Fatalf("Ticks = %d, %v", ticks, err)
	}
	if _, err := in.Ticks("150.255"); !errors.Is(err, ErrOffStep) {
		t.Fatalf("off tick error = %v", err)
	}
	if _, err := in.Lots("1.5"); !errors.Is(err, ErrOffStep) {
		t.Fatalf("off lot error = %v", err)
	}
	if _, err := in.Lots("0"); !errors.Is(err, ErrNotPositive) {
		t.Fatalf("zero lots error = %v", err)
	}
	n, err := in.Notional(15025, 10)
	if err != nil || n != 1502_50000000 {
		t.Fatalf("Notional = %d, %v", n, err)
	}
	if _, err := in.Notional(1<<40, 1<<40); !errors.Is(err, ErrOverflow) {
		t.Fatalf("overflow error = %v", err)
	}
	if got := in.FormatPrice(15025); got != "150.25" {
		t.Fatalf("FormatPrice = %q", got)
	}
	fine := Instrument{TickSize: 1, LotSize: 1}
	if err := fine.Validate(); !errors.Is(err, ErrInstrument) {
		t.Fatalf("too fine instrument accepted: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "0.5", "150.25", "1e5", "-1", "92233720368.54775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		if v < 0 {
			t.Fatalf("Parse(%q) = %d, negative", s, v)
		}
		back, err := Parse(Format(v))
		if err != nil || back != v {
			t.Fatalf("round trip of %q: %d -> %q -> %d, %v", s, v, Format(v), back, err)
		}
	})
}
