package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// TestFieldsAreBoundedAndChecked: oversized credentials, malformed query filters and
// impossible path values are refused before any service sees them, each naming its
// field.
func TestFieldsAreBoundedAndChecked(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	long := strings.Repeat("9", 100)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"totp code", "POST", "/api/v1/auth/login", map[string]string{"username": "admin",
			"password": "x", "totp_code": long}, 400, "totp_code"},
		{"recovery code", "POST", "/api/v1/auth/login", map[string]string{"username": "admin",
			"password": "x", "recovery_code": long}, 400, "recovery_code"},
		{"refresh token", "POST", "/api/v1/auth/refresh", map[string]string{
			"refresh_token": strings.Repeat("r", 600)}, 400, "refresh_token"},
		{"current password", "POST", "/api/v1/me/password", map[string]string{
			"current_password": strings.Repeat("p", 2000), "new_password": "x"}, 400,
			"current_password"},
		{"enrollment code", "POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": long},
			400, "code"},
		{"order symbol filter", "GET", "/api/v1/orders?symbol=" + strings.Repeat("A", 300), nil,
			400, "symbol"},
		{"event ip filter", "GET", "/api/v1/admin/security-events?ip=zzz", nil, 400, "ip"},
		{"event type filter", "GET", "/api/v1/admin/security-events?type=a%00b", nil, 400, "type"},
		{"book of a non-symbol", "GET", "/api/v1/markets/a%20b/book", nil, 404, ""},
		{"halt a non-symbol", "PATCH", "/api/v1/admin/symbols/..%2F..", map[string]bool{"halted": true},
			404, ""},
		{"event ip filter accepted", "GET", "/api/v1/admin/security-events?ip=::ffff:127.0.0.1", nil,
			200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Do(tt.method, tt.path, admin, tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.field == "" {
				return
			}
			fields, _ := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)
			if fields[tt.field] == nil {
				t.Fatalf("error does not name %s: %s", tt.field, r.Body)
			}
		})
	}
	if r := v.Do("GET", "/api/v1/markets/ZZZ/book", admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("unknown symbol: %d", r.Status)
	}
}
