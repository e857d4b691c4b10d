package storetest

import (
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

func testSecurityEvents(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	u := createUser(t, s, "alice", "trader")
	events := []store.SecurityEvent{
		{Type: "login_failed", Severity: "warn", UserID: u.ID, IP: "192.0.2.1",
			CreatedAt: at(1 * time.Second)},
		{Type: "login_failed", Severity: "warn", IP: "192.0.2.2", CreatedAt: at(2 * time.Second)},
		{Type: "lockout", Severity: "high", UserID: u.ID, IP: "192.0.2.1", CreatedAt: at(3 * time.Second),
			Detail: "5 failures"},
		{Type: "login_failed", Severity: "warn", UserID: u.ID, IP: "192.0.2.1",
			CreatedAt: at(4 * time.Second)},
		{Type: "ip_blocked", Severity: "high", IP: "2001:db8::1"},
	}
	var idList []int64
	for i := range events {
		must(t, "insert event", s.InsertSecurityEvent(t.Context(), &events[i]))
		if events[i].ID == 0 || events[i].CreatedAt.IsZero() {
			t.Fatalf("insert did not set ID and CreatedAt: %+v", events[i])
		}
		idList = append(idList, events[i].ID)
	}
	id := func(i int) int64 { return idList[i] }

	tests := []struct {
		name   string
		filter store.SecurityEventFilter
		page   store.Page
		want   []int64
	}{
		{"all newest first", store.SecurityEventFilter{}, store.Page{},
			[]int64{id(4), id(3), id(2), id(1), id(0)}},
		{"type", store.SecurityEventFilter{Type: "login_failed"}, store.Page{}, []int64{id(3), id(1), id(0)}},
		{"user", store.SecurityEventFilter{UserID: u.ID}, store.Page{}, []int64{id(3), id(2), id(0)}},
		{"ip", store.SecurityEventFilter{IP: "192.0.2.1"}, store.Page{}, []int64{id(3), id(2), id(0)}},
		{"ipv6", store.SecurityEventFilter{IP: "2001:db8::1"}, store.Page{}, []int64{id(4)}},
		{"from inclusive", store.SecurityEventFilter{From: at(2 * time.Second), To: at(time.Minute)},
			store.Page{}, []int64{id(3), id(2), id(1)}},
		{"to exclusive", store.SecurityEventFilter{To: at(3 * time.Second)}, store.Page{},
			[]int64{id(1), id(0)}},
		{"type and user", store.SecurityEventFilter{Type: "login_failed", UserID: u.ID},
			store.Page{}, []int64{id(3), id(0)}},
		{"page", store.SecurityEventFilter{}, store.Page{Before: id(3), Limit: 2},
			[]int64{id(2), id(1)}},
		{"no match", store.SecurityEventFilter{Type: "nothing"}, store.Page{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListSecurityEvents(t.Context(), tt.filter, tt.page)
			must(t, "list events", err)
			sameIDs(t, "list events", ids(got, eventID), tt.want)
		})
	}

	got, err := s.ListSecurityEvents(t.Context(), store.SecurityEventFilter{Type: "lockout"}, store.Page{})
	must(t, "list events", err)
	if len(got) != 1 || got[0] != events[2] {
		t.Fatalf("lockout events = %+v, want %+v", got, events[2])
	}
}
