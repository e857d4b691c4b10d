package store

import (
	"cmp"
	"errors"
	"slices"

	"github.com/octopus-venue/octopus/internal/money"
)

// ErrAmountOverflow is a batch whose amounts do not fit in int64 when summed.
var ErrAmountOverflow = errors.New("ledger amounts overflow int64")

// BalanceDelta is the net change a set of entries makes to one balance.
type BalanceDelta struct {
	UserID   int64
	Asset    string
	Total    int64
	Reserved int64
}

// NetEntries nets entries per (user, asset) and returns the deltas sorted by user
// then asset: the order in which both backends write balances, so that concurrent
// batches always lock rows in the same order and never deadlock. Deltas that net to
// zero are kept: writing them makes sure every entry's balance row exists, which is
// what ties ledger entries to an existing user.
func NetEntries(entries []LedgerEntry) ([]BalanceDelta, error) {
	type key struct {
		userID int64
		asset  string
	}
	index := make(map[key]int, len(entries))
	var deltas []BalanceDelta
	for _, e := range entries {
		k := key{e.UserID, e.Asset}
		i, ok := index[k]
		if !ok {
			i = len(deltas)
			index[k] = i
			deltas = append(deltas, BalanceDelta{UserID: e.UserID, Asset: e.Asset})
		}
		d := &deltas[i]
		var okTotal, okReserved bool
		d.Total, okTotal = money.Add(d.Total, e.Amount)
		d.Reserved, okReserved = money.Add(d.Reserved, e.Reserved)
		if !okTotal || !okReserved {
			return nil, ErrAmountOverflow
		}
	}
	slices.SortFunc(deltas, func(a, b BalanceDelta) int {
		return cmp.Or(cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.Asset, b.Asset))
	})
	return deltas, nil
}
