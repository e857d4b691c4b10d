package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOwnerStandbyTakesOver(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	urls := map[string]string{"sqlite": "sqlite://" + filepath.Join(t.TempDir(), "o.db")}
	if pg := os.Getenv("OCTOPUS_TEST_DATABASE_URL"); pg != "" {
		urls["postgres"] = pg
	} else if os.Getenv("CI") == "true" {
		t.Fatal("OCTOPUS_TEST_DATABASE_URL is required under CI")
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			first, err := acquireOwner(ctx, url, log)
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan *owner, 1)
			go func() {
				o, err := acquireOwner(ctx, url, log)
				if err != nil {
					t.Error(err)
				}
				got <- o
			}()
			select {
			case <-got:
				t.Fatal("a second process became owner while the first held the lock")
			case <-time.After(1200 * time.Millisecond):
			}
			first.release()
			select {
			case second := <-got:
				second.release()
			case <-time.After(5 * time.Second):
				t.Fatal("the standby did not take over after the owner let go")
			}
		})
	}
}

func TestTryOwnerRefusesWhileOwned(t *testing.T) {
	url := "sqlite://" + filepath.Join(t.TempDir(), "o.db")
	o, err := acquireOwner(context.Background(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryOwner(context.Background(), url); err != ErrOwned {
		t.Fatalf("TryOwner while owned: %v", err)
	}
	o.release()
	release, err := TryOwner(context.Background(), url)
	if err != nil {
		t.Fatalf("TryOwner when free: %v", err)
	}
	release()
}
