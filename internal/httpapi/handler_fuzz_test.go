package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/rbac"
)

// The handler fuzzers drive the real API in process, middleware and all, against a
// venue with real storage: whatever the body, path or query, the answer is never a
// 5xx, which would mean an unhandled input reached a panic, the database or a bug.

// serveFuzz sends one request through the API without a network round trip.
func serveFuzz(t *testing.T, v *apptest.Venue, method, target, token string,
	body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.URL = &url.URL{Path: target}
	if p, q, ok := strings.Cut(target, "?"); ok {
		req.URL = &url.URL{Path: p, RawQuery: q}
	}
	req.RequestURI = req.URL.RequestURI()
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	v.App.API.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q: %d %s", method, target, body, rec.Code, rec.Body)
	}
	return rec
}

func FuzzOrderCreate(f *testing.F) {
	v := apptest.Start(f, apptest.Options{})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	uid, trader := v.Trader(admin, "fuzzer")
	v.Deposit(admin, uid, "USD", "1000000")
	v.Deposit(admin, uid, "AAPL", "1000")
	for _, seed := range []string{
		`{"symbol":"AAPL","side":"buy","type":"limit","price":"150.00","quantity":"1"}`,
		`{"symbol":"AAPL","side":"sell","type":"limit","price":"150","quantity":"2",` +
			`"time_in_force":"IOC","client_order_id":"c-1"}`,
		`{"symbol":"AAPL","side":"buy","type":"market","quantity":"1","max_notional":"500"}`,
		`{"symbol":"AAPL","side":"buy","type":"limit","price":"1e3","quantity":"0x10"}`,
		`{"symbol":"AAPL' OR '1'='1","side":"buy","type":"limit","price":"1","quantity":"1"}`,
		`{"symbol":"AAPL","side":"buy","type":"limit","price":"-0","quantity":"99999999999"}`,
		`{"symbol":"AAPL","self_trade_prevention":"cancel_both","side":"sell","type":"limit",` +
			`"price":"0.01","quantity":"1"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, v, "POST", "/api/v1/orders", trader, body)
	})
}

func FuzzLogin(f *testing.F) {
	v := apptest.Start(f, apptest.Options{})
	for _, seed := range []string{
		`{"username":"admin","password":"` + apptest.AdminPassword + `"}`,
		`{"username":"admin","password":"wrong","totp_code":"000000"}`,
		`{"username":"admin'--","password":"x' OR '1'='1"}`,
		`{"username":"","password":""}`,
		`{"username":"\u0000admin","password":"x","recovery_code":"aaaa-bbbb"}`,
		`{"username":["admin"],"password":{"$ne":null}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, v, "POST", "/api/v1/auth/login", "", body)
	})
}

// adminRoutes are the admin actions the fuzzer picks from; %s is the fuzzed path
// value, escaped.
var adminRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/admin/users"},
	{"PATCH", "/api/v1/admin/users/%s"},
	{"POST", "/api/v1/admin/accounts/%s/deposits"},
	{"POST", "/api/v1/admin/accounts/%s/withdrawals"},
	{"POST", "/api/v1/admin/symbols"},
	{"PATCH", "/api/v1/admin/symbols/%s"},
	{"GET", "/api/v1/admin/users?%s"},
	{"GET", "/api/v1/admin/security-events?%s"},
	{"DELETE", "/api/v1/admin/ip-blocks/%s"},
	{"GET", "/api/v1/admin/ip-blocks?%s"},
}

func FuzzAdmin(f *testing.F) {
	v := apptest.Start(f, apptest.Options{})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	seeds := []struct {
		route byte
		param string
		body  string
	}{
		{0, "", `{"username":"zoe","email":"zoe@example.com","password":"Zebra-pass-77!x",` +
			`"role":"analyst"}`},
		{1, "2", `{"role":"admin"}`},
		{1, "1", `{"locked":true,"email":"a@b.c"}`},
		{2, "1", `{"asset":"USD","amount":"100.5","reason":"seed\u0007"}`},
		{3, "1", `{"asset":"USD","amount":"99999999999999","reason":"x"}`},
		{4, "", `{"symbol":"MSFT","base_asset":"MSFT","quote_asset":"USD","tick_size":"0.01",` +
			`"lot_size":"1"}`},
		{5, "AAPL", `{"halted":true}`},
		{6, "limit=2&cursor=1", ``},
		{7, "type=failed_login_attempt&ip=1.2.3.4&from=2026-01-01T00:00:00Z", ``},
		{8, "192.0.2.1", ``},
		{9, "", ``},
		{1, "1 OR 1=1", `{"role":"user"}`},
		{7, "user_id=1;DROP TABLE users", ``},
	}
	for _, s := range seeds {
		f.Add(s.route, s.param, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, route byte, param string, body []byte) {
		rt := adminRoutes[int(route)%len(adminRoutes)]
		target := rt.path
		switch {
		case strings.HasSuffix(target, "?%s"):
			target = strings.TrimSuffix(target, "%s") + param
		case strings.Contains(target, "%s"):
			target = strings.Replace(target, "%s", url.PathEscape(param), 1)
		}
		if rt.method == "GET" || rt.method == "DELETE" {
			body = nil
		}
		rec := serveFuzz(t, v, rt.method, target, admin, body)
		if rec.Code == http.StatusUnauthorized {
			// The fuzzer locked or demoted the admin: carry on as a fresh one.
			admin = freshAdmin(t, v)
		}
	})
}

// freshAdmin creates another admin directly in the store and signs it in. The
// venue's own helpers report to the F, which a fuzz target may not use.
func freshAdmin(t *testing.T, v *apptest.Venue) string {
	adminCount++
	name := fmt.Sprintf("admin%d", adminCount)
	_, err := v.App.Accounts.Create(context.Background(), auth.NewUser{Username: name,
		Email: name + "@example.com", Role: rbac.Admin, Password: apptest.AdminPassword})
	if err != nil {
		t.Fatalf("create admin: %v", err)
	}
	body, _ := json.Marshal(map[string]string{"username": name, "password": apptest.AdminPassword})
	rec := serveFuzz(t, v, "POST", "/api/v1/auth/login", "", body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login %s: %d %s", name, rec.Code, rec.Body)
	}
	return tok.AccessToken
}

var adminCount int
