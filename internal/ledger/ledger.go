// Package ledger keeps the venue's balances in memory, as the authority that funds
// checks consult, and turns every change into ledger entries for the store. A change is
// all or nothing: Apply validates every entry before it touches a balance, so no
// balance ever goes below zero or below what it has reserved.
package ledger

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
)

// ErrInsufficientFunds is an entry set that would overdraw a balance.
var ErrInsufficientFunds = errors.New("insufficient funds")

type account struct {
	user  int64
	asset string
}

// Ledger is the in-memory balance sheet. It is safe for concurrent use.
type Ledger struct {
	mu  sync.Mutex
	bal map[account]store.Balance
}

// New returns a ledger holding the given balances, as loaded from the store.
func New(balances []store.Balance) *Ledger {
	l := &Ledger{bal: make(map[account]store.Balance, len(balances))}
	for _, b := range balances {
		l.bal[account{b.UserID, b.Asset}] = b
	}
	return l
}

// Reset replaces every balance with the given ones, as reloaded from the store after
// a commit whose outcome was unknown.
func (l *Ledger) Reset(balances []store.Balance) {
	next := make(map[account]store.Balance, len(balances))
	for _, b := range balances {
		next[account{b.UserID, b.Asset}] = b
	}
	l.mu.Lock()
	l.bal = next
	l.mu.Unlock()
}

// Apply applies entries atomically: either every entry or none.
func (l *Ledger) Apply(entries []store.LedgerEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	next, err := l.preview(entries, 1)
	if err != nil {
		return err
	}
	for k, b := range next {
		l.bal[k] = b
	}
	return nil
}

// Revert undoes entries applied earlier, when the store refused to persist them.
// Entries commute, so other changes applied since stay intact.
func (l *Ledger) Revert(entries []store.LedgerEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	next, _ := l.previewUnchecked(entries, -1)
	for k, b := range next {
		l.bal[k] = b
	}
}

// Balance returns one balance; a missing one is zero.
func (l *Ledger) Balance(user int64, asset string) store.Balance {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.bal[account{user, asset}]
	if !ok {
		return store.Balance{UserID: user, Asset: asset}
	}
	return b
}

// Available is total minus reserved.
func (l *Ledger) Available(user int64, asset string) int64 {
	b := l.Balance(user, asset)
	return b.Total - b.Reserved
}

// Balances returns a user's balances sorted by asset.
func (l *Ledger) Balances(user int64) []store.Balance {
	l.mu.Lock()
	var out []store.Balance
	for k, b := range l.bal {
		if k.user == user {
			out = append(out, b)
		}
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Asset < out[j].Asset })
	return out
}

// Totals sums every account per asset; trading must never change them.
func (l *Ledger) Totals() map[string]store.Balance {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]store.Balance{}
	for k, b := range l.bal {
		t := out[k.asset]
		t.Asset = k.asset
		t.Total += b.Total
		t.Reserved += b.Reserved
		out[k.asset] = t
	}
	return out
}

func (l *Ledger) preview(entries []store.LedgerEntry, sign int64) (map[account]store.Balance, error) {
	next, err := l.previewUnchecked(entries, sign)
	if err != nil {
		return nil, err
	}
	for k, b := range next {
		if b.Reserved < 0 || b.Total < b.Reserved {
			return nil, fmt.Errorf("%w: %s of account %d", ErrInsufficientFunds, k.asset, k.user)
		}
	}
	return next, nil
}

func (l *Ledger) previewUnchecked(entries []store.LedgerEntry, sign int64) (map[account]store.Balance, error) {
	next := make(map[account]store.Balance, len(entries))
	for _, e := range entries {
		k := account{e.UserID, e.Asset}
		b, ok := next[k]
		if !ok {
			b, ok = l.bal[k]
			if !ok {
				b = store.Balance{UserID: e.UserID, Asset: e.Asset}
			}
		}
		total, ok1 := money.Add(b.Total, sign*e.Amount)
		reserved, ok2 := money.Add(b.Reserved, sign*e.Reserved)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: %s of account %d", money.ErrOverflow, e.Asset, e.UserID)
		}
		b.Total, b.Reserved = total, reserved
		next[k] = b
	}
	return next, nil
}
