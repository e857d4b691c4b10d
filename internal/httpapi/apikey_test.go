package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/auth/apikey"
	"github.com/octopus-venue/octopus/internal/auth/password"
	"github.com/octopus-venue/octopus/internal/auth/token"
	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/money"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/security"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
	"github.com/octopus-venue/octopus/internal/trading"
)

// keyClock is the settable clock of the API key checks; the rest of the venue
// runs on real time.
type keyClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *keyClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *keyClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// keyVenue is the API over a real SQLite store and real services, served in
// process, with API keys wired in.
type keyVenue struct {
	t     *testing.T
	api   *httpapi.Server
	store *sqlite.Store
	trade *trading.Service
	ring  *token.Ring
	clock *keyClock
}

func newKeyVenue(t *testing.T) *keyVenue {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "octopus.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sym := store.Symbol{Code: "BTC", BaseAsset: "BTC", QuoteAsset: "USD",
		TickSize: money.One / 100, LotSize: money.One / 1000, CreatedAt: time.Now().UTC()}
	if err := st.CreateSymbol(ctx, &sym); err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.DiscardHandler)
	if os.Getenv("OCTOPUS_TEST_LOG") != "" {
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ring, err := token.NewRing(st, token.Options{Secret: bytes.Repeat([]byte{1}, 32),
		Issuer: "octopus-test", Audience: "octopus-test", AccessTTL: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Load(ctx); err != nil {
		t.Fatal(err)
	}
	hasher, err := password.NewHasher(4, password.AllowLowCost())
	if err != nil {
		t.Fatal(err)
	}
	events := security.NewRecorder(st, log, nil)
	authSvc := auth.New(auth.Deps{Users: st, Sessions: st, Ring: ring, Hasher: hasher,
		Events: events, MFA: st, Logger: log}, auth.Config{RefreshTTL: time.Hour})
	tr, err := trading.New(ctx, st, trading.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)

	clock := &keyClock{now: time.Now()}
	keys, err := auth.NewAPIKeys(auth.APIKeyDeps{Keys: st, Users: st,
		SecretKey: bytes.Repeat([]byte{2}, 32), Events: events, Clock: clock.Now, Logger: log},
		auth.APIKeyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Deps{Store: st, Auth: authSvc, APIKeys: keys, Trading: tr,
		Events: events, Logger: log}, httpapi.Options{})
	return &keyVenue{t: t, api: api, store: st, trade: tr, ring: ring, clock: clock}
}

// user creates a user with a USD balance and returns it with an access token.
func (v *keyVenue) user(name, role string) (store.User, string) {
	v.t.Helper()
	u := store.User{Username: name, Email: name + "@example.com", Role: role, PasswordHash: "x"}
	if err := v.store.CreateUser(context.Background(), &u); err != nil {
		v.t.Fatal(err)
	}
	// Through the trading ledger, which holds the balances orders are checked against.
	err := v.trade.Ledger().Post(context.Background(), v.store, []store.LedgerEntry{{UserID: u.ID,
		Asset: "USD", Kind: store.EntryDeposit, Amount: 1000 * money.One, Reason: "test"}})
	if err != nil {
		v.t.Fatal(err)
	}
	tok, err := v.ring.Issue(strconv.FormatInt(u.ID, 10), role, "", "")
	if err != nil {
		v.t.Fatal(err)
	}
	return u, tok.Token
}

// call is one request to the API.
type call struct {
	method, path string
	body         string
	token        string
	key          string
	ip           string
	headers      map[string]string
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) code() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (v *keyVenue) do(c call) answer {
	v.t.Helper()
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	req.RemoteAddr = "127.0.0.1:40000"
	if c.ip != "" {
		req.RemoteAddr = c.ip + ":40000"
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.key != "" {
		req.Header.Set("X-API-Key", c.key)
	}
	for k, val := range c.headers {
		req.Header.Set(k, val)
	}
	rec := httptest.NewRecorder()
	v.api.ServeHTTP(rec, req)
	a := answer{status: rec.Code}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
			v.t.Fatalf("%s %s: body %q: %v", c.method, c.path, rec.Body, err)
		}
	}
	return a
}

// createKey makes a key through the API and returns its id and full secret.
func (v *keyVenue) createKey(token string, body map[string]any) (string, string) {
	v.t.Helper()
	if body["name"] == nil {
		body["name"] = "bot"
	}
	raw, _ := json.Marshal(body)
	a := v.do(call{method: "POST", path: "/api/v1/api-keys", body: string(raw), token: token})
	if a.status != http.StatusCreated {
		v.t.Fatalf("create key: %d %v", a.status, a.body)
	}
	return a.body["id"].(string), a.body["key"].(string)
}

// sign returns the signature headers for a request signed with the HMAC secret
// of key at ts.
func sign(t *testing.T, key, method, path, body string, ts time.Time) map[string]string {
	t.Helper()
	_, secret, err := apikey.Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := apikey.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	ms := ts.UnixMilli()
	return map[string]string{
		apikey.HeaderTimestamp: strconv.FormatInt(ms, 10),
		apikey.HeaderSignature: apikey.SignHMAC(raw, apikey.Canonical(method, path, ms, []byte(body))),
	}
}

const orderBody = `{"symbol":"BTC","side":"buy","type":"limit","price":"100.00","quantity":"0.5"}`

func TestAPIKeyLifecycle(t *testing.T) {
	v := newKeyVenue(t)
	_, jwt := v.user("tess", rbac.Trader)
	id, key := v.createKey(jwt, map[string]any{"scopes": []string{"read", "trade"},
		"allowed_cidrs": []string{"127.0.0.1"}})

	if !strings.HasPrefix(key, "oct_"+id+"_") {
		t.Fatalf("key %q does not carry id %q", key, id)
	}
	list := v.do(call{method: "GET", path: "/api/v1/api-keys", token: jwt})
	items, _ := list.body["items"].([]any)
	if list.status != 200 || len(items) != 1 {
		t.Fatalf("list = %d %v", list.status, list.body)
	}
	item := items[0].(map[string]any)
	if item["id"] != id || item["key"] != nil || item["signing"] != "none" ||
		item["allowed_cidrs"].([]any)[0] != "127.0.0.1/32" || item["last_used_at"] != nil {
		t.Fatalf("listed key = %v", item)
	}

	if a := v.do(call{method: "GET", path: "/api/v1/account", key: key}); a.status != 200 {
		t.Fatalf("account with the key: %d %v", a.status, a.body)
	}
	order := call{method: "POST", path: "/api/v1/orders", body: orderBody, key: key}
	if a := v.do(order); a.status != 201 {
		t.Fatalf("order with the key: %d %v", a.status, a.body)
	}
	list = v.do(call{method: "GET", path: "/api/v1/api-keys", token: jwt})
	if list.body["items"].([]any)[0].(map[string]any)["last_used_at"] == nil {
		t.Fatal("last_used_at not recorded")
	}

	if a := v.do(call{method: "DELETE", path: "/api/v1/api-keys/" + id, token: jwt}); a.status != 204 {
		t.Fatalf("delete: %d %v", a.status, a.body)
	}
	a := v.do(call{method: "GET", path: "/api/v1/account", key: key})
	if a.status != 401 || a.code() != "invalid_api_key" {
		t.Fatalf("deleted key: %d %v", a.status, a.body)
	}
}

func TestAPIKeyRefusals(t *testing.T) {
	v := newKeyVenue(t)
	_, trader := v.user("tom", rbac.Trader)
	_, other := v.user("olga", rbac.Trader)
	_, readKey := v.createKey(trader, map[string]any{"scopes": []string{"read"}})
	_, netKey := v.createKey(trader, map[string]any{"scopes": []string{"read"},
		"allowed_cidrs": []string{"10.0.0.0/8", "2001:db8::/32"}})
	otherID, _ := v.createKey(other, map[string]any{"scopes": []string{"read"}})
	soon := v.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	_, shortKey := v.createKey(trader, map[string]any{"scopes": []string{"read"}, "expires_at": soon})
	// The secret's last symbol carries one bit: a and q are its two canonical values.
	wrong := readKey[:len(readKey)-1] + "a"
	if strings.HasSuffix(readKey, "a") {
		wrong = readKey[:len(readKey)-1] + "q"
	}

	tests := []struct {
		name   string
		before func()
		call   call
		status int
		code   string
	}{
		{name: "read-only key cannot trade",
			call:   call{method: "POST", path: "/api/v1/orders", body: orderBody, key: readKey},
			status: 403, code: "forbidden"},
		{name: "read-only key reads",
			call:   call{method: "GET", path: "/api/v1/account", key: readKey},
			status: 200},
		{name: "wrong secret",
			call:   call{method: "GET", path: "/api/v1/account", key: wrong},
			status: 401, code: "invalid_api_key"},
		{name: "not a key",
			call:   call{method: "GET", path: "/api/v1/account", key: "oct_nope"},
			status: 401, code: "invalid_api_key"},
		{name: "key and bearer token together",
			call:   call{method: "GET", path: "/api/v1/account", key: readKey, token: trader},
			status: 401, code: "invalid_api_key"},
		{name: "inside the allowlist",
			call:   call{method: "GET", path: "/api/v1/account", key: netKey, ip: "10.20.30.40"},
			status: 200},
		{name: "inside the ipv6 allowlist",
			call:   call{method: "GET", path: "/api/v1/account", key: netKey, ip: "[2001:db8::7]"},
			status: 200},
		{name: "outside the allowlist",
			call:   call{method: "GET", path: "/api/v1/account", key: netKey, ip: "192.168.1.1"},
			status: 401, code: "invalid_api_key"},
		{name: "key cannot create keys",
			call: call{method: "POST", path: "/api/v1/api-keys", key: readKey,
				body: `{"name":"child","scopes":["read"]}`},
			status: 403, code: "api_key_not_allowed"},
		{name: "key cannot delete keys",
			call:   call{method: "DELETE", path: "/api/v1/api-keys/" + otherID, key: readKey},
			status: 403, code: "api_key_not_allowed"},
		{name: "key cannot enroll a second factor",
			call:   call{method: "POST", path: "/api/v1/me/mfa/totp", key: readKey, body: `{}`},
			status: 403, code: "api_key_not_allowed"},
		{name: "another user's key id",
			call:   call{method: "DELETE", path: "/api/v1/api-keys/" + otherID, token: trader},
			status: 404, code: "not_found"},
		{name: "scope above the role",
			call: call{method: "POST", path: "/api/v1/api-keys", token: trader,
				body: `{"name":"x","scopes":["manage_users"]}`},
			status: 403, code: "scope_not_allowed"},
		{name: "unknown field",
			call: call{method: "POST", path: "/api/v1/api-keys", token: trader,
				body: `{"name":"x","scopes":["read"],"admin":true}`},
			status: 400, code: "unknown_field"},
		{name: "bad expiry",
			call: call{method: "POST", path: "/api/v1/api-keys", token: trader,
				body: `{"name":"x","scopes":["read"],"expires_at":"tomorrow"}`},
			status: 400, code: "invalid_field"},
		{name: "expired key", before: func() { v.clock.Add(time.Hour) },
			call:   call{method: "GET", path: "/api/v1/account", key: shortKey},
			status: 401, code: "invalid_api_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			a := v.do(tt.call)
			if a.status != tt.status || a.code() != tt.code {
				t.Fatalf("%d %q, want %d %q: %v", a.status, a.code(), tt.status, tt.code, a.body)
			}
		})
	}
	a := v.do(call{method: "GET", path: "/api/v1/api-keys", token: other})
	if len(a.body["items"].([]any)) != 1 {
		t.Fatalf("the refused delete removed another user's key: %v", a.body)
	}
}

func TestAPIKeySignedRequests(t *testing.T) {
	v := newKeyVenue(t)
	_, jwt := v.user("sia", rbac.Trader)
	_, key := v.createKey(jwt, map[string]any{"scopes": []string{"read", "trade"},
		"signing": "hmac"})
	path := "/api/v1/orders"

	good := sign(t, key, "POST", path, orderBody, v.clock.Now())
	tests := []struct {
		name    string
		body    string
		path    string
		headers map[string]string
		status  int
	}{
		{name: "signed order", body: orderBody, headers: good, status: 201},
		{name: "same signature again", body: orderBody, headers: good, status: 401},
		{name: "unsigned", body: orderBody, status: 401},
		{name: "stale timestamp", body: orderBody, status: 401,
			headers: sign(t, key, "POST", path, orderBody, v.clock.Now().Add(-6*time.Second))},
		{name: "body changed", body: strings.Replace(orderBody, "0.5", "5", 1), status: 401,
			headers: sign(t, key, "POST", path, orderBody, v.clock.Now().Add(time.Millisecond))},
		{name: "signed for another path", body: orderBody, status: 401,
			headers: sign(t, key, "POST", path+"?x=1", orderBody, v.clock.Now().Add(2*time.Millisecond))},
		{name: "signed read with a query", path: "/api/v1/orders?limit=5", status: 200,
			headers: sign(t, key, "GET", "/api/v1/orders?limit=5", "", v.clock.Now())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, p := "POST", path
			if tt.path != "" {
				method, p = "GET", tt.path
			}
			a := v.do(call{method: method, path: p, body: tt.body, key: key, headers: tt.headers})
			if a.status != tt.status {
				t.Fatalf("%d, want %d: %v", a.status, tt.status, a.body)
			}
			if tt.status == 401 && a.code() != "invalid_api_key" {
				t.Fatalf("code %q", a.code())
			}
		})
	}
}

func TestAPIKeyScopesFollowOwnerRole(t *testing.T) {
	v := newKeyVenue(t)
	u, jwt := v.user("rob", rbac.Trader)
	_, key := v.createKey(jwt, map[string]any{"scopes": []string{"read", "trade"}})

	ctx := context.Background()
	order := call{method: "POST", path: "/api/v1/orders", body: orderBody, key: key}
	if a := v.do(order); a.status != 201 {
		t.Fatalf("trader's key cannot trade: %d %v", a.status, a.body)
	}
	role := rbac.User
	if _, err := v.store.UpdateUser(ctx, u.ID, store.UserUpdate{Role: &role}); err != nil {
		t.Fatal(err)
	}
	if a := v.do(order); a.status != 403 {
		t.Fatalf("demoted owner's key traded: %d %v", a.status, a.body)
	}
	if a := v.do(call{method: "GET", path: "/api/v1/account", key: key}); a.status != 200 {
		t.Fatalf("demoted owner's key cannot read: %d %v", a.status, a.body)
	}

	locked := true
	if _, err := v.store.UpdateUser(ctx, u.ID, store.UserUpdate{Locked: &locked}); err != nil {
		t.Fatal(err)
	}
	if a := v.do(call{method: "GET", path: "/api/v1/account", key: key}); a.status != 401 {
		t.Fatalf("locked owner's key works: %d %v", a.status, a.body)
	}
}
