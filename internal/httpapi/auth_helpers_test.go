package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/store"
)

// pair is what a login or a refresh answers.
type pair struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	Scope   string `json:"scope"`
}

// tryLogin posts a login; extra adds totp_code or recovery_code.
func tryLogin(v *apptest.Venue, username, password string, extra map[string]string) apptest.Response {
	v.T.Helper()
	body := map[string]string{"username": username, "password": password}
	for k, val := range extra {
		body[k] = val
	}
	return v.Do("POST", "/api/v1/auth/login", "", body)
}

// loginPair logs in and returns both tokens, failing the test otherwise.
func loginPair(t *testing.T, v *apptest.Venue, username, password string, extra map[string]string) pair {
	t.Helper()
	var p pair
	v.Must(tryLogin(v, username, password, extra), 200).Decode(t, &p)
	return p
}

func refresh(v *apptest.Venue, token string) apptest.Response {
	v.T.Helper()
	return v.Do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": token})
}

// securityEvent is one item of GET /admin/security-events.
type securityEvent struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	Severity  string    `json:"severity"`
	UserID    *int64    `json:"user_id"`
	IP        string    `json:"ip"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
}

// events lists security events matching the filters.
func events(t *testing.T, v *apptest.Venue, admin string, filters url.Values) []securityEvent {
	t.Helper()
	var out struct {
		Items []securityEvent `json:"items"`
	}
	v.Must(v.Do("GET", "/api/v1/admin/security-events?"+filters.Encode(), admin, nil), 200).
		Decode(t, &out)
	return out.Items
}

// countEvents counts the events of one type about one user (0: any user).
func countEvents(t *testing.T, v *apptest.Venue, admin, typ string, user int64) int {
	t.Helper()
	f := url.Values{"type": {typ}, "limit": {"500"}}
	if user != 0 {
		f.Set("user_id", fmtID(user))
	}
	return len(events(t, v, admin, f))
}

// storedUser reads a user straight from the venue's store.
func storedUser(t *testing.T, v *apptest.Venue, username string) store.User {
	t.Helper()
	u, err := v.App.Store.GetUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("load %s: %v", username, err)
	}
	return u
}

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// must is Venue.Must for subtests: it fails t, not the test that started the venue.
func must(t *testing.T, r apptest.Response, status int) apptest.Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}
