package httpapi_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
)

// TestSecurityEventsAreListedAndFiltered causes one of each specified event type
// through the API and reads them back through every filter.
func TestSecurityEventsAreListedAndFiltered(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{
		"LOCKOUT_THRESHOLD": "2", "LOCKOUT_DURATION": "1h"}})
	admin := v.Admin()
	start := time.Now().UTC().Add(-time.Second)
	victimID, _ := v.Trader(admin, "vic")
	eveID, eve := v.Trader(admin, "eve")

	failLogins(t, v, "vic", 2)                                // failed_login_attempt ×2, account_lockout
	v.Must(v.Do("GET", "/api/v1/admin/users", eve, nil), 403) // privilege_escalation
	p := loginPair(t, v, "eve", apptest.TraderPassword("eve"), nil)
	v.Must(refresh(v, p.Refresh), 200)
	v.Must(refresh(v, p.Refresh), 401) // refresh_token_reuse
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp", eve, nil), 200)
	v.Must(v.Do("POST", "/api/v1/me/mfa/totp/confirm", eve, map[string]string{"code": "000000"}),
		400) // mfa_failure

	want := map[string]int64{"failed_login_attempt": victimID, "account_lockout": victimID,
		"privilege_escalation": eveID, "refresh_token_reuse": eveID, "mfa_failure": eveID}
	for typ, user := range want {
		evs := events(t, v, admin, url.Values{"type": {typ}})
		if len(evs) == 0 {
			t.Errorf("no %s event", typ)
			continue
		}
		for _, e := range evs {
			if e.Type != typ || e.UserID == nil || *e.UserID != user || e.IP != "127.0.0.1" ||
				e.Detail == "" || e.Severity == "" || e.CreatedAt.Before(start) {
				t.Errorf("%s event = %+v", typ, e)
			}
		}
	}

	all := len(events(t, v, admin, url.Values{}))
	soon := time.Now().UTC().Add(time.Minute).Format(time.RFC3339)
	tests := []struct {
		name    string
		filters url.Values
		want    func(e securityEvent) bool
		count   int // -1: at least one
	}{
		{"by user", url.Values{"user_id": {fmtID(victimID)}},
			func(e securityEvent) bool { return *e.UserID == victimID }, 3},
		{"by user and type", url.Values{"user_id": {fmtID(victimID)}, "type": {"failed_login_attempt"}},
			func(e securityEvent) bool { return e.Type == "failed_login_attempt" }, 2},
		{"by ip", url.Values{"ip": {"127.0.0.1"}},
			func(e securityEvent) bool { return e.IP == "127.0.0.1" }, all},
		{"by another ip", url.Values{"ip": {"192.0.2.1"}}, nil, 0},
		{"in the time range", url.Values{"from": {start.Format(time.RFC3339)}, "to": {soon}},
			func(e securityEvent) bool { return !e.CreatedAt.Before(start) }, all},
		{"from the future", url.Values{"from": {soon}}, nil, 0},
		{"up to the past", url.Values{"to": {start.Add(-time.Hour).Format(time.RFC3339)}}, nil, 0},
		{"unknown type", url.Values{"type": {"no_such_event"}}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := events(t, v, admin, tt.filters)
			if len(evs) != tt.count {
				t.Fatalf("%d events, want %d: %+v", len(evs), tt.count, evs)
			}
			for _, e := range evs {
				if !tt.want(e) {
					t.Errorf("event outside the filter: %+v", e)
				}
			}
		})
	}
	for _, bad := range []string{"user_id=abc", "from=yesterday", "to=2026-13-01", "colour=red"} {
		if r := v.Do("GET", "/api/v1/admin/security-events?"+bad, admin, nil); r.Status != 400 {
			t.Errorf("filter %s: %d %s", bad, r.Status, r.Body)
		}
	}
	v.Must(v.Do("GET", "/api/v1/admin/security-events", eve, nil), 403)
}
