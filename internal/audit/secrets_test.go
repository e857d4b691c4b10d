package audit_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store"
)

// TestSecretsNeverStored sends every kind of credential the venue handles
// through the places a client can put them in what the audit trail sees, then
// searches the stored records, the raw database files and the writer's log for
// each of them.
func TestSecretsNeverStored(t *testing.T) {
	secrets := map[string]string{
		"password":      "Tr0ub4dor-and-3-horses",
		"access token":  sampleJWT,
		"refresh token": "rt_9f8e7d6c5b4a39281706f5e4d3c2b1a0",
		"api key":       fullAPIKey,
		"api key id":    "abcdefghijkl",
		"totp code":     "493817",
		"recovery code": "k7qm-2xvp-9rtd",
	}
	query := "?password=" + secrets["password"] + "&token=" + secrets["refresh token"] +
		"&api_key=" + secrets["api key"] + "&totp=" + secrets["totp code"] +
		"&recovery_code=" + secrets["recovery code"]
	requests := []audit.Request{
		{Method: "POST", Route: "POST /api/v1/auth/login", Path: "/api/v1/auth/login" + query,
			Status: 401, UserAgent: "client/1"},
		{Method: "GET", Route: "GET /api/v1/me", Path: "/api/v1/me#access_token=" + sampleJWT,
			Status: 200, UserAgent: "bot (Authorization: Bearer " + sampleJWT + ")"},
		{Method: "GET", Path: "/api/v1/nothing/" + secrets["api key"], Status: 404,
			APIKeyID: secrets["api key id"], UserAgent: "X-API-Key: " + secrets["api key"]},
		{Method: "POST", Route: "POST /api/v1/me/mfa/totp/confirm",
			Path: "/api/v1/me/mfa/totp/confirm?code=" + secrets["totp code"], Status: 204},
	}

	dir := t.TempDir()
	db := &sqliteDB{path: filepath.Join(dir, "octopus.db")}
	st, s := db.open(t), newSigner(t)
	var logs bytes.Buffer
	opts := s.options(t)
	opts.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := newWriter(t, st, opts)
	for i, req := range requests {
		req.Time, req.RequestID = requestBase, "req-"+string(rune('a'+i))
		w.Observe(req)
	}
	closeWriter(t, w)

	records := scanAll(t, st)
	if len(records) != len(requests) {
		t.Fatalf("stored %d records, want %d", len(records), len(requests))
	}
	stored := recordsText(records)
	files := databaseFiles(t, dir)
	for name, secret := range secrets {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(stored, secret) {
				t.Fatalf("%s found in a stored record", name)
			}
			for file, data := range files {
				if bytes.Contains(data, []byte(secret)) {
					t.Fatalf("%s found in %s", name, file)
				}
			}
			if strings.Contains(logs.String(), secret) {
				t.Fatalf("%s found in the log", name)
			}
		})
	}
	if records[2].APIKeyID != newHasher(t).Hash(secrets["api key id"]) {
		t.Fatalf("api key id stored as %q, want its keyed hash", records[2].APIKeyID)
	}
	mustVerify(t, st, s)
}

// recordsText is every text field of the records, for searching.
func recordsText(records []store.AuditRecord) string {
	var b strings.Builder
	for _, r := range records {
		for _, s := range []string{r.RequestID, r.APIKeyID, r.Role, r.ClientIP, r.Method,
			r.Route, r.Path, r.UserAgent, r.Summary} {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

// databaseFiles reads every file of the SQLite database in dir: the main file,
// the write-ahead log and its index.
func databaseFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	if len(files) == 0 {
		t.Fatal("no database files found")
	}
	return files
}
