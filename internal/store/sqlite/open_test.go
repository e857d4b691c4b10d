package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
)

func TestOpenConfiguresConnections(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(t.Context(), filepath.Join(dir, "octopus.db"), Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("stat data directory: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Fatalf("data directory mode = %o, want 700", perm)
	}

	tests := []struct {
		name   string
		pragma string
		pool   string
		want   string
	}{
		{"wal", "journal_mode", "writer", "wal"},
		{"durable commits", "synchronous", "writer", "2"},
		{"foreign keys", "foreign_keys", "writer", "1"},
		{"busy timeout", "busy_timeout", "writer", "5000"},
		{"reader wal", "journal_mode", "reader", "wal"},
		{"reader read only", "query_only", "reader", "1"},
		{"reader busy timeout", "busy_timeout", "reader", "5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := s.writer
			if tt.pool == "reader" {
				db = s.reader
			}
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatalf("pragma %s: %v", tt.pragma, err)
			}
			if got != tt.want {
				t.Fatalf("pragma %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}

	if _, err := s.reader.ExecContext(t.Context(), qCreateMigrationsTable); err == nil {
		t.Fatal("reader pool accepted a write")
	}
}

func TestOpenRejectsUnusablePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "x.db?mode=ro", "x.db#frag"} {
		if _, err := Open(t.Context(), path, Options{}); !errors.Is(err, ErrBadPath) {
			t.Errorf("open %q: error = %v, want ErrBadPath", path, err)
		}
	}
}

func TestSumEntries(t *testing.T) {
	tests := []struct {
		name    string
		entries [][4]int64 // user, asset index, amount, reserved
		want    []balanceDelta
		wantErr error
	}{
		{"empty", nil, nil, nil},
		{"sorted by user then asset", [][4]int64{{2, 0, 5, 0}, {1, 1, 1, 1}, {1, 0, 3, 0}},
			[]balanceDelta{{1, "BTC", 3, 0}, {1, "USD", 1, 1}, {2, "BTC", 5, 0}}, nil},
		{"netted", [][4]int64{{1, 1, 10, 4}, {1, 1, -3, -4}}, []balanceDelta{{1, "USD", 7, 0}}, nil},
		{"zero net kept", [][4]int64{{1, 1, 10, 0}, {1, 1, -10, 0}}, []balanceDelta{{1, "USD", 0, 0}}, nil},
		{"overflow", [][4]int64{{1, 1, 1 << 62, 0}, {1, 1, 1 << 62, 0}}, nil, errOverflow},
	}
	assets := []string{"BTC", "USD"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var entries []store.LedgerEntry
			for _, e := range tt.entries {
				entries = append(entries, store.LedgerEntry{UserID: e[0], Asset: assets[e[1]],
					Amount: e[2], Reserved: e[3]})
			}
			got, err := sumEntries(entries)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("deltas = %+v, want %+v", got, tt.want)
			}
		})
	}
}
