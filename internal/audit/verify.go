package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

var (
	// ErrChainBroken means a record's hash or link does not check out.
	ErrChainBroken = errors.New("audit: chain broken")
	// ErrDigestMismatch means a signed digest does not verify or does not match
	// the chain.
	ErrDigestMismatch = errors.New("audit: digest check failed")
)

// verifyPage is how many records Verify reads at a time.
const verifyPage = 1000

// Report is what Verify found.
type Report struct {
	Records  int64     `json:"records"`  // records walked
	FirstID  int64     `json:"first_id"` // the oldest kept record; 0 when none
	LastID   int64     `json:"last_id"`
	HeadID   int64     `json:"head_id"` // the chain head the walk stopped at
	Oldest   time.Time `json:"oldest"`  // ChainedAt of the oldest kept record
	Newest   time.Time `json:"newest"`
	Anchored bool      `json:"anchored"` // the oldest kept record is record 1, checked against genesis

	Digests        int   `json:"digests"`         // digests read
	DigestsChecked int   `json:"digests_checked"` // digests matched against a kept record
	DigestsPruned  int   `json:"digests_pruned"`  // digests naming records removed by retention
	LastSignedID   int64 `json:"last_signed_id"`  // the newest record a digest covers

	// BrokenID names the first record that failed, and Reason says how; zero
	// and empty when everything verified.
	BrokenID int64    `json:"broken_id,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports whether nothing failed.
func (r Report) OK() bool { return r.Reason == "" }

// Verify walks the kept chain oldest first, page by page, recomputing every
// hash and link, and checks every digest in the file at digestsPath against pub
// and against the record it names. A verification failure returns
// ErrChainBroken or ErrDigestMismatch with the report naming the record; any
// other error means verification could not run. An empty digestsPath checks
// the chain alone; a missing digest file is a warning, since none exists before
// the first digest interval has passed.
func Verify(ctx context.Context, st store.AuditStore, pub ed25519.PublicKey, digestsPath string) (Report, error) {
	var rep Report
	// Digests first, head second: a digest signed meanwhile can then never name
	// a record past the head the walk stops at.
	digests, err := loadDigests(digestsPath, pub, &rep)
	if err != nil {
		return rep, err
	}
	head, err := st.LastAudit(ctx)
	if err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	rep.HeadID = head.ID

	v := verifier{rep: &rep, digests: digests}
	if err := v.walk(ctx, st, head); err != nil {
		return rep, err
	}
	if err := v.checkEnd(head); err != nil {
		return rep, err
	}
	return rep, v.checkUnmatched(head)
}

// digestRef is one digest line kept for matching.
type digestRef struct {
	line int
	hash []byte
	time time.Time
}

// loadDigests reads and signature-checks every digest in the file.
func loadDigests(path string, pub ed25519.PublicKey, rep *Report) (map[int64][]digestRef, error) {
	if path == "" {
		return nil, nil
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("verify audit: no public key to check digests with: %w", ErrSigningKey)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		rep.Warnings = append(rep.Warnings, "digest file not found: only the chain was checked")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	defer f.Close()

	keyID := KeyID(pub)
	digests := map[int64][]digestRef{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		rep.Digests++
		var d Digest
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, rep.fail(ErrDigestMismatch, 0, "digest line %d is not a digest", line)
		}
		if d.KeyID != keyID {
			return nil, rep.fail(ErrDigestMismatch, d.ID,
				"digest line %d is signed by key %s, not by %s", line, d.KeyID, keyID)
		}
		hash, err := hex.DecodeString(d.Hash)
		if err != nil || d.Check(pub) != nil {
			return nil, rep.fail(ErrDigestMismatch, d.ID,
				"digest line %d: signature does not verify", line)
		}
		digests[d.ID] = append(digests[d.ID], digestRef{line: line, hash: hash, time: d.Time})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("verify audit: read digests: %w", err)
	}
	return digests, nil
}

// fail records the first failure and returns kind.
func (r *Report) fail(kind error, id int64, format string, args ...any) error {
	r.BrokenID, r.Reason = id, fmt.Sprintf(format, args...)
	return fmt.Errorf("%w: %s", kind, r.Reason)
}

// verifier carries the walk's state.
type verifier struct {
	rep     *Report
	digests map[int64][]digestRef
	prev    *Record
}

// walk checks every kept record up to the head.
func (v *verifier) walk(ctx context.Context, st store.AuditStore, head store.AuditHead) error {
	after := int64(0)
	for {
		page, err := st.ScanAudit(ctx, after, verifyPage)
		if err != nil {
			return fmt.Errorf("verify audit: %w", err)
		}
		for i := range page {
			if page[i].ID > head.ID {
				return nil
			}
			if err := v.check(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < verifyPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// check verifies one record against its content, its predecessor and the
// digests naming it.
func (v *verifier) check(r *Record) error {
	rep := v.rep
	if !bytes.Equal(HashRecord(r), r.Hash) {
		return rep.fail(ErrChainBroken, r.ID, "record %d: hash does not match its content", r.ID)
	}
	if err := v.checkLink(r); err != nil {
		return err
	}
	for _, d := range v.digests[r.ID] {
		if !bytes.Equal(d.hash, r.Hash) {
			return rep.fail(ErrDigestMismatch, r.ID,
				"record %d: hash differs from the digest signed at %s (line %d); "+
					"the chain was rewritten", r.ID, d.time.Format(time.RFC3339), d.line)
		}
		rep.DigestsChecked++
		rep.LastSignedID = max(rep.LastSignedID, r.ID)
	}

	if rep.Records == 0 {
		rep.FirstID, rep.Oldest = r.ID, r.ChainedAt
	}
	rep.Records++
	rep.LastID, rep.Newest = r.ID, r.ChainedAt
	v.prev = r
	return nil
}

// checkLink verifies that r follows the record before it. The oldest kept
// record is the anchor: record 1 must link to the genesis hash; a later one,
// left by a retention cut, is trusted.
func (v *verifier) checkLink(r *Record) error {
	rep, prev := v.rep, v.prev
	if prev == nil {
		if r.ID == 1 {
			rep.Anchored = true
			if !bytes.Equal(r.PrevHash, genesis) {
				return rep.fail(ErrChainBroken, r.ID, "record 1: previous hash is not the genesis hash")
			}
		}
		return nil
	}
	switch {
	case r.ID != prev.ID+1:
		return rep.fail(ErrChainBroken, r.ID, "record %d follows record %d: records %d to %d are missing",
			r.ID, prev.ID, prev.ID+1, r.ID-1)
	case !bytes.Equal(r.PrevHash, prev.Hash):
		return rep.fail(ErrChainBroken, r.ID,
			"record %d: previous hash differs from record %d's hash; one of them was altered",
			r.ID, prev.ID)
	case r.ChainedAt.Before(prev.ChainedAt):
		return rep.fail(ErrChainBroken, r.ID, "record %d: chained before record %d", r.ID, prev.ID)
	}
	return nil
}

// checkEnd verifies that the walk ended at the head.
func (v *verifier) checkEnd(head store.AuditHead) error {
	rep := v.rep
	if rep.Records == 0 {
		if head.ID > 0 {
			rep.Warnings = append(rep.Warnings,
				fmt.Sprintf("no records kept: the chain head is record %d", head.ID))
		}
		return nil
	}
	if rep.LastID != head.ID || !bytes.Equal(v.prev.Hash, head.Hash) {
		return rep.fail(ErrChainBroken, head.ID,
			"the chain head is record %d but the newest kept record is %d; records were removed "+
				"from the end or the head was altered", head.ID, rep.LastID)
	}
	return nil
}

// checkUnmatched accounts for the digests no kept record matched: those before
// the oldest kept record were pruned; one past the head means records were
// removed from the end.
func (v *verifier) checkUnmatched(head store.AuditHead) error {
	rep := v.rep
	for id, refs := range v.digests {
		switch {
		case id > head.ID:
			return rep.fail(ErrDigestMismatch, id,
				"digest line %d names record %d, past the chain head %d; records were removed "+
					"from the end", refs[0].line, id, head.ID)
		case rep.Records == 0 || id < rep.FirstID:
			rep.DigestsPruned += len(refs)
		}
	}
	if rep.Records > 0 && rep.LastSignedID < rep.LastID {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"records %d to %d are not covered by a digest yet",
			max(rep.LastSignedID+1, rep.FirstID), rep.LastID))
	}
	return nil
}
