package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// NewAuditStoreFunc opens an empty, migrated audit store that is closed when t
// ends.
type NewAuditStoreFunc = func(t *testing.T) store.AuditStore

// RunAudit runs the audit contract suite, one subtest per behaviour, each on a
// fresh store from newStore. It is separate from Run because AuditStore is not
// part of store.Store.
func RunAudit(t *testing.T, newStore NewAuditStoreFunc) {
	suites := []struct {
		name string
		run  func(t *testing.T, newStore NewAuditStoreFunc)
	}{
		{"EmptyHead", testAuditEmptyHead},
		{"AppendRoundTrip", testAuditRoundTrip},
		{"AppendChecksHead", testAuditChecksHead},
		{"LargeBatch", testAuditLargeBatch},
		{"List", testAuditList},
		{"Scan", testAuditScan},
		{"Prune", testAuditPrune},
		{"PruneEverything", testAuditPruneEverything},
		{"Partitions", testAuditPartitions},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore) })
	}
}

// fakeHash is a stand-in record hash: stores never check hashes, only that a
// batch continues the head.
func fakeHash(id int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	h := sha256.Sum256(b[:])
	return h[:]
}

// auditChain builds n records continuing head, chained one second apart from
// start, with fields varied by id so filters have something to match.
func auditChain(head store.AuditHead, n int, start time.Time) []store.AuditRecord {
	list := make([]store.AuditRecord, n)
	prev := head.Hash
	for i := range list {
		id := head.ID + int64(i) + 1
		at := start.Add(time.Duration(i) * time.Second)
		list[i] = store.AuditRecord{
			ID: id, ChainedAt: at, Time: at.Add(-time.Millisecond),
			RequestID: fmt.Sprintf("req-%d", id), UserID: id % 3, Role: "trader",
			ClientIP: fmt.Sprintf("192.0.2.%d", id%4), Method: "GET",
			Route: "GET /api/v1/orders/{id}", Path: fmt.Sprintf("/api/v1/orders/%d", id),
			Status: 200 + int(id%2)*204, LatencyMicros: 1500 + id, UserAgent: "curl/8.5",
			PrevHash: prev, Hash: fakeHash(id),
		}
		if id%5 == 0 {
			list[i].APIKeyID = "hmac:" + fmt.Sprintf("%064x", id)
			list[i].Method, list[i].Route, list[i].Status = "POST", "POST /api/v1/orders", 201
			list[i].Summary = fmt.Sprintf("order %d BTC-USD buy 1.5 @ 42000", id)
		}
		prev = list[i].Hash
	}
	return list
}

// appendChain appends n records after the current head and returns them.
func appendChain(t *testing.T, s store.AuditStore, n int, start time.Time) []store.AuditRecord {
	t.Helper()
	head, err := s.LastAudit(t.Context())
	must(t, "last audit", err)
	list := auditChain(head, n, start)
	must(t, "append audit", s.AppendAudit(t.Context(), list))
	return list
}

// sameAudit fails t unless got and want hold the same records in order.
func sameAudit(t *testing.T, what string, got, want []store.AuditRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.ChainedAt.Equal(w.ChainedAt) || !g.Time.Equal(w.Time) {
			t.Fatalf("%s: record %d times = %v, %v; want %v, %v", what, w.ID,
				g.ChainedAt, g.Time, w.ChainedAt, w.Time)
		}
		g.ChainedAt, g.Time = w.ChainedAt, w.Time
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("%s: record\n got %+v\nwant %+v", what, g, w)
		}
	}
}

func auditIDs(list []store.AuditRecord) []int64 {
	ids := make([]int64, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	return ids
}

func testAuditEmptyHead(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	head, err := s.LastAudit(t.Context())
	must(t, "last audit", err)
	if head.ID != 0 || !bytes.Equal(head.Hash, make([]byte, store.AuditHashSize)) ||
		!head.ChainedAt.IsZero() {
		t.Fatalf("empty head = %+v, want id 0, zero hash, zero time", head)
	}
	must(t, "append nothing", s.AppendAudit(t.Context(), nil))
}

func testAuditRoundTrip(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	head, err := s.LastAudit(t.Context())
	must(t, "last audit", err)
	want := auditChain(head, 10, base)
	want[3].UserAgent = "agent with ünïcode, 'quotes' and \\ backslash"
	want[4].Summary = "withdraw 0.00000001 BTC"
	must(t, "append", s.AppendAudit(t.Context(), want))
	got, err := s.ScanAudit(t.Context(), 0, 100)
	must(t, "scan", err)
	sameAudit(t, "scan", got, want)

	head, err = s.LastAudit(t.Context())
	must(t, "last audit", err)
	last := want[len(want)-1]
	if head.ID != last.ID || !bytes.Equal(head.Hash, last.Hash) || !head.ChainedAt.Equal(last.ChainedAt) {
		t.Fatalf("head = %+v, want id %d at %v", head, last.ID, last.ChainedAt)
	}
	if head.ChainedAt.Location() != time.UTC || got[0].Time.Location() != time.UTC {
		t.Fatalf("times not in UTC: %v, %v", head.ChainedAt, got[0].Time)
	}

	more := appendChain(t, s, 3, at(time.Hour))
	if more[0].ID != last.ID+1 || !bytes.Equal(more[0].PrevHash, last.Hash) {
		t.Fatalf("second batch starts at %d, want %d", more[0].ID, last.ID+1)
	}
}

func testAuditChecksHead(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	first := appendChain(t, s, 3, base)
	head, err := s.LastAudit(t.Context())
	must(t, "last audit", err)

	tests := []struct {
		name   string
		mutate func([]store.AuditRecord)
	}{
		{"id already taken", func(l []store.AuditRecord) { l[0].ID = head.ID }},
		{"id skips ahead", func(l []store.AuditRecord) { l[0].ID = head.ID + 2 }},
		{"wrong previous hash", func(l []store.AuditRecord) { l[0].PrevHash = fakeHash(99) }},
		{"gap inside the batch", func(l []store.AuditRecord) { l[2].ID += 1 }},
		{"duplicate inside the batch", func(l []store.AuditRecord) { l[2].ID = l[1].ID }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch := auditChain(head, 4, at(time.Minute))
			tt.mutate(batch)
			err := s.AppendAudit(t.Context(), batch)
			wantErr(t, "append", err, store.ErrAuditHead)

			got, err := s.ScanAudit(t.Context(), 0, 100)
			must(t, "scan", err)
			sameAudit(t, "after refused append", got, first)
		})
	}
}

func testAuditLargeBatch(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	want := appendChain(t, s, 1234, base)

	var got []store.AuditRecord
	after := int64(0)
	for {
		page, err := s.ScanAudit(t.Context(), after, 500)
		must(t, "scan", err)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].ID
	}
	sameAudit(t, "large batch", got, want)
}

func testAuditList(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	all := appendChain(t, s, 20, base)
	newest := slices.Clone(all)
	slices.Reverse(newest)
	pick := func(keep func(store.AuditRecord) bool) []int64 {
		var ids []int64
		for _, r := range newest {
			if keep(r) {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}

	tests := []struct {
		name   string
		filter store.AuditFilter
		page   store.Page
		want   []int64
	}{
		{"all newest first", store.AuditFilter{}, store.Page{},
			pick(func(store.AuditRecord) bool { return true })},
		{"user", store.AuditFilter{UserID: 2}, store.Page{},
			pick(func(r store.AuditRecord) bool { return r.UserID == 2 })},
		{"api key", store.AuditFilter{APIKeyID: all[9].APIKeyID}, store.Page{}, []int64{10}},
		{"ip", store.AuditFilter{IP: "192.0.2.3"}, store.Page{},
			pick(func(r store.AuditRecord) bool { return r.ClientIP == "192.0.2.3" })},
		{"route", store.AuditFilter{Route: "POST /api/v1/orders"}, store.Page{},
			[]int64{20, 15, 10, 5}},
		{"status", store.AuditFilter{Status: 404}, store.Page{},
			pick(func(r store.AuditRecord) bool { return r.Status == 404 })},
		{"from inclusive, to exclusive", store.AuditFilter{From: all[2].Time, To: all[5].Time},
			store.Page{}, []int64{5, 4, 3}},
		{"route and user", store.AuditFilter{Route: "POST /api/v1/orders", UserID: 1},
			store.Page{}, []int64{10}},
		{"page before", store.AuditFilter{}, store.Page{Before: 10, Limit: 3}, []int64{9, 8, 7}},
		{"no match", store.AuditFilter{IP: "198.51.100.1"}, store.Page{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAudit(t.Context(), tt.filter, tt.page)
			must(t, "list audit", err)
			sameIDs(t, "list audit", auditIDs(got), tt.want)
		})
	}
}

func testAuditScan(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	appendChain(t, s, 10, base)
	tests := []struct {
		name  string
		after int64
		limit int
		want  []int64
	}{
		{"from the start", 0, 3, []int64{1, 2, 3}},
		{"after an id", 7, 10, []int64{8, 9, 10}},
		{"past the end", 10, 10, nil},
		{"zero limit reads one", 4, 0, []int64{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ScanAudit(t.Context(), tt.after, tt.limit)
			must(t, "scan", err)
			sameIDs(t, "scan", auditIDs(got), tt.want)
		})
	}
}

// ensurePartitions runs partition maintenance for each day when the store is
// partitioned.
func ensurePartitions(t *testing.T, s store.AuditStore, days ...time.Time) {
	t.Helper()
	p, ok := s.(store.AuditPartitioner)
	if !ok {
		return
	}
	for _, d := range days {
		must(t, "ensure partitions", p.EnsureAuditPartitions(t.Context(), d))
	}
}

func testAuditPrune(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	day := 24 * time.Hour
	// Four days of records, six an hour apart each day. On PostgreSQL day 0
	// has a partition and days 1 to 3 land in the default partition.
	ensurePartitions(t, s, at(-7*day))
	var all []store.AuditRecord
	for d := range 4 {
		for h := range 6 {
			all = append(all, appendChain(t, s, 1, at(time.Duration(d)*day+time.Duration(h)*time.Hour))...)
		}
	}
	tests := []struct {
		name      string
		cut       time.Time
		wantCount int64
		wantFirst int64
	}{
		{"nothing older", at(-day), 0, 1},
		{"mid first day", at(2*time.Hour + time.Second), 3, 4},
		{"whole first day", at(day), 3, 7},
		{"into the default partition", at(2*day + 90*time.Minute), 8, 15},
		{"again is a no-op", at(2*day + 90*time.Minute), 0, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.PruneAudit(t.Context(), tt.cut)
			must(t, "prune", err)
			if n != tt.wantCount {
				t.Fatalf("pruned %d, want %d", n, tt.wantCount)
			}
			got, err := s.ScanAudit(t.Context(), 0, 1000)
			must(t, "scan", err)
			sameAudit(t, "kept", got, all[tt.wantFirst-1:])
		})
	}

	head, err := s.LastAudit(t.Context())
	must(t, "last audit", err)
	if head.ID != int64(len(all)) {
		t.Fatalf("head after prune = %d, want %d", head.ID, len(all))
	}
}

func testAuditPruneEverything(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	ensurePartitions(t, s, base)
	all := appendChain(t, s, 5, base)
	n, err := s.PruneAudit(t.Context(), at(time.Hour))
	must(t, "prune", err)
	if n != 5 {
		t.Fatalf("pruned %d, want 5", n)
	}

	more := appendChain(t, s, 2, at(2*time.Hour))
	if more[0].ID != 6 || !bytes.Equal(more[0].PrevHash, all[4].Hash) {
		t.Fatalf("after pruning everything the chain restarted at %d", more[0].ID)
	}
	got, err := s.ScanAudit(t.Context(), 0, 100)
	must(t, "scan", err)
	sameAudit(t, "kept", got, more)
}

// testAuditPartitions checks that records written before their day's partition
// existed are still found, and pruned, once maintenance has created it.
func testAuditPartitions(t *testing.T, newStore NewAuditStoreFunc) {
	s := newStore(t)
	if _, ok := s.(store.AuditPartitioner); !ok {
		t.Skip("store is not partitioned")
	}
	early := appendChain(t, s, 4, at(-30*24*time.Hour))
	ensurePartitions(t, s, at(-30*24*time.Hour), at(-30*24*time.Hour))
	late := appendChain(t, s, 4, base)

	got, err := s.ScanAudit(t.Context(), 0, 100)
	must(t, "scan", err)
	sameAudit(t, "after moving into a partition", got, append(slices.Clone(early), late...))

	n, err := s.PruneAudit(t.Context(), at(-time.Hour))
	must(t, "prune", err)
	if n != 4 {
		t.Fatalf("pruned %d, want 4", n)
	}
	got, err = s.ScanAudit(t.Context(), 0, 100)
	must(t, "scan", err)
	sameAudit(t, "kept", got, late)
}
