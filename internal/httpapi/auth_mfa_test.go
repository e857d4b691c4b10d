package httpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/auth/totp"
	"github.com/octopus-venue/octopus/internal/store"
)

// code is the TOTP code an authenticator shows at now+offset.
func code(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.Code(secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enroll turns TOTP on for the holder of tok and returns the secret and the
// recovery codes.
func enroll(t *testing.T, v *apptest.Venue, tok string) (string, []string) {
	t.Helper()
	var e struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
	}
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp", tok, nil), 200).Decode(t, &e)
	if e.Secret == "" || !strings.HasPrefix(e.URI, "otpauth://totp/") ||
		!strings.Contains(e.URI, "secret="+e.Secret) {
		t.Fatalf("enrollment = %+v", e)
	}
	var c struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp/confirm", tok,
		map[string]string{"code": code(t, e.Secret, 0)}), 200).Decode(t, &c)
	return e.Secret, c.RecoveryCodes
}

func TestTOTPEnrollmentAndLogin(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	id, tok := v.Trader(admin, "mia")
	pw := apptest.TraderPassword("mia")

	// Confirming needs a valid code, and a wrong one is a security event.
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp/confirm", tok, map[string]string{"code": "123456"}), 409)
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp", tok, nil), 200)
	r := v.Do("POST", "/api/v1/me/mfa/totp/confirm", tok, map[string]string{"code": "000000"})
	if r.Status != 400 || r.ErrorCode() != "invalid_code" {
		t.Fatalf("wrong confirmation code: %d %s", r.Status, r.Body)
	}
	if n := countEvents(t, v, admin, "mfa_failure", id); n != 1 {
		t.Fatalf("mfa_failure events = %d, want 1", n)
	}

	secret, recovery := enroll(t, v, tok)
	if len(recovery) != 10 {
		t.Fatalf("recovery codes = %d, want 10", len(recovery))
	}
	if v.Must(v.Do("GET", "/api/v1/me", tok, nil), 200).JSON()["mfa_enabled"] != true {
		t.Fatal("mfa_enabled is not true after confirmation")
	}
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp", tok, nil), 409)
	if u := storedUser(t, v, "mia"); strings.Contains(string(u.TOTPSecret), secret) {
		t.Fatal("the TOTP seed is stored in clear")
	}

	r = tryLogin(v, "mia", pw, nil)
	if r.Status != 401 || r.ErrorCode() != "mfa_required" {
		t.Fatalf("login without a code: %d %s", r.Status, r.Body)
	}
	// The code that confirmed enrollment is spent: its step is not newer.
	v.Must(tryLogin(v, "mia", pw, map[string]string{"totp_code": code(t, secret, 0)}), 401)

	next := code(t, secret, 30*time.Second)
	loginPair(t, v, "mia", pw, map[string]string{"totp_code": next})
	r = tryLogin(v, "mia", pw, map[string]string{"totp_code": next})
	if r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
		t.Fatalf("the same code twice: %d %s", r.Status, r.Body)
	}

	// Each recovery code works once, in any spelling the user may type.
	loginPair(t, v, "mia", pw, map[string]string{"recovery_code": strings.ToUpper(recovery[0])})
	v.Must(tryLogin(v, "mia", pw, map[string]string{"recovery_code": recovery[0]}), 401)
	loginPair(t, v, "mia", pw, map[string]string{"recovery_code": recovery[1]})

	// A valid second factor never rescues a wrong password.
	v.Must(tryLogin(v, "mia", "Wrong-guess-xyz-123!",
		map[string]string{"recovery_code": recovery[2]}), 401)
	loginPair(t, v, "mia", pw, map[string]string{"recovery_code": recovery[2]})
}

func TestMFAFailuresAreCountedApartFromPasswords(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"LOCKOUT_THRESHOLD": "3", "LOCKOUT_DURATION": "1h"}})
	admin := v.Admin()
	id, tok := v.Trader(admin, "otto")
	pw := apptest.TraderPassword("otto")
	secret, _ := enroll(t, v, tok)

	// A stranger who knows only the username never reaches the second factor.
	for _, c := range []string{"000000", code(t, secret, 30*time.Second)} {
		v.Must(tryLogin(v, "otto", "Wrong-guess-xyz-123!", map[string]string{"totp_code": c}), 401)
	}
	if n := countEvents(t, v, admin, "mfa_failure", id); n != 0 {
		t.Fatalf("a wrong password produced %d mfa_failure events", n)
	}
	// Two wrong codes from the owner: with two wrong passwords that makes four
	// failures, but neither kind reached three.
	for range 2 {
		v.Must(tryLogin(v, "otto", pw, map[string]string{"totp_code": "000000"}), 401)
	}
	if n := countEvents(t, v, admin, "mfa_failure", id); n != 2 {
		t.Fatalf("mfa_failure events = %d, want 2", n)
	}
	loginPair(t, v, "otto", pw, map[string]string{"totp_code": code(t, secret, 30*time.Second)})

	// Three wrong codes in a row lock the account like three wrong passwords.
	for range 3 {
		v.Must(tryLogin(v, "otto", pw, map[string]string{"totp_code": "000000"}), 401)
	}
	if u := storedUser(t, v, "otto"); u.LockedUntil.Before(time.Now().Add(50 * time.Minute)) {
		t.Fatalf("not locked after three wrong codes: until %v", u.LockedUntil)
	}
	lockouts := events(t, v, admin, url.Values{"type": {"account_lockout"}, "user_id": {fmtID(id)}})
	if len(lockouts) != 1 || !strings.HasPrefix(lockouts[0].Detail, "mfa") {
		t.Fatalf("account_lockout events = %+v", lockouts)
	}
}

func TestMFARequiredRoleGetsAnEnrollOnlyToken(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{"MFA_REQUIRED_ROLES": "admin"}})
	first := loginPair(t, v, "admin", apptest.AdminPassword, nil)
	if first.Scope != "mfa_enroll" || first.Refresh != "" {
		t.Fatalf("admin without MFA got %+v, want an mfa_enroll token without refresh", first)
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/admin/users", "/api/v1/admin/security-events"} {
		r := v.Do("GET", path, first.Access, nil)
		if r.Status != 403 || r.ErrorCode() != "mfa_enrollment_required" {
			t.Fatalf("GET %s with an enroll-only token: %d %s", path, r.Status, r.Body)
		}
	}
	secret, _ := enroll(t, v, first.Access)
	full := loginPair(t, v, "admin", apptest.AdminPassword,
		map[string]string{"totp_code": code(t, secret, 30*time.Second)})
	if full.Scope != "" || full.Refresh == "" {
		t.Fatalf("after enrollment the admin got %+v", full)
	}
	v.Must(v.Do("GET", "/api/v1/admin/users", full.Access, nil), 200)
	// An admin on the way to enrolling is not escalating privileges.
	evs, err := v.App.Store.ListSecurityEvents(context.Background(),
		store.SecurityEventFilter{Type: "privilege_escalation"}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("privilege_escalation events = %+v, want none", evs)
	}

	// Roles outside MFA_REQUIRED_ROLES log in as usual.
	_, trader := v.Trader(full.Access, "tess")
	v.Must(v.Do("GET", "/api/v1/account", trader, nil), 200)
}
