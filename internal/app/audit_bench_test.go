package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/httpapi"
)

// BenchmarkRequestAuditOverhead is what the audit trail adds to a request: the
// same API over the same venue (SQLite, real services), built twice, with and
// without the audit writer as observer and state change gate, serving
// GET /api/v1/symbols in process (no network, so the audit share is an upper
// bound) from parallel clients. With audit on, the writer goroutine links,
// hashes and writes every record to SQLite on the same cores, and the time to
// drain what is still queued at the end is counted.
func BenchmarkRequestAuditOverhead(b *testing.B) {
	v := apptest.Start(b, apptest.Options{})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	a := v.App
	deps := httpapi.Deps{Store: a.Store, Auth: a.Auth, Accounts: a.Accounts, APIKeys: a.APIKeys,
		Trading: a.Trading, Events: a.Events, Logger: a.Log}
	opts := httpapi.Options{MaxBodyBytes: a.Config.MaxBodyBytes}

	off := httpapi.New(deps, opts)
	deps.Audit = a.Audit
	deps.Observers = []func(context.Context, httpapi.RequestInfo){observeAudit(a.Audit)}
	on := httpapi.New(deps, opts)

	for _, bc := range []struct {
		name string
		api  http.Handler
	}{{"audit=off", off}, {"audit=on", on}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/api/v1/symbols", nil)
					req.Header.Set("Authorization", "Bearer "+admin)
					rec := httptest.NewRecorder()
					bc.api.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
			// The records still queued are part of the cost: wait for them.
			for s := a.Audit.Stats(); s.Queued+int(s.Held) > 0; s = a.Audit.Stats() {
				time.Sleep(time.Millisecond)
			}
		})
	}
	if s := a.Audit.Stats(); s.Dropped > 0 {
		b.Fatalf("the audit writer dropped %d records", s.Dropped)
	}
}

// observeAudit is the venue's audit observer (app.auditObserver without SIEM
// forwarding).
func observeAudit(w *audit.Writer) func(context.Context, httpapi.RequestInfo) {
	return func(_ context.Context, i httpapi.RequestInfo) {
		w.Observe(audit.Request{Time: i.Time, RequestID: i.RequestID, UserID: i.UserID,
			APIKeyID: i.APIKeyID, Role: i.Role, ClientIP: i.ClientIP, Method: i.Method,
			Route: i.Route, Path: i.Path, Status: i.Status, Latency: i.Latency,
			UserAgent: i.UserAgent, Summary: i.Summary})
	}
}
