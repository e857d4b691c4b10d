package trading_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
	"github.com/octopus-venue/octopus/internal/trading"
)

// ambiguousStore commits batches but, when armed, reports failure afterwards: the
// connection that broke after COMMIT.
type ambiguousStore struct {
	*sqlite.Store
	armed atomic.Bool
}

func (a *ambiguousStore) CommitBatch(ctx context.Context, b *store.Batch) error {
	if err := a.Store.CommitBatch(ctx, b); err != nil {
		return err
	}
	if a.armed.Swap(false) {
		return errors.New("connection reset after commit")
	}
	return nil
}

func TestUnknownCommitOutcomeResyncsFromStore(t *testing.T) {
	v := newVenue(t)
	buyer := v.user("b", map[string]string{"USD": "1000"})
	v.close()
	st, err := sqlite.Open(context.Background(), filepath.Join(filepath.Dir(v.path), "venue.db"),
		sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	amb := &ambiguousStore{Store: st}
	svc, err := trading.New(context.Background(), amb, trading.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	amb.armed.Store(true)
	_, err = svc.PlaceOrder(context.Background(), limit(buyer, trading.SideBuy, 10000, 3))
	if !errors.Is(err, trading.ErrUnavailable) || svc.Consistent() {
		t.Fatalf("ambiguous commit: err %v, consistent %v", err, svc.Consistent())
	}
	if _, err := svc.PlaceOrder(context.Background(), limit(buyer, trading.SideBuy, 10000, 1)); !errors.Is(err, trading.ErrUnavailable) {
		t.Fatalf("a change was taken while memory may be wrong: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	go svc.Run(ctx)
	for !svc.Consistent() && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if !svc.Consistent() {
		t.Fatal("never resynchronised")
	}
	// The order did commit: memory must now hold its reservation and the book its bid.
	if b := svc.Ledger().Balance(buyer, "USD"); b.Reserved != 300*100_000_000 {
		t.Fatalf("memory reserved %d after resync", b.Reserved)
	}
	d, err := svc.Book(context.Background(), "AAPL", 5)
	if err != nil || len(d.Bids) != 1 || d.Bids[0].Quantity != 3 {
		t.Fatalf("book after resync = %+v, %v", d, err)
	}
}
