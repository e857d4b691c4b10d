package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// TestAccountChangesEndSessions checks that a role change, a lock and a password
// change revoke every earlier token of the user, and that a login right after the
// change (same second included) works.
func TestAccountChangesEndSessions(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	// continued is the pair a password change hands its caller.
	var continued pair
	tests := []struct {
		name     string
		change   func(t *testing.T, id int64, p pair) (password string)
		loginNow bool
	}{
		{"role change", func(t *testing.T, id int64, _ pair) string {
			must(t, v.Do("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", id), admin,
				map[string]string{"role": "analyst"}), 200)
			return apptest.TraderPassword("role1")
		}, true},
		{"lock", func(t *testing.T, id int64, _ pair) string {
			must(t, v.Do("PATCH", fmt.Sprintf("/api/v1/admin/users/%d", id), admin,
				map[string]bool{"locked": true}), 200)
			return ""
		}, false},
		{"password change", func(t *testing.T, _ int64, p pair) string {
			must(t, v.Do("POST", "/api/v1/me/password", p.Access, map[string]string{
				"current_password": apptest.TraderPassword("pwchg1"),
				"new_password":     "Quiet-lantern-harbour-93"}), 200).Decode(t, &continued)
			return "Quiet-lantern-harbour-93"
		}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := []string{"role1", "lock1", "pwchg1"}[i]
			id, _ := v.Trader(admin, name) // fails the parent only on a broken venue
			pw := apptest.TraderPassword(name)
			mine := loginPair(t, v, name, pw, nil)
			other := loginPair(t, v, name, pw, nil)

			newPW := tt.change(t, id, mine)
			for who, p := range map[string]pair{"this session": mine, "other session": other} {
				if r := v.Do("GET", "/api/v1/account", p.Access, nil); r.Status != 401 {
					t.Errorf("%s: old access token: %d %s", who, r.Status, r.Body)
				}
				if r := refresh(v, p.Refresh); r.Status != 401 {
					t.Errorf("%s: old refresh token: %d %s", who, r.Status, r.Body)
				}
			}
			if !tt.loginNow {
				must(t, tryLogin(v, name, pw, nil), 401)
				return
			}
			if newPW != pw {
				must(t, tryLogin(v, name, pw, nil), 401)
			}
			fresh := loginPair(t, v, name, newPW, nil)
			must(t, v.Do("GET", "/api/v1/me", fresh.Access, nil), 200)
			must(t, refresh(v, fresh.Refresh), 200)
			if continued.Access != "" {
				// The caller of a password change goes on in a new session.
				must(t, v.Do("GET", "/api/v1/me", continued.Access, nil), 200)
				must(t, refresh(v, continued.Refresh), 200)
			}
		})
	}
}

func TestPasswordChangeRules(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	v.Trader(admin, "penny")
	penny := apptest.TraderPassword("penny")
	tok := v.Login("penny", penny)
	tests := []struct {
		name    string
		current string
		next    string
		status  int
		code    string
		field   string
		rule    string
	}{
		{"wrong current password", "Not-my-password-1234!", "Quiet-lantern-harbour-93",
			400, "invalid_field", "current_password", ""},
		{"missing current password", "", "Quiet-lantern-harbour-93",
			400, "invalid_field", "current_password", ""},
		{"too short", penny, "Ab1!", 400, "weak_password", "password", "min_length"},
		{"common", penny, "password123", 400, "weak_password", "password", "common"},
		{"built on the username", penny, "penny-penny-2024",
			400, "weak_password", "password", "user_input"},
		{"strong but holds the username", penny, "Lantern-PENNY-harbour-93",
			400, "weak_password", "password", "user_input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Do("POST", "/api/v1/me/password", tok, map[string]string{
				"current_password": tt.current, "new_password": tt.next})
			if r.Status != tt.status || r.ErrorCode() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
			}
			fields, _ := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields[tt.field]; !ok {
				t.Errorf("fields = %v, want %s", fields, tt.field)
			}
			if tt.rule != "" && fields["rule"] != tt.rule {
				t.Errorf("rule = %v, want %s", fields["rule"], tt.rule)
			}
		})
	}
	// None of the refusals changed anything.
	v.Must(v.Do("GET", "/api/v1/me", tok, nil), 200)
	v.Login("penny", penny)
}
