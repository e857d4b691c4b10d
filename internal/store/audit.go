package store

import (
	"context"
	"errors"
	"time"
)

// ErrAuditHead is returned by AppendAudit when the records do not continue the
// stored chain head: another writer appended first, or an earlier append that
// looked failed had in fact committed. The writer reloads the head and retries.
var ErrAuditHead = errors.New("audit records do not continue the chain head")

// AuditHashSize is the length of an audit record hash (SHA-256).
const AuditHashSize = 32

// AuditRecord is one entry of the audit trail: one answered API call. Package
// audit builds, chains and verifies records; stores only keep them.
type AuditRecord struct {
	// ID numbers the chain: the first record is 1, each next one is one more.
	ID int64
	// ChainedAt is when the writer linked the record into the chain. It never
	// decreases along the chain, which is what lets retention cut the oldest
	// records by time and still leave an unbroken run of ids.
	ChainedAt time.Time
	// Time is when the request arrived.
	Time          time.Time
	RequestID     string
	UserID        int64  // zero when the caller was not authenticated
	APIKeyID      string // keyed hash "hmac:<hex>" of the key id; empty for none
	Role          string
	ClientIP      string
	Method        string
	Route         string // the matched route pattern; empty when none matched
	Path          string // the request path, never the query string
	Status        int
	LatencyMicros int64
	UserAgent     string
	Summary       string // what a state change did
	PrevHash      []byte // Hash of the record before; zero bytes for the first
	Hash          []byte
}

// AuditHead is the newest link of the chain: where the next record attaches.
// An empty chain has ID 0, a Hash of AuditHashSize zero bytes and a zero
// ChainedAt. The head outlives retention, so ids keep increasing after a cut
// that removes every record.
type AuditHead struct {
	ID        int64
	Hash      []byte
	ChainedAt time.Time
}

// AuditFilter narrows an audit list; zero fields match all. From is inclusive
// and To exclusive, both on the request Time.
type AuditFilter struct {
	UserID   int64
	APIKeyID string // the stored keyed hash, "hmac:<hex>"
	IP       string
	Route    string
	Status   int
	From     time.Time
	To       time.Time
}

// AuditStore keeps the audit trail. It is deliberately not part of Store: the
// audit writer and the admin API depend on it alone.
type AuditStore interface {
	// AppendAudit writes records in one transaction, all or none, and moves the
	// head to the last of them. The first record must have ID head.ID+1 and
	// PrevHash head.Hash, the others consecutive ids; otherwise nothing is
	// written and ErrAuditHead is returned.
	AppendAudit(ctx context.Context, records []AuditRecord) error
	// LastAudit returns the chain head.
	LastAudit(ctx context.Context) (AuditHead, error)
	// ListAudit returns the records matching f newest first, before p.Before.
	ListAudit(ctx context.Context, f AuditFilter, p Page) ([]AuditRecord, error)
	// ScanAudit returns up to limit records with ids above afterID, oldest
	// first: the walk Verify takes.
	ScanAudit(ctx context.Context, afterID int64, limit int) ([]AuditRecord, error)
	// PruneAudit deletes the records chained before the given time and returns
	// how many it deleted. The head is kept.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// AuditPartitioner is implemented by stores whose audit table is partitioned by
// time (PostgreSQL). EnsureAuditPartitions creates the partitions that cover
// now and the days ahead of it; the audit writer calls it at start and then
// periodically, so records rarely land in the default partition.
type AuditPartitioner interface {
	EnsureAuditPartitions(ctx context.Context, now time.Time) error
}
