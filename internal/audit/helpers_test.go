package audit_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store"
)

// testSecret stands in for SECRET_KEY.
var testSecret = []byte("0123456789abcdef0123456789abcdef-audit-tests")

func newHasher(t testing.TB) *audit.Hasher {
	t.Helper()
	h, err := audit.NewHasher(testSecret)
	if err != nil {
		t.Fatalf("new hasher: %v", err)
	}
	return h
}

// signer is a digest key and the file its digests go to.
type signer struct {
	key     ed25519.PrivateKey
	pub     ed25519.PublicKey
	digests string
}

func newSigner(t testing.TB) signer {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return signer{key: key, pub: pub, digests: filepath.Join(t.TempDir(), "digests.jsonl")}
}

// options are fast writer options for tests, signing with s.
func (s signer) options(t testing.TB) audit.Options {
	return audit.Options{
		Hasher: newHasher(t), SigningKey: s.key, DigestFile: s.digests,
		FlushInterval: 10 * time.Millisecond, DigestInterval: time.Hour,
		RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
	}
}

func newWriter(t testing.TB, st store.AuditStore, opts audit.Options) *audit.Writer {
	t.Helper()
	w, err := audit.New(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("new writer: %v", err)
	}
	return w
}

func closeWriter(t testing.TB, w *audit.Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("close writer: %v", err)
	}
}

// requestBase is when the first test request arrived.
var requestBase = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// request is the i-th request of a test: a mix of reads, state changes and
// rejections.
func request(i int) audit.Request {
	req := audit.Request{
		Time:      requestBase.Add(time.Duration(i) * time.Millisecond),
		RequestID: fmt.Sprintf("req-%06d", i), UserID: int64(i%7 + 1), Role: "trader", ClientIP: fmt.Sprintf("192.0.2.%d", i%250), Method: "GET",
		Route: "GET /api/v1/orders/{id}", Path: fmt.Sprintf("/api/v1/orders/%d", i),
		Status: 200, Latency: time.Duration(i%900+100) * time.Microsecond,
		UserAgent: "octopus-tests/1.0",
	}
	switch i % 5 {
	case 1:
		req.Method, req.Route, req.Path, req.Status = "POST", "POST /api/v1/orders", "/api/v1/orders", 201
		req.Summary = fmt.Sprintf("order %d BTC-USD buy 0.5 @ 42000.00", i)
		req.APIKeyID = "abcdefghijkl"
	case 2:
		req.UserID, req.Role, req.Status = 0, "", 401
	}
	return req
}

// observe sends n requests, numbered from first, through w.
func observe(t testing.TB, w *audit.Writer, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		if !w.Observe(request(i)) {
			t.Fatalf("request %d not queued", i)
		}
	}
}

// scanAll reads every kept record oldest first.
func scanAll(t testing.TB, st store.AuditStore) []store.AuditRecord {
	t.Helper()
	var all []store.AuditRecord
	after := int64(0)
	for {
		page, err := st.ScanAudit(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("scan audit: %v", err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
}

// mustVerify fails t unless Verify passes, and returns its report.
func mustVerify(t testing.TB, st store.AuditStore, s signer) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), st, s.pub, s.digests)
	if err != nil {
		t.Fatalf("verify: %v (report %+v)", err, rep)
	}
	return rep
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
