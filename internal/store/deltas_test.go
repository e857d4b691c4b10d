package store

import (
	"errors"
	"slices"
	"testing"
)

func TestNetEntries(t *testing.T) {
	tests := []struct {
		name    string
		entries [][4]int64 // user, asset index, amount, reserved
		want    []BalanceDelta
		wantErr error
	}{
		{"empty", nil, nil, nil},
		{"sorted by user then asset", [][4]int64{{2, 0, 5, 0}, {1, 1, 1, 1}, {1, 0, 3, 0}},
			[]BalanceDelta{{UserID: 1, Asset: "BTC", Total: 3},
				{UserID: 1, Asset: "USD", Total: 1, Reserved: 1}, {UserID: 2, Asset: "BTC", Total: 5}}, nil},
		{"netted", [][4]int64{{1, 1, 10, 4}, {1, 1, -3, -4}}, []BalanceDelta{{UserID: 1, Asset: "USD", Total: 7}}, nil},
		{"zero net kept", [][4]int64{{1, 1, 10, 0}, {1, 1, -10, 0}}, []BalanceDelta{{UserID: 1, Asset: "USD"}}, nil},
		{"overflow", [][4]int64{{1, 1, 1 << 62, 0}, {1, 1, 1 << 62, 0}}, nil, ErrAmountOverflow},
	}
	assets := []string{"BTC", "USD"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var entries []LedgerEntry
			for _, e := range tt.entries {
				entries = append(entries, LedgerEntry{UserID: e[0], Asset: assets[e[1]],
					Amount: e[2], Reserved: e[3]})
			}
			got, err := NetEntries(entries)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("deltas = %+v, want %+v", got, tt.want)
			}
		})
	}
}
