// Package apptest boots a whole venue in-process for tests: real store (SQLite by
// default, PostgreSQL when asked), real services, the real HTTP API on a loopback
// listener, driven through plain HTTP like any client.
package apptest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/app"
	"github.com/octopus-venue/octopus/internal/config"
	"github.com/octopus-venue/octopus/internal/logging"
	"github.com/octopus-venue/octopus/internal/store"
)

// AdminPassword is the password of the admin every venue starts with.
const AdminPassword = "Octopus-ink-cloud-9!"

// Venue is a running server.
type Venue struct {
	T      testing.TB
	URL    string
	App    *app.App
	Env    map[string]string
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan error
	client *http.Client
}

// Options adjust a venue.
type Options struct {
	// Env overrides configuration variables.
	Env map[string]string
	// Dir holds the database; a fresh temp dir when empty. Reuse it to restart.
	Dir string
	// Logger receives the venue's log (logging.New gives it request ids); when
	// nil the log is discarded, or written to stderr when OCTOPUS_TEST_LOG is set.
	Logger *slog.Logger
}

// Start boots a venue and creates the admin user "admin".
func Start(t testing.TB, opts Options) *Venue {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	env := map[string]string{
		"ENVIRONMENT":    config.Test,
		"BCRYPT_COST":    "4",
		"DATABASE_URL":   "sqlite://" + filepath.Join(opts.Dir, "octopus.db"),
		"SECRET_KEY":     "test-secret-key-0123456789abcdefghijklmnop",
		"JWT_SECRET_KEY": "test-jwt-secret-0123456789abcdefghijklmnop",
		"METRICS_ADDR":   "127.0.0.1:0",
		// Every file the venue writes stays inside the test's directory.
		"AUDIT_SIGNING_KEY_FILE": filepath.Join(opts.Dir, "audit-signing-key.pem"),
		"AUDIT_DIGEST_FILE":      filepath.Join(opts.Dir, "audit-digests.jsonl"),
		"SIEM_BUFFER_DIR":        filepath.Join(opts.Dir, "siem-buffer"),
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	v := &Venue{T: t, Env: env, log: opts.Logger, client: &http.Client{Timeout: 30 * time.Second}}
	v.boot()
	if _, err := v.App.Store.GetUserByUsername(context.Background(), "admin"); err != nil {
		v.CreateUserDirect("admin", "admin", AdminPassword)
	}
	t.Cleanup(v.Stop)
	return v
}

func (v *Venue) boot() {
	v.T.Helper()
	cfg, err := config.Load(func(k string) (string, bool) {
		val, ok := v.Env[k]
		return val, ok
	})
	if err != nil {
		v.T.Fatalf("config: %v", err)
	}
	log := v.log
	switch {
	case log != nil:
	case os.Getenv("OCTOPUS_TEST_LOG") != "":
		log = logging.New(os.Stderr, slog.LevelDebug)
	default:
		log = logging.New(io.Discard, slog.LevelInfo)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		v.T.Fatalf("app: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		v.T.Fatal(err)
	}
	v.App, v.cancel, v.done = a, cancel, make(chan error, 1)
	v.URL = "http://" + ln.Addr().String()
	go func() { v.done <- a.Serve(ctx, ln) }()
}

// Stop shuts the server down gracefully and closes the store.
func (v *Venue) Stop() {
	if v.cancel == nil {
		return
	}
	v.cancel()
	if err := <-v.done; err != nil {
		v.T.Errorf("serve: %v", err)
	}
	v.App.Close()
	v.cancel = nil
}

// Restart stops the server and boots a new one on the same database.
func (v *Venue) Restart() {
	v.T.Helper()
	v.Stop()
	v.boot()
}

// CreateUserDirect creates a user through the same rules as the API, bypassing HTTP.
func (v *Venue) CreateUserDirect(username, role, password string) store.User {
	v.T.Helper()
	u, err := v.App.Accounts.Create(context.Background(), newUser(username, role, password))
	if err != nil {
		v.T.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// Response is a decoded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r Response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Decode decodes the body into dst.
func (r Response) Decode(t testing.TB, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, dst); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns error.code of an error body.
func (r Response) ErrorCode() string {
	if e, ok := r.JSON()["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// Do sends a request; body may be nil, a string (sent raw) or a value (sent as JSON).
func (v *Venue) Do(method, path, token string, body any) Response {
	v.T.Helper()
	return v.DoHeaders(method, path, body, map[string]string{"Authorization": bearer(token)})
}

// DoHeaders sends a request with extra headers (empty values are skipped).
func (v *Venue) DoHeaders(method, path string, body any, headers map[string]string) Response {
	v.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			v.T.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, v.URL+path, rd)
	if err != nil {
		v.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, val := range headers {
		if val != "" {
			req.Header.Set(k, val)
		}
	}
	resp, err := v.client.Do(req)
	if err != nil {
		v.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func bearer(token string) string {
	if token == "" {
		return ""
	}
	return "Bearer " + token
}

// Login returns an access token or fails the test.
func (v *Venue) Login(username, password string) string {
	v.T.Helper()
	r := v.Do("POST", "/api/v1/auth/login", "", map[string]string{
		"username": username, "password": password})
	if r.Status != http.StatusOK {
		v.T.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	tok, _ := r.JSON()["access_token"].(string)
	return tok
}

// Admin logs the admin in.
func (v *Venue) Admin() string { return v.Login("admin", AdminPassword) }

// Must fails the test unless r has the wanted status.
func (v *Venue) Must(r Response, status int) Response {
	v.T.Helper()
	if r.Status != status {
		v.T.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// Trader creates a trader through the API and logs it in, returning id and token.
func (v *Venue) Trader(admin, name string) (int64, string) {
	v.T.Helper()
	pw := TraderPassword(name)
	r := v.Must(v.Do("POST", "/api/v1/admin/users", admin, map[string]string{
		"username": name, "email": name + "@example.com", "password": pw, "role": "trader"}), 201)
	id := int64(r.JSON()["id"].(float64))
	return id, v.Login(name, pw)
}

// TraderPassword is the password Trader gives the user name. It does not contain
// the name, which the password policy refuses.
func TraderPassword(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "Tr4der-" + hex.EncodeToString(sum[:5]) + "-pass!"
}

// Deposit credits an account through the admin API.
func (v *Venue) Deposit(admin string, user int64, asset, amount string) {
	v.T.Helper()
	v.Must(v.Do("POST", fmt.Sprintf("/api/v1/admin/accounts/%d/deposits", user), admin,
		map[string]string{"asset": asset, "amount": amount, "reason": "test funding"}), 201)
}

// Symbol lists a symbol through the admin API.
func (v *Venue) Symbol(admin, code, tick, lot string) {
	v.T.Helper()
	v.Must(v.Do("POST", "/api/v1/admin/symbols", admin, map[string]string{
		"symbol": code, "base_asset": code, "quote_asset": "USD", "tick_size": tick, "lot_size": lot}), 201)
}
