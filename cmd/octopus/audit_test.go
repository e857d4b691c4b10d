package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
)

const auditSecretKey = "k4Jx9vQ2mL7pR8sT1wZ3yB6nC5dF0gH2jK8lM4qP7rS9"

// auditEnv points the configuration at a fresh SQLite database and a fresh
// signing key, writes n audit records signed into the digest file, and returns
// the database path.
func auditEnv(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "octopus.db")
	keyPath := filepath.Join(dir, "audit-signing-key.pem")
	digests := filepath.Join(dir, "audit-digests.jsonl")
	t.Setenv("ENVIRONMENT", "test")
	t.Setenv("SECRET_KEY", auditSecretKey)
	t.Setenv("JWT_SECRET_KEY", "Zq8wE3rT6yU1iO4pA7sD0fG2hJ5kL9xC3vB6nM1qW4e")
	t.Setenv("DATABASE_URL", "sqlite://"+dbPath)
	t.Setenv("AUDIT_SIGNING_KEY_FILE", keyPath)
	t.Setenv("AUDIT_DIGEST_FILE", digests)
	t.Setenv("AUDIT_PUBLIC_KEY_FILE", "")

	key, _, err := audit.LoadOrCreateSigningKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := audit.NewHasher([]byte(auditSecretKey))
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.New(context.Background(), st, audit.Options{
		Hasher: h, SigningKey: key, DigestFile: digests, FlushInterval: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		w.Observe(audit.Request{Time: time.Now(), Method: "GET", Route: "GET /api/v1/me",
			Path: "/api/v1/me", Status: 200 + i%2, UserID: int64(i)})
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dbPath
}

func TestRunAuditVerify(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string // SQL run on the database before verify
		args    []string
		wantOut []string
		wantErr error
	}{
		{
			name:    "intact",
			args:    []string{"verify"},
			wantOut: []string{"records:   25, ids 1 to 25", "anchor:    genesis", "1 checked", "result:    OK"},
		},
		{
			name:    "row edited",
			tamper:  `UPDATE audit_records SET status = 500 WHERE id = 7`,
			args:    []string{"verify"},
			wantOut: []string{"FAILED at record 7: record 7: hash does not match its content"},
			wantErr: audit.ErrChainBroken,
		},
		{
			name:    "chain only",
			args:    []string{"verify", "--digests", ""},
			wantOut: []string{"0 read", "result:    OK"},
		},
		{
			name:    "json",
			args:    []string{"verify", "--json"},
			wantOut: []string{`"records": 25`, `"digests_checked": 1`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath := auditEnv(t, 25)
			if tt.tamper != "" {
				db, err := sql.Open("sqlite", dbPath)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(tt.tamper); err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			var stdout, stderr bytes.Buffer
			err := runAudit(context.Background(), tt.args, &stdout, &stderr)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v; stderr %s", err, tt.wantErr, stderr.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Fatalf("output lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}

func TestRunAuditHash(t *testing.T) {
	auditEnv(t, 0)
	var stdout, stderr bytes.Buffer
	if err := runAudit(context.Background(), []string{"hash", "abcdefghijkl"}, &stdout, &stderr); err != nil {
		t.Fatalf("hash: %v", err)
	}
	h, err := audit.NewHasher([]byte(auditSecretKey))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(stdout.String()), h.Hash("abcdefghijkl"); got != want {
		t.Fatalf("hash = %q, want %q", got, want)
	}

	var ue usageError
	for _, args := range [][]string{nil, {"hash"}, {"bogus"}, {"verify", "extra"}} {
		if err := runAudit(context.Background(), args, &stdout, &stderr); !errors.As(err, &ue) {
			t.Fatalf("runAudit(%q) = %v, want a usage error", args, err)
		}
	}
}
