package ledger

import (
	"errors"
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
)

func TestApplyIsAllOrNothing(t *testing.T) {
	l := New([]store.Balance{{UserID: 1, Asset: "USD", Total: 100}})
	tests := []struct {
		name    string
		entries []store.LedgerEntry
		wantErr error
		want    store.Balance
	}{
		{
			name:    "reserve within available",
			entries: []store.LedgerEntry{{UserID: 1, Asset: "USD", Reserved: 60}},
			want:    store.Balance{UserID: 1, Asset: "USD", Total: 100, Reserved: 60},
		},
		{
			name:    "reserve beyond available",
			entries: []store.LedgerEntry{{UserID: 1, Asset: "USD", Reserved: 41}},
			wantErr: ErrInsufficientFunds,
			want:    store.Balance{UserID: 1, Asset: "USD", Total: 100, Reserved: 60},
		},
		{
			name: "second entry fails so first is not applied",
			entries: []store.LedgerEntry{
				{UserID: 1, Asset: "USD", Amount: 50},
				{UserID: 2, Asset: "USD", Amount: -1},
			},
			wantErr: ErrInsufficientFunds,
			want:    store.Balance{UserID: 1, Asset: "USD", Total: 100, Reserved: 60},
		},
		{
			name: "settle reserved funds",
			entries: []store.LedgerEntry{
				{UserID: 1, Asset: "USD", Amount: -60, Reserved: -60},
				{UserID: 2, Asset: "USD", Amount: 60},
			},
			want: store.Balance{UserID: 1, Asset: "USD", Total: 40},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.Apply(tt.entries)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Apply error = %v, want %v", err, tt.wantErr)
			}
			if got := l.Balance(1, "USD"); got != tt.want {
				t.Fatalf("balance = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := l.Totals()["USD"].Total; got != 100 {
		t.Fatalf("USD created or destroyed: total %d", got)
	}
}

func TestRevert(t *testing.T) {
	l := New(nil)
	e := []store.LedgerEntry{{UserID: 1, Asset: "AAPL", Amount: 10, Reserved: 4}}
	if err := l.Apply(e); err != nil {
		t.Fatal(err)
	}
	l.Revert(e)
	if b := l.Balance(1, "AAPL"); b.Total != 0 || b.Reserved != 0 {
		t.Fatalf("revert left %+v", b)
	}
}
