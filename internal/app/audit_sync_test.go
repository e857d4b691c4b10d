package app_test

import (
	"context"
	"testing"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/store"
)

// TestStateChangeAnsweredAfterItsRecordIsWritten: when the client holds the answer
// to a change, its audit record is already in the database, so not even a crash
// right after the answer can lose it.
func TestStateChangeAnsweredAfterItsRecordIsWritten(t *testing.T) {
	v := apptest.Start(t, apptest.Options{Env: map[string]string{"AUDIT_FLUSH_INTERVAL": "1h"}})
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	id, trader := v.Trader(admin, "sam")
	v.Deposit(admin, id, "USD", "1000")
	as := v.App.Store.(store.AuditStore)
	for range 5 {
		r := v.Must(v.Do("POST", "/api/v1/orders", trader, map[string]string{"symbol": "AAPL",
			"side": "buy", "type": "limit", "price": "10", "quantity": "1"}), 201)
		want := r.Header.Get("X-Request-Id")
		recs, err := as.ListAudit(context.Background(), store.AuditFilter{UserID: id},
			store.Page{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 || recs[0].RequestID != want || recs[0].Status != 201 {
			t.Fatalf("the answered order's record is not written yet: %+v", recs)
		}
	}
}
