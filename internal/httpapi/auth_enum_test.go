package httpapi_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// enumVenue has a trader with a known password, one locked by an admin, one locked
// out by failures and one with MFA, so every way a login can fail is at hand.
func enumVenue(t *testing.T, env map[string]string) *apptest.Venue {
	t.Helper()
	v := apptest.Start(t, apptest.Options{Env: env})
	admin := v.Admin()
	v.Trader(admin, "known")
	id, _ := v.Trader(admin, "frozen")
	v.Must(v.Do("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", id), admin,
		map[string]bool{"locked": true}), 200)
	v.Trader(admin, "tripped")
	for range 5 {
		tryLogin(v, "tripped", "Wrong-guess-xyz-123!", nil)
	}
	_, tok := v.Trader(admin, "guarded")
	enroll(t, v, tok)
	return v
}

// loginCases are failures that must all look alike: every one of them knows either
// no account or no password.
func loginCases() []struct{ name, username, password string } {
	return []struct{ name, username, password string }{
		{"unknown user", "nobody-here", "Wrong-guess-xyz-123!"},
		{"wrong password", "known", "Wrong-guess-xyz-123!"},
		{"admin-locked, right password", "frozen", apptest.TraderPassword("frozen")},
		{"admin-locked, wrong password", "frozen", "Wrong-guess-xyz-123!"},
		{"locked out, right password", "tripped", apptest.TraderPassword("tripped")},
		{"MFA user, wrong password", "guarded", "Wrong-guess-xyz-123!"},
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	v := enumVenue(t, map[string]string{"LOCKOUT_THRESHOLD": "5", "LOCKOUT_DURATION": "1h"})
	var first apptest.Response
	for i, tc := range loginCases() {
		r := tryLogin(v, tc.username, tc.password, nil)
		if i == 0 {
			first = r
			if r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
				t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
			}
			continue
		}
		if r.Status != first.Status || !bytes.Equal(r.Body, first.Body) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, r.Body, first.Status, first.Body)
		}
		for _, h := range []string{"WWW-Authenticate", "Content-Type", "Retry-After"} {
			if r.Header.Get(h) != first.Header.Get(h) {
				t.Errorf("%s: header %s = %q, want %q", tc.name, h, r.Header.Get(h), first.Header.Get(h))
			}
		}
	}
}

// TestLoginTimingDoesNotRevealAccounts measures every failing login case at a real
// bcrypt cost, interleaved so that machine noise hits them alike, and allows only
// noise between their medians.
func TestLoginTimingDoesNotRevealAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("timing comparison takes a few seconds")
	}
	if raceEnabled {
		// The detector slows bcrypt twentyfold and unevenly: it would time itself.
		t.Skip("timing comparison is meaningless under the race detector")
	}
	tries := 40
	if os.Getenv("OCTOPUS_TIMING_TRIES") == "few" {
		tries = 15
	}
	v := enumVenue(t, map[string]string{"BCRYPT_COST": "10",
		"LOCKOUT_THRESHOLD": "5", "LOCKOUT_DURATION": "1h"})
	// The three paths that run different code after the hash: no user, a counted
	// failure, and a locked account (the other cases repeat one of these).
	cases := slices.DeleteFunc(loginCases(), func(c struct{ name, username, password string }) bool {
		return c.username == "frozen" || c.username == "guarded"
	})
	// A real leak shows in every attempt; a burst of load from other tests on a
	// shared machine shows in one. So up to three attempts, each of which compares
	// each case with the unknown-user try next to it in time, which cancels slow
	// drift in machine load.
	var failures []string
	for attempt := 1; attempt <= 3; attempt++ {
		failures = timingAttempt(t, v, cases, tries)
		if len(failures) == 0 {
			return
		}
		t.Logf("attempt %d: %v", attempt, failures)
	}
	t.Errorf("login timing reveals accounts in every attempt: %v", failures)
}

func timingAttempt(t *testing.T, v *apptest.Venue, cases []struct{ name, username, password string },
	tries int) []string {
	t.Helper()
	times := make([][]time.Duration, len(cases))
	for range tries {
		for i, tc := range cases {
			start := time.Now()
			r := tryLogin(v, tc.username, tc.password, nil)
			times[i] = append(times[i], time.Since(start))
			if r.Status != 401 {
				t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
			}
		}
	}
	base := median(times[0])
	if base < 10*time.Millisecond {
		t.Fatalf("median login %v: the bcrypt comparison is not being done", base)
	}
	var failures []string
	for i, tc := range cases[1:] {
		diffs := make([]time.Duration, tries)
		for k := range tries {
			diffs[k] = times[i+1][k] - times[0][k]
		}
		diff := median(diffs).Abs()
		tolerance := max(20*time.Millisecond, base*15/100)
		t.Logf("%-32s median %v, paired difference to unknown user %v", tc.name, median(times[i+1]), diff)
		if diff > tolerance {
			failures = append(failures, fmt.Sprintf("%s: %v above noise (%v)", tc.name, diff, tolerance))
		}
	}
	return failures
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
