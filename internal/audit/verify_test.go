package audit_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/store"
)

// writeChain writes n records through a writer that signs a digest at close.
func writeChain(t *testing.T, st store.AuditStore, s signer, n int) {
	t.Helper()
	w := newWriter(t, st, s.options(t))
	observe(t, w, 0, n)
	closeWriter(t, w)
}

func TestVerifyCatchesTampering(t *testing.T) {
	tests := []struct {
		name       string
		tamper     func(t *testing.T, db auditDB, st store.AuditStore)
		wantErr    error
		wantBroken int64
		wantReason string
	}{
		{
			name: "one field edited",
			tamper: func(t *testing.T, db auditDB, _ store.AuditStore) {
				db.exec(t, `UPDATE audit_records SET status = 200 WHERE id = 57`)
			},
			wantErr: audit.ErrChainBroken, wantBroken: 57, wantReason: "does not match its content",
		},
		{
			name: "edited and rehashed alone",
			tamper: func(t *testing.T, db auditDB, st store.AuditStore) {
				r := scanAll(t, st)[56]
				r.Path = "/api/v1/orders/1"
				db.exec(t, `UPDATE audit_records SET path = $1, hash = $2 WHERE id = 57`,
					r.Path, audit.HashRecord(&r))
			},
			wantErr: audit.ErrChainBroken, wantBroken: 58, wantReason: "previous hash differs",
		},
		{
			name: "row deleted",
			tamper: func(t *testing.T, db auditDB, _ store.AuditStore) {
				db.exec(t, `DELETE FROM audit_records WHERE id = 100`)
			},
			wantErr: audit.ErrChainBroken, wantBroken: 101, wantReason: "records 100 to 100 are missing",
		},
		{
			name: "whole chain rewritten consistently",
			tamper: func(t *testing.T, db auditDB, st store.AuditStore) {
				rewriteFrom(t, db, st, 57, func(r *store.AuditRecord) { r.Status = 200 })
			},
			wantErr: audit.ErrDigestMismatch, wantBroken: 150, wantReason: "the chain was rewritten",
		},
		{
			name: "newest records removed and head moved back",
			tamper: func(t *testing.T, db auditDB, st store.AuditStore) {
				r := scanAll(t, st)[139]
				db.exec(t, `DELETE FROM audit_records WHERE id > 140`)
				db.exec(t, `UPDATE audit_head SET id = $1, hash = $2`, r.ID, r.Hash)
			},
			wantErr: audit.ErrDigestMismatch, wantBroken: 150, wantReason: "past the chain head 140",
		},
		{
			name: "newest records removed, head left",
			tamper: func(t *testing.T, db auditDB, _ store.AuditStore) {
				db.exec(t, `DELETE FROM audit_records WHERE id > 140`)
			},
			wantErr: audit.ErrChainBroken, wantBroken: 150, wantReason: "newest kept record is 140",
		},
	}
	forEachBackend(t, func(t *testing.T, newDB auditDB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := newDBLike(t, newDB)
				st, s := db.open(t), newSigner(t)
				writeChain(t, st, s, 150)
				mustVerify(t, st, s)

				tt.tamper(t, db, st)
				rep, err := audit.Verify(context.Background(), st, s.pub, s.digests)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("verify = %v, want %v", err, tt.wantErr)
				}
				if rep.BrokenID != tt.wantBroken || !strings.Contains(rep.Reason, tt.wantReason) {
					t.Fatalf("broken %d (%s), want %d (%s)", rep.BrokenID, rep.Reason,
						tt.wantBroken, tt.wantReason)
				}
			})
		}
	})
}

// newDBLike opens a fresh database of the same backend as db.
func newDBLike(t *testing.T, db auditDB) auditDB {
	switch d := db.(type) {
	case *postgresDB:
		return newPostgresDB(t, d.url)
	default:
		return newSQLiteDB(t)
	}
}

// rewriteFrom edits every record from id on with edit and rehashes and relinks
// them all, as someone with write access to the database and this package's
// source could; only the digests can tell.
func rewriteFrom(t *testing.T, db auditDB, st store.AuditStore, id int64, edit func(*store.AuditRecord)) {
	t.Helper()
	all := scanAll(t, st)
	prev := all[id-2].Hash
	for _, r := range all[id-1:] {
		edit(&r)
		r.PrevHash = prev
		r.Hash = audit.HashRecord(&r)
		db.exec(t, `UPDATE audit_records SET status = $1, prev_hash = $2, hash = $3 WHERE id = $4`,
			r.Status, r.PrevHash, r.Hash, r.ID)
		prev = r.Hash
	}
	db.exec(t, `UPDATE audit_head SET hash = $1`, prev)

	// The chain alone now checks out.
	if _, err := audit.Verify(context.Background(), st, nil, ""); err != nil {
		t.Fatalf("rewritten chain does not verify on its own: %v", err)
	}
}

func TestVerifyChecksDigestFile(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(t *testing.T, s *signer)
		wantErr    error
		wantReason string
	}{
		{
			name: "digest line altered",
			edit: func(t *testing.T, s *signer) {
				replaceInFile(t, s.digests, `"id":40,`, `"id":39,`)
			},
			wantErr: audit.ErrDigestMismatch, wantReason: "signature does not verify",
		},
		{
			name: "another key",
			edit: func(t *testing.T, s *signer) {
				s.pub = newSigner(t).pub
			},
			wantErr: audit.ErrDigestMismatch, wantReason: "signed by key",
		},
		{
			name: "garbage line",
			edit: func(t *testing.T, s *signer) {
				appendToFile(t, s.digests, "not json\n")
			},
			wantErr: audit.ErrDigestMismatch, wantReason: "is not a digest",
		},
		{
			name: "blank lines are ignored",
			edit: func(t *testing.T, s *signer) {
				appendToFile(t, s.digests, "\n\n")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, s := newSQLiteDB(t).open(t), newSigner(t)
			writeChain(t, st, s, 40)
			tt.edit(t, &s)
			rep, err := audit.Verify(context.Background(), st, s.pub, s.digests)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(rep.Reason, tt.wantReason) {
				t.Fatalf("verify = %v (%s), want %v (%s)", err, rep.Reason, tt.wantErr,
					tt.wantReason)
			}
		})
	}
}

func TestVerifyWithoutDigests(t *testing.T) {
	st, s := newSQLiteDB(t).open(t), newSigner(t)
	rep, err := audit.Verify(context.Background(), st, s.pub, s.digests)
	if err != nil || rep.Records != 0 || len(rep.Warnings) != 1 {
		t.Fatalf("empty chain, no digest file: %v, %+v", err, rep)
	}

	writeChain(t, st, s, 5)
	_, err = audit.Verify(context.Background(), st, nil, s.digests)
	if !errors.Is(err, audit.ErrSigningKey) {
		t.Fatalf("verify digests without a key = %v, want ErrSigningKey", err)
	}
}

// fakeClock is a settable clock for the writer.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) set(t time.Time) { c.now.Store(t.UnixNano()) }
func (c *fakeClock) Now() time.Time  { return time.Unix(0, c.now.Load()).UTC() }

func TestVerifyAfterRetentionCut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db auditDB) {
		st, s := db.open(t), newSigner(t)
		clock := &fakeClock{}
		day0 := time.Now().UTC().Add(-10 * 24 * time.Hour)
		for d, n := range []int{120, 80, 60} {
			clock.set(day0.Add(time.Duration(d) * 24 * time.Hour))
			opts := s.options(t)
			opts.Clock = clock.Now
			w := newWriter(t, st, opts)
			observe(t, w, 0, n)
			closeWriter(t, w)
		}

		n, err := audit.Prune(context.Background(), st, day0.Add(36*time.Hour))
		if err != nil || n != 200 {
			t.Fatalf("prune = %d, %v; want 200 records", n, err)
		}
		rep := mustVerify(t, st, s)
		if rep.FirstID != 201 || rep.LastID != 260 || rep.Anchored {
			t.Fatalf("report = %+v, want records 201 to 260 anchored by retention", rep)
		}
		if rep.DigestsPruned != 2 || rep.DigestsChecked != 1 {
			t.Fatalf("digests pruned %d, checked %d; want 2 and 1", rep.DigestsPruned,
				rep.DigestsChecked)
		}

		// The writer still continues the chain after the cut.
		w := newWriter(t, st, s.options(t))
		observe(t, w, 0, 10)
		closeWriter(t, w)
		if rep := mustVerify(t, st, s); rep.LastID != 270 {
			t.Fatalf("after the cut the chain ends at %d, want 270", rep.LastID)
		}
	})
}

func TestWriterRetentionRunsInBackground(t *testing.T) {
	st, s := newSQLiteDB(t).open(t), newSigner(t)
	clock := &fakeClock{}
	clock.set(time.Now().Add(-48 * time.Hour))
	opts := s.options(t)
	opts.Clock = clock.Now
	w := newWriter(t, st, opts)
	observe(t, w, 0, 30)
	closeWriter(t, w)

	clock.set(time.Now())
	opts.Retention = 24 * time.Hour
	w = newWriter(t, st, opts)
	waitFor(t, "retention", func() bool { return len(scanAll(t, st)) == 0 })
	observe(t, w, 30, 5)
	closeWriter(t, w)
	if rep := mustVerify(t, st, s); rep.FirstID != 31 || rep.Records != 5 {
		t.Fatalf("after retention report = %+v, want records 31 to 35", rep)
	}
}

func TestDigestsGoToCallback(t *testing.T) {
	st, s := newSQLiteDB(t).open(t), newSigner(t)
	got := make(chan audit.Digest, 10)
	opts := s.options(t)
	opts.DigestInterval = 20 * time.Millisecond
	opts.OnDigest = func(d audit.Digest) { got <- d }
	w := newWriter(t, st, opts)
	observe(t, w, 0, 3)

	var d audit.Digest
	for d.ID != 3 {
		d = <-got
	}
	if d.Check(s.pub) != nil {
		t.Fatalf("digest = %+v, want a valid one for record 3", d)
	}
	closeWriter(t, w)
	if len(got) != 0 {
		t.Fatal("the head was signed again although it did not move")
	}
	info, err := os.Stat(s.digests)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("digest file: %v, mode %v; want 0600", err, info.Mode())
	}
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%q not in %s", old, data)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendToFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
