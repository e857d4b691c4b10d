package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
