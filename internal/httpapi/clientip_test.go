package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/clientip"
	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/store"
)

// TestSpoofedForwardedForChangesNothing sends every request with a different
// X-Forwarded-For from a peer that is not a trusted proxy: the limiter, the block,
// the lockout and the recorded events all see the socket address.
func TestSpoofedForwardedForChangesNothing(t *testing.T) {
	v := limitedVenue(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8",
		"RATE_LIMIT_PER_MINUTE": "4", "RATE_LIMIT_BURST": "0", "ABUSE_THRESHOLD": "2",
		"LOCKOUT_THRESHOLD": "2"})
	ctx := context.Background()
	victim := v.CreateUserDirect("victim", "trader", "Quiet-harbor-pass-42!")
	n := 0
	spoofed := func(method, path string, body any) apptest.Response {
		n++
		return v.DoHeaders(method, path, body, map[string]string{
			"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", n),
			"Forwarded":       fmt.Sprintf("for=198.51.100.%d", n)})
	}

	wrong := map[string]string{"username": "victim", "password": "not-the-password-1"}
	for range 2 {
		if r := spoofed("POST", "/api/v1/auth/login", wrong); r.Status != http.StatusUnauthorized {
			t.Fatalf("failed login: %d %s", r.Status, r.Body)
		}
	}
	u, err := v.App.Store.GetUser(ctx, victim.ID)
	if err != nil || u.LockedUntil.IsZero() {
		t.Fatalf("lockout dodged by changing X-Forwarded-For: %+v %v", u, err)
	}
	events, err := v.App.Store.ListSecurityEvents(ctx,
		store.SecurityEventFilter{Type: "failed_login_attempt"}, store.Page{Limit: 10})
	if err != nil || len(events) != 2 {
		t.Fatalf("failed login events = %+v, %v", events, err)
	}
	for _, e := range events {
		if e.IP != "127.0.0.1" {
			t.Fatalf("event recorded the spoofed address %q", e.IP)
		}
	}

	statuses := []int{}
	for range 5 {
		statuses = append(statuses, spoofed("GET", "/healthz", nil).Status)
	}
	if want := "[200 200 429 429 403]"; fmt.Sprint(statuses) != want {
		t.Fatalf("statuses = %v, want %s: the limit or block was dodged", statuses, want)
	}
	events, err = v.App.Store.ListSecurityEvents(ctx,
		store.SecurityEventFilter{Type: "suspicious_api_usage"}, store.Page{Limit: 10})
	if err != nil || len(events) != 1 || events[0].IP != "127.0.0.1" {
		t.Fatalf("block events = %+v, %v", events, err)
	}
}

// TestObserversSeeTheResolvedAddress: what the audit trail receives is the socket
// peer unless that peer is a trusted proxy.
func TestObserversSeeTheResolvedAddress(t *testing.T) {
	var seen []string
	api := httpapi.New(httpapi.Deps{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		ClientIP: clientip.NewResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}),
		Observers: []func(context.Context, httpapi.RequestInfo){
			func(_ context.Context, i httpapi.RequestInfo) { seen = append(seen, i.ClientIP) },
		},
	}, httpapi.Options{})
	tests := []struct {
		name string
		peer string
		xff  string
		want string
	}{
		{"untrusted peer, spoofed header", "192.0.2.1:5000", "203.0.113.7", "192.0.2.1"},
		{"untrusted peer, spoofed chain", "192.0.2.1:5000", "203.0.113.7, 10.0.0.2", "192.0.2.1"},
		{"trusted proxy", "10.0.0.1:5000", "203.0.113.7", "203.0.113.7"},
		{"trusted proxy, forged left part", "10.0.0.1:5000", "1.2.3.4, 203.0.113.7", "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			req := httptest.NewRequest("GET", "/healthz", nil)
			req.RemoteAddr = tt.peer
			req.Header.Set("X-Forwarded-For", tt.xff)
			api.ServeHTTP(httptest.NewRecorder(), req)
			if len(seen) != 1 || seen[0] != tt.want {
				t.Fatalf("observer saw %v, want %s", seen, tt.want)
			}
		})
	}
}
