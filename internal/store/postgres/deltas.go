package postgres

import (
	"cmp"
	"errors"
	"math"
	"slices"

	"github.com/octopus-venue/octopus/internal/store"
)

// errOverflow is a batch whose amounts do not fit in int64 when summed.
var errOverflow = errors.New("ledger amounts overflow int64")

// balanceDelta is the net change a set of entries makes to one balance.
type balanceDelta struct {
	userID   int64
	asset    string
	total    int64
	reserved int64
}

// sumEntries nets entries per (user, asset) and returns the deltas sorted by user
// then asset, the order in which balances are written. Deltas that net to zero
// are kept: writing them makes sure every entry's balance row exists, which is
// what ties ledger entries to an existing user.
func sumEntries(entries []store.LedgerEntry) ([]balanceDelta, error) {
	type key struct {
		userID int64
		asset  string
	}
	index := make(map[key]int, len(entries))
	var deltas []balanceDelta
	for _, e := range entries {
		k := key{e.UserID, e.Asset}
		i, ok := index[k]
		if !ok {
			i = len(deltas)
			index[k] = i
			deltas = append(deltas, balanceDelta{userID: e.UserID, asset: e.Asset})
		}
		d := &deltas[i]
		var okTotal, okReserved bool
		d.total, okTotal = add(d.total, e.Amount)
		d.reserved, okReserved = add(d.reserved, e.Reserved)
		if !okTotal || !okReserved {
			return nil, errOverflow
		}
	}

	slices.SortFunc(deltas, func(a, b balanceDelta) int {
		return cmp.Or(cmp.Compare(a.userID, b.userID), cmp.Compare(a.asset, b.asset))
	})
	return deltas, nil
}

// add returns a+b and whether it did not overflow.
func add(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}
