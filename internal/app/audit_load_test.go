package app_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
)

const (
	loadWorkers   = 32
	loadPerWorker = 100
)

// TestAuditLoadWithRestart is the first acceptance criterion of the audit trail:
// under a concurrent load with a graceful restart in the middle, every answered
// request has exactly one record and no record lacks an answered request; the
// chain and its signed digests verify; a row edited in the database, or the
// chain rewritten consistently after it, is caught and named.
func TestAuditLoadWithRestart(t *testing.T) {
	dir := t.TempDir()
	v := apptest.Start(t, apptest.Options{Dir: dir, Env: map[string]string{
		"AUDIT_DIGEST_INTERVAL": "1s", "AUDIT_FLUSH_INTERVAL": "20ms"}})
	tokens := loadSetup(t, v, 4)
	setup := waitAudit(t, v)

	c := newLoadClient(v.URL)
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Go(func() { loadWorker(c, tokens[w%len(tokens)], w) })
	}
	half := loadWorkers * loadPerWorker / 2
	for c.count() < half && c.failed.Load() < int64(half) {
		time.Sleep(5 * time.Millisecond)
	}
	beforeRestart := c.count()
	c.closeIdle()
	v.Restart()
	c.setBase(v.URL)
	wg.Wait()
	c.closeIdle()
	v.Stop()

	answers := c.answers()
	t.Logf("%d requests answered (%d before the restart), %d unanswered during it",
		len(answers), beforeRestart, c.failed.Load())
	if beforeRestart == 0 || len(answers)-beforeRestart < loadWorkers*loadPerWorker/4 {
		t.Fatalf("the restart was not in the middle of the load: %d of %d answered before it",
			beforeRestart, len(answers))
	}
	byStatus := map[int]int{}
	for _, a := range answers {
		byStatus[a.status]++
	}
	t.Logf("answers by status: %v", byStatus)
	for _, want := range []int{200, 201, 401, 404} {
		if byStatus[want] == 0 {
			t.Errorf("the load got no %d answer: %v", want, byStatus)
		}
	}
	st := openSQLite(t, dir)
	records := allAudit(t, st)
	checkRecordsMatchAnswers(t, records, setup.ID, answers)

	pub, err := audit.LoadPublicKey(filepath.Join(dir, "audit-signing-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	digests := filepath.Join(dir, "audit-digests.jsonl")
	rep, err := audit.Verify(context.Background(), st, pub, digests)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v (%+v)", err, rep)
	}
	last := records[len(records)-1].ID
	if rep.Records != int64(len(records)) || !rep.Anchored || rep.LastSignedID != last ||
		rep.DigestsChecked < 2 {
		t.Fatalf("verify report = %+v, want %d records anchored at genesis and signed to %d "+
			"by the digests of both runs", rep, len(records), last)
	}

	victim := records[setup.ID+int64(len(answers))/2]
	tamperAndVerify(t, filepath.Join(dir, "octopus.db"), st, pub, digests, victim)
}

// loadSetup lists AAPL and funds n traders, returning their tokens.
func loadSetup(t *testing.T, v *apptest.Venue, n int) []string {
	t.Helper()
	admin := v.Admin()
	v.Symbol(admin, "AAPL", "0.01", "1")
	tokens := make([]string, n)
	for i := range tokens {
		id, tok := v.Trader(admin, fmt.Sprintf("trader%d", i))
		v.Deposit(admin, id, "USD", "1000000")
		v.Deposit(admin, id, "AAPL", "1000000")
		tokens[i] = tok
	}
	return tokens
}

// loadWorker sends loadPerWorker mixed requests: reads, orders placed and
// cancelled, a bad token (401) and unknown ids (404). A request that gets no
// answer (the server is restarting) is not retried; the worker pauses briefly.
func loadWorker(c *loadClient, token string, w int) {
	auth := bearerHeader(token)
	var mine []int64
	for i := range loadPerWorker {
		var ok bool
		switch (w + i) % 8 {
		case 0:
			_, _, ok = c.send("GET", "/api/v1/symbols", auth, nil)
		case 1:
			_, _, ok = c.send("GET", "/api/v1/account", auth, nil)
		case 2:
			price := "1.0" + strconv.Itoa(i%10)
			var status int
			var body []byte
			status, body, ok = c.send("POST", "/api/v1/orders", auth, orderBody("buy", price, ""))
			if status == 201 {
				mine = append(mine, orderID(body))
			}
		case 3:
			id := int64(999_999_999)
			if len(mine) > 0 {
				id, mine = mine[len(mine)-1], mine[:len(mine)-1]
			}
			_, _, ok = c.send("DELETE", "/api/v1/orders/"+strconv.FormatInt(id, 10), auth, nil)
		case 4:
			_, _, ok = c.send("GET", "/api/v1/account", bearerHeader("not-a-token"), nil)
		case 5:
			_, _, ok = c.send("GET", "/api/v1/orders/999999999", auth, nil)
		case 6:
			_, _, ok = c.send("GET", "/api/v1/markets/AAPL/book", auth, nil)
		case 7:
			price := "1.0" + strconv.Itoa(5+i%5)
			_, _, ok = c.send("POST", "/api/v1/orders", auth, orderBody("sell", price, ""))
		}
		if !ok {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func openSQLite(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "octopus.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// checkRecordsMatchAnswers checks that the records after the setup's are those
// of the answered requests, one each, with the answered status.
func checkRecordsMatchAnswers(t *testing.T, records []store.AuditRecord, setupID int64,
	answers map[string]answer) {
	t.Helper()
	if want := setupID + int64(len(answers)); int64(len(records)) != want {
		t.Errorf("%d audit records, want %d (%d for the setup + %d answered)",
			len(records), want, setupID, len(answers))
	}
	seen := map[string]bool{}
	for _, r := range records {
		if r.ID <= setupID {
			continue
		}
		a, ok := answers[r.RequestID]
		switch {
		case seen[r.RequestID]:
			t.Errorf("record %d: request %s recorded twice", r.ID, r.RequestID)
		case !ok:
			t.Errorf("record %d: %s %s %d has no answered request", r.ID, r.Method, r.Path, r.Status)
		case a.status != r.Status || a.method != r.Method:
			t.Errorf("record %d: %s %d, but the client got %s %d", r.ID, r.Method, r.Status,
				a.method, a.status)
		}
		seen[r.RequestID] = true
	}
	for id, a := range answers {
		if !seen[id] {
			t.Errorf("request %s (%s %s, %d) was answered but not recorded", id, a.method, a.path,
				a.status)
		}
	}
}

// tamperAndVerify edits victim's status straight in the SQLite file and expects
// verify to name it; then rewrites the chain from victim on consistently, with
// every hash recomputed and the head moved, and expects the signed digests to
// catch what the chain alone no longer can.
func tamperAndVerify(t *testing.T, path string, st *sqlite.Store, pub []byte, digests string,
	victim store.AuditRecord) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	forged := victim.Status + 1
	exec(`UPDATE audit_records SET status = ? WHERE id = ?`, forged, victim.ID)
	rep, err := audit.Verify(ctx, st, pub, digests)
	if !errors.Is(err, audit.ErrChainBroken) || rep.BrokenID != victim.ID {
		t.Fatalf("verify after editing record %d: %v (report %+v)", victim.ID, err, rep)
	}

	rest := allAudit(t, st)[victim.ID-1:]
	prev := audit.Genesis()
	if victim.ID > 1 {
		prev = allAudit(t, st)[victim.ID-2].Hash
	}
	for i := range rest {
		r := &rest[i]
		r.PrevHash = prev
		r.Hash = audit.HashRecord(r)
		prev = r.Hash
		exec(`UPDATE audit_records SET prev_hash = ?, hash = ? WHERE id = ?`, r.PrevHash, r.Hash, r.ID)
	}
	exec(`UPDATE audit_head SET hash = ? WHERE singleton = 1`, prev)
	if rep, err := audit.Verify(ctx, st, nil, ""); err != nil {
		t.Fatalf("the consistent rewrite should pass the chain check alone: %v (%+v)", err, rep)
	}
	rep, err = audit.Verify(ctx, st, pub, digests)
	if !errors.Is(err, audit.ErrDigestMismatch) || rep.BrokenID < victim.ID {
		t.Fatalf("verify after rewriting the chain from record %d: %v (report %+v)",
			victim.ID, err, rep)
	}
	t.Logf("edit caught at record %d; rewrite caught by a digest at record %d: %s",
		victim.ID, rep.BrokenID, rep.Reason)
}
