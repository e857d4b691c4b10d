package open

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    string
		wantErr error
	}{
		{"absolute", "sqlite:///var/lib/octopus/db.sqlite", "/var/lib/octopus/db.sqlite", nil},
		{"relative", "sqlite://data/octopus.db", "data/octopus.db", nil},
		{"dot relative", "sqlite://./data/octopus.db", "./data/octopus.db", nil},
		{"file relative", "file:data/octopus.db", "data/octopus.db", nil},
		{"file absolute", "file:///tmp/octopus.db", "/tmp/octopus.db", nil},
		{"escaped space", "sqlite:///tmp/my%20db.sqlite", "/tmp/my db.sqlite", nil},
		{"query", "file:octopus.db?mode=ro", "", ErrPath},
		{"empty", "sqlite://", "", ErrPath},
		{"bad escape", "sqlite://a%zz.db", "", ErrPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sqlitePath(tt.url)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("path = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpenChoosesBackend(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		url  string
		file string
	}{
		{"sqlite absolute", "sqlite://" + filepath.Join(dir, "a", "x.db"), filepath.Join(dir, "a", "x.db")},
		{"file absolute", "file://" + filepath.Join(dir, "b", "y.db"), filepath.Join(dir, "b", "y.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Open(t.Context(), tt.url)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer st.Close()
			if st.Backend() != "sqlite" {
				t.Fatalf("backend = %q, want sqlite", st.Backend())
			}
			if _, err := os.Stat(tt.file); err != nil {
				t.Fatalf("database file not created: %v", err)
			}
		})
	}
}

func TestOpenDefaultsToSQLiteFile(t *testing.T) {
	old := DefaultSQLitePath
	DefaultSQLitePath = filepath.Join(t.TempDir(), "data", "octopus.db")
	defer func() { DefaultSQLitePath = old }()

	st, err := Open(t.Context(), "")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer st.Close()
	if _, err := os.Stat(DefaultSQLitePath); err != nil || st.Backend() != "sqlite" {
		t.Fatalf("default store: backend %q, stat error %v", st.Backend(), err)
	}
}

func TestOpenRejectsUnknownSchemes(t *testing.T) {
	tests := []struct {
		url        string
		wantInText string
	}{
		{"mysql://u:hunter2@127.0.0.1/db", `"mysql"`},
		{"redis://127.0.0.1:6379/0", `"redis"`},
		{"user:hunter2@127.0.0.1/db", "DATABASE_URL"},
		{"host=127.0.0.1 password=hunter2", "DATABASE_URL"},
	}
	for _, tt := range tests {
		_, err := Open(t.Context(), tt.url)
		if !errors.Is(err, ErrScheme) {
			t.Fatalf("open %q: error = %v, want ErrScheme", Redact(tt.url), err)
		}
		if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), tt.wantInText) {
			t.Fatalf("error %q: leaks the password or lacks %s", err, tt.wantInText)
		}
	}
}

func TestErrorsHidePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tests := []string{
		// Port 1 on loopback: nothing listens, the connection is refused.
		"postgres://octo:s3cr3t-pa55@127.0.0.1:1/db?connect_timeout=2",
		"postgresql://octo@127.0.0.1:1/db?password=s3cr3t-pa55&connect_timeout=2",
		"postgres://octo:s3cr3t%2Fpa55@127.0.0.1:1/db?connect_timeout=2",
		"postgres://octo:s3cr3t-pa55@127.0.0.1:notaport/db",
	}
	for _, raw := range tests {
		_, err := Open(ctx, raw)
		if err == nil {
			t.Fatalf("open %s: connected to a closed port", Redact(raw))
		}
		for _, secret := range []string{"s3cr3t-pa55", "s3cr3t/pa55", "s3cr3t%2Fpa55"} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("password leaked: %v", err)
			}
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db?password=pw", "postgres://u@h/db?password=xxxxx"},
		{"postgres://h/db", "postgres://h/db"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
