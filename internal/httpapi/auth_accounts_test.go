package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

func register(v *apptest.Venue, username, password string) apptest.Response {
	v.T.Helper()
	return v.Do("POST", "/api/v1/auth/register", "", map[string]string{
		"username": username, "email": username + "@example.org", "password": password})
}

// passwordRule returns error.fields.rule of a weak_password answer.
func passwordRule(r apptest.Response) string {
	e, _ := r.JSON()["error"].(map[string]any)
	fields, _ := e["fields"].(map[string]any)
	rule, _ := fields["rule"].(string)
	return rule
}

func TestRegistration(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{"REGISTRATION_ENABLED": "true"}})
	tests := []struct {
		name     string
		username string
		password string
		status   int
		code     string
		rule     string
	}{
		{"accepted", "newbie", "Quiet-lantern-harbour-93", 201, "", ""},
		{"taken", "newbie", "Quiet-lantern-harbour-94", 409, "conflict", ""},
		{"too short", "shorty", "Ab1!x", 400, "weak_password", "min_length"},
		{"common", "commoner", "iloveyou1", 400, "weak_password", "common"},
		{"guessable", "guessy", "aaaaaaaaaaaa", 400, "weak_password", "too_weak"},
		{"contains the username", "harbourmaster", "Quiet-HarbourMaster-93!", 400, "weak_password",
			"user_input"},
		{"over 72 bytes", "longpass", strings.Repeat("Quiet-lantern-93!", 5), 400, "weak_password",
			"max_length"},
		{"bad username", "a b", "Quiet-lantern-harbour-93", 400, "invalid_field", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := register(v, tt.username, tt.password)
			if r.Status != tt.status || (tt.code != "" && r.ErrorCode() != tt.code) {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
			}
			if got := passwordRule(r); got != tt.rule {
				t.Errorf("rule = %q, want %q", got, tt.rule)
			}
			if tt.status == 201 && r.JSON()["role"] != "user" {
				t.Errorf("registered with role %v, want user", r.JSON()["role"])
			}
		})
	}
	// A registrant cannot choose a role: the field is unknown.
	r := v.Do("POST", "/api/v1/auth/register", "", map[string]string{"username": "climber",
		"email": "climber@example.org", "password": "Quiet-lantern-harbour-93", "role": "admin"})
	if r.Status != 400 {
		t.Fatalf("register with a role: %d %s", r.Status, r.Body)
	}
	tok := v.Login("newbie", "Quiet-lantern-harbour-93")
	v.Must(v.Do("GET", "/api/v1/me", tok, nil), 200)
	v.Must(v.Do("POST", "/api/v1/orders", tok, map[string]string{"symbol": "X", "side": "buy",
		"type": "limit", "price": "1", "quantity": "1"}), 403)

	off := apptest.Start(t, apptest.Options{Env: map[string]string{"REGISTRATION_ENABLED": "false"}})
	r = register(off, "newbie", "Quiet-lantern-harbour-93")
	if r.Status != 403 || r.ErrorCode() != "registration_disabled" {
		t.Fatalf("registration when disabled: %d %s", r.Status, r.Body)
	}
}

// breachFile writes a Pwned Passwords style file: upper-case SHA-1, a colon and a
// count per line, sorted by hash, with the given passwords among random filler.
func breachFile(t *testing.T, counts map[string]int) string {
	t.Helper()
	var lines []string
	for pw, n := range counts {
		sum := sha1.Sum([]byte(pw))
		lines = append(lines, fmt.Sprintf("%s:%d", strings.ToUpper(hex.EncodeToString(sum[:])), n))
	}
	for range 5000 {
		b := make([]byte, 20)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.ToUpper(hex.EncodeToString(b))+":7")
	}
	slices.Sort(lines)
	path := filepath.Join(t.TempDir(), "pwned-passwords-sha1-ordered-by-hash.txt")
	var buf bytes.Buffer
	for _, l := range lines {
		buf.WriteString(l + "\r\n")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBreachedPasswordsAreRefused(t *testing.T) {
	const breached, rare = "Velvet-otter-cascade-61", "Amber-walrus-meadow-27"
	path := breachFile(t, map[string]int{breached: 4120, rare: 3})
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"REGISTRATION_ENABLED": "true", "BREACHED_PASSWORDS_FILE": path,
		"BREACHED_PASSWORDS_MIN_COUNT": "10"}})
	admin := v.Admin()
	_, trader := v.Trader(admin, "tom")

	attempts := map[string]func(pw string) apptest.Response{
		"registration": func(pw string) apptest.Response { return register(v, "regina", pw) },
		"admin creation": func(pw string) apptest.Response {
			return v.Do("POST", "/api/v1/admin/users", admin, map[string]string{"username": "carl",
				"email": "carl@example.com", "password": pw, "role": "analyst"})
		},
		"password change": func(pw string) apptest.Response {
			return v.Do("POST", "/api/v1/me/password", trader, map[string]string{
				"current_password": apptest.TraderPassword("tom"), "new_password": pw})
		},
	}
	for name, try := range attempts {
		r := try(breached)
		if r.Status != 400 || r.ErrorCode() != "weak_password" || passwordRule(r) != "breached" {
			t.Errorf("%s with a breached password: %d %s", name, r.Status, r.Body)
		}
	}
	// Seen fewer times than BREACHED_PASSWORDS_MIN_COUNT: accepted.
	for name, try := range attempts {
		if r := try(rare); r.Status >= 300 {
			t.Errorf("%s with a rarely seen password: %d %s", name, r.Status, r.Body)
		}
	}
}

func TestLastAdminStays(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	self := fmt.Sprintf("/api/v1/admin/users/%d", storedUser(t, v, "admin").ID)
	for _, patch := range []map[string]any{{"role": "trader"}, {"locked": true},
		{"role": "user", "locked": true}} {
		r := v.Do("PATCH", self, admin, patch)
		if r.Status != 409 || r.ErrorCode() != "last_admin" {
			t.Fatalf("PATCH %v on the last admin: %d %s", patch, r.Status, r.Body)
		}
	}
	// Nothing changed, and a change that keeps the role is fine.
	v.Must(v.Do("PATCH", self, admin, map[string]string{"role": "admin"}), 200)
	v.Must(v.Do("PATCH", self, admin, map[string]string{"email": "root@example.com"}), 200)

	second := v.Must(v.Do("POST", "/api/v1/admin/users", admin, map[string]string{
		"username": "deputy", "email": "deputy@example.com", "password": "Granite-heron-delta-58",
		"role": "admin"}), 201).JSON()
	deputy := v.Login("deputy", "Granite-heron-delta-58")
	v.Must(v.Do("PATCH", self, deputy, map[string]string{"role": "trader"}), 200)
	r := v.Do("PATCH", fmt.Sprintf("/api/v1/admin/users/%v", second["id"]), deputy,
		map[string]bool{"locked": true})
	if r.Status != 409 || r.ErrorCode() != "last_admin" {
		t.Fatalf("locking the new last admin: %d %s", r.Status, r.Body)
	}
}

func TestSomeoneElsesOrderIsNotFound(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	v.Symbol(admin, "ACME", "0.01", "1")
	aliceID, alice := v.Trader(admin, "alice")
	_, mallory := v.Trader(admin, "mallory")
	v.Deposit(admin, aliceID, "USD", "1000")
	order := v.Must(v.Do("POST", "/api/v1/orders", alice, map[string]string{"symbol": "ACME",
		"side": "buy", "type": "limit", "price": "10.00", "quantity": "5"}), 201).JSON()
	path := fmt.Sprintf("/api/v1/orders/%v", order["id"])

	missing := v.Do("GET", "/api/v1/orders/999999", mallory, nil)
	if missing.Status != 404 {
		t.Fatalf("missing order: %d %s", missing.Status, missing.Body)
	}
	for _, method := range []string{"GET", "DELETE"} {
		r := v.Do(method, path, mallory, nil)
		if r.Status != 404 || !bytes.Equal(r.Body, missing.Body) {
			t.Errorf("%s someone else's order: %d %s, want the answer of a missing one", method,
				r.Status, r.Body)
		}
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	v.Must(v.Do("GET", "/api/v1/orders", mallory, nil), 200).Decode(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("mallory lists %d orders", len(list.Items))
	}
	// The owner still has it, open.
	if o := v.Must(v.Do("GET", path, alice, nil), 200).JSON(); o["status"] != "new" {
		t.Errorf("order after the attempts: %v", o)
	}
}
