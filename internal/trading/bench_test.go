package trading_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/postgres"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
	"github.com/octopus-venue/octopus/internal/trading"
)

// benchStore is a store the benchmark can fund and trade on.
type benchStore interface {
	trading.Store
	CreateUser(ctx context.Context, u *store.User) error
	CreateSymbol(ctx context.Context, s *store.Symbol) error
	ApplyEntries(ctx context.Context, entries []store.LedgerEntry) error
	Migrate(ctx context.Context) error
	Close() error
}

// BenchmarkPlaceOrderSQLite measures committed orders per second through matching,
// settlement and group commit on the embedded database.
func BenchmarkPlaceOrderSQLite(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchPlace(b, st)
}

// BenchmarkPlaceOrderPostgres is the same on PostgreSQL (OCTOPUS_TEST_DATABASE_URL).
func BenchmarkPlaceOrderPostgres(b *testing.B) {
	url := os.Getenv("OCTOPUS_TEST_DATABASE_URL")
	if url == "" {
		b.Skip("OCTOPUS_TEST_DATABASE_URL not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("octopus_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	st, err := postgres.Open(ctx, url+sep+"search_path="+schema)
	if err != nil {
		b.Fatal(err)
	}
	benchPlace(b, st)
}

func benchPlace(b *testing.B, st benchStore) {
	ctx := context.Background()
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sym := store.Symbol{Code: "AAPL", BaseAsset: "AAPL", QuoteAsset: "USD", TickSize: money.One / 100,
		LotSize: money.One, CreatedAt: time.Now().UTC()}
	if err := st.CreateSymbol(ctx, &sym); err != nil {
		b.Fatal(err)
	}
	const traders = 64
	ids := make([]int64, traders)
	for i := range ids {
		u := store.User{Username: fmt.Sprintf("bench%d", i), Email: fmt.Sprintf("b%d@x.io", i),
			Role: "trader", PasswordHash: "x"}
		if err := st.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
		for _, asset := range []string{"USD", "AAPL"} {
			if err := st.ApplyEntries(ctx, []store.LedgerEntry{{UserID: u.ID, Asset: asset,
				Kind: store.EntryDeposit, Amount: 1 << 50, Reason: "bench"}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	svc, err := trading.New(ctx, st, trading.Options{BatchSize: 512, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	var n atomic.Int64
	b.SetParallelism(128)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			side, price := trading.SideBuy, int64(9_900+i%50)
			if i%2 == 0 {
				side, price = trading.SideSell, int64(9_960+i%50) // some of these cross
			}
			_, err := svc.PlaceOrder(ctx, trading.PlaceRequest{UserID: ids[i%traders], Symbol: "AAPL",
				Side: side, Type: trading.TypeLimit, Price: price, Quantity: 1 + i%5})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
}
