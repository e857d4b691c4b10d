package httpapi_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// failLogins sends n wrong passwords and checks each gets the generic 401.
func failLogins(t *testing.T, v *apptest.Venue, username string, n int) {
	t.Helper()
	for i := range n {
		r := tryLogin(v, username, fmt.Sprintf("Wrong-guess-%d-xyz!", i), nil)
		if r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
			t.Fatalf("wrong password %d: %d %s", i, r.Status, r.Body)
		}
	}
}

// sleepUntil sleeps until just past t.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t) + 50*time.Millisecond) }

func TestLockoutTriggersExpiresAndDoubles(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"LOCKOUT_THRESHOLD": "3", "LOCKOUT_WINDOW": "1m", "LOCKOUT_DURATION": "1s"}})
	admin := v.Admin()
	id, _ := v.Trader(admin, "lara")
	pw := apptest.TraderPassword("lara")
	wrong := tryLogin(v, "lara", "Wrong-guess-xyz-123!", nil)

	for round, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		start := time.Now()
		failLogins(t, v, "lara", 3)
		u := storedUser(t, v, "lara")
		if u.LockoutCount != round+1 {
			t.Fatalf("round %d: lockout count %d", round, u.LockoutCount)
		}
		if got := u.LockedUntil.Sub(start); got < want || got > want+time.Second {
			t.Fatalf("round %d: locked for %v, want %v", round, got, want)
		}
		// Locked: the right password gets the very answer a wrong one gets.
		r := tryLogin(v, "lara", pw, nil)
		if r.Status != 401 || !bytes.Equal(r.Body, wrong.Body) {
			t.Fatalf("round %d: right password while locked: %d %s", round, r.Status, r.Body)
		}
		var users struct {
			Items []struct {
				ID          int64      `json:"id"`
				LockedUntil *time.Time `json:"locked_until"`
			} `json:"items"`
		}
		v.Must(v.Do("GET", "/api/v1/admin/users", admin, nil), 200).Decode(t, &users)
		for _, item := range users.Items {
			if item.ID == id && (item.LockedUntil == nil || !item.LockedUntil.Equal(u.LockedUntil)) {
				t.Fatalf("round %d: admin view locked_until = %v, want %v", round, item.LockedUntil,
					u.LockedUntil)
			}
		}
		if round == 2 {
			break
		}
		sleepUntil(u.LockedUntil)
		v.Login("lara", pw)
	}
	if n := countEvents(t, v, admin, "account_lockout", id); n != 3 {
		t.Fatalf("account_lockout events = %d, want 3", n)
	}
}

func TestFailuresOutsideTheWindowDoNotLock(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"LOCKOUT_THRESHOLD": "3", "LOCKOUT_WINDOW": "1s", "LOCKOUT_DURATION": "1h"}})
	admin := v.Admin()
	v.Trader(admin, "wendy")
	failLogins(t, v, "wendy", 2)
	time.Sleep(1100 * time.Millisecond)
	failLogins(t, v, "wendy", 2)
	v.Login("wendy", apptest.TraderPassword("wendy"))
}

func TestAdminUnlock(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"LOCKOUT_THRESHOLD": "3", "LOCKOUT_DURATION": "1h"}})
	admin := v.Admin()
	id, _ := v.Trader(admin, "ulla")
	pw := apptest.TraderPassword("ulla")
	path := fmt.Sprintf("/api/v1/admin/users/%d", id)
	tests := []struct {
		name string
		lock func()
	}{
		{"after failed logins", func() { failLogins(t, v, "ulla", 3) }},
		{"after an admin lock", func() {
			v.Must(v.Do("PATCH", path, admin, map[string]bool{"locked": true}), 200)
		}},
	}
	for _, tt := range tests {
		tt.lock()
		v.Must(tryLogin(v, "ulla", pw, nil), 401)
		r := v.Must(v.Do("PATCH", path, admin, map[string]bool{"locked": false}), 200).JSON()
		if r["locked"] != false || r["locked_until"] != nil {
			t.Fatalf("%s: after unlock: %v", tt.name, r)
		}
		v.Login("ulla", pw)
		if u := storedUser(t, v, "ulla"); u.LockoutCount != 0 || !u.LockedUntil.IsZero() {
			t.Fatalf("%s: unlock left count %d until %v", tt.name, u.LockoutCount, u.LockedUntil)
		}
	}
	// An unlock also forgets failures that had not locked yet.
	failLogins(t, v, "ulla", 2)
	v.Must(v.Do("PATCH", path, admin, map[string]bool{"locked": false}), 200)
	failLogins(t, v, "ulla", 2)
	v.Login("ulla", pw)
}

// TestLockoutLeavesSessionsAlone: a stranger who locks an account by guessing does
// not log its owner out; only the next password login waits for the lock.
func TestLockoutLeavesSessionsAlone(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"LOCKOUT_THRESHOLD": "3", "LOCKOUT_DURATION": "1h"}})
	admin := v.Admin()
	v.Trader(admin, "sam")
	p := loginPair(t, v, "sam", apptest.TraderPassword("sam"), nil)
	failLogins(t, v, "sam", 3)
	v.Must(tryLogin(v, "sam", apptest.TraderPassword("sam"), nil), 401)
	v.Must(v.Do("GET", "/api/v1/account", p.Access, nil), 200)
	var next pair
	v.Must(refresh(v, p.Refresh), 200).Decode(t, &next)
	v.Must(v.Do("GET", "/api/v1/account", next.Access, nil), 200)
}
