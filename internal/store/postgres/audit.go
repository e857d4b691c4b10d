package postgres

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

var (
	_ store.AuditStore       = (*Store)(nil)
	_ store.AuditPartitioner = (*Store)(nil)
)

// Audit partitioning: one partition per UTC day, named audit_records_pYYYYMMDD.
const (
	auditPartitionPrefix = "audit_records_p"
	auditPartitionLayout = "20060102"
	// auditDaysAhead is how many days past today EnsureAuditPartitions covers,
	// so a missed maintenance run or two never sends records to the default.
	auditDaysAhead = 7
	// auditLockClass is the first key of the advisory lock partition
	// maintenance takes, so two processes never create the same partition.
	auditLockClass = 0x61756469 // "audi"
	// maxAuditScan caps one ScanAudit page.
	maxAuditScan = 5000
)

var auditColumnNames = []string{"id", "chained_at", "time", "request_id", "user_id",
	"api_key_id", "role", "client_ip", "method", "route", "path", "status", "latency_us",
	"user_agent", "summary", "prev_hash", "hash"}

const (
	auditColumns = `id, chained_at, time, request_id, user_id, api_key_id, role, client_ip,
	method, route, path, status, latency_us, user_agent, summary, prev_hash, hash`

	// qLockAuditHead takes the head row lock: appends from several processes
	// queue here, so the chain stays a single line.
	qLockAuditHead = `SELECT id, hash, chained_at FROM audit_head FOR UPDATE`

	qAuditHead = `SELECT id, hash, chained_at FROM audit_head`

	qSetAuditHead = `UPDATE audit_head SET id = $1, hash = $2, chained_at = $3`

	qListAuditPrefix = `SELECT ` + auditColumns + ` FROM audit_records WHERE id > $1 AND id < $2`
	qListAuditSuffix = ` ORDER BY id DESC LIMIT $%d`

	qScanAudit = `SELECT ` + auditColumns + ` FROM audit_records
WHERE id > $1
ORDER BY id
LIMIT $2`

	// qAuditTableKind is 'p' for a natively partitioned table and 'r' for a
	// plain one, which is what a TimescaleDB hypertable is to pg_class.
	qAuditTableKind = `SELECT relkind::text FROM pg_class WHERE oid = 'audit_records'::regclass`

	qAuditPartitions = `SELECT n.nspname, c.relname
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.inhparent = 'audit_records'::regclass AND c.relname LIKE 'audit\_records\_p%'`

	qLockAuditMaintenance = `SELECT pg_advisory_xact_lock($1,
	hashtext(coalesce(current_schema(), '')))`

	qAuditPartitionExists = `SELECT to_regclass($1) IS NOT NULL`

	qCountAuditBefore = `SELECT count(*) FROM audit_records WHERE chained_at < $1`

	qDeleteAuditBefore = `DELETE FROM audit_records WHERE chained_at < $1`

	qDropAuditChunks = `SELECT count(*)
FROM drop_chunks('audit_records', older_than => $1::timestamptz)`
)

// AppendAudit writes records with COPY in one transaction, after checking under
// the head row lock that they continue the head, then moves the head.
func (s *Store) AppendAudit(ctx context.Context, records []store.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		head, err := scanAuditHead(tx.QueryRow(ctx, qLockAuditHead))
		if err != nil {
			return err
		}
		if err := continuesHead(head, records); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"audit_records"}, auditColumnNames,
			pgx.CopyFromSlice(len(records), func(i int) ([]any, error) {
				return auditRow(records[i]), nil
			}))
		if err != nil {
			return err
		}
		last := records[len(records)-1]
		_, err = tx.Exec(ctx, qSetAuditHead, last.ID, last.Hash, last.ChainedAt)
		return err
	})
	if err != nil {
		return mapError("append audit", err)
	}
	return nil
}

// auditRow is r as COPY values in auditColumnNames order.
func auditRow(r store.AuditRecord) []any {
	return []any{r.ID, r.ChainedAt, r.Time, r.RequestID, r.UserID, r.APIKeyID, r.Role,
		r.ClientIP, r.Method, r.Route, r.Path, int32(r.Status), r.LatencyMicros, r.UserAgent,
		r.Summary, r.PrevHash, r.Hash}
}

// continuesHead reports ErrAuditHead unless records follow head with
// consecutive ids.
func continuesHead(head store.AuditHead, records []store.AuditRecord) error {
	if records[0].ID != head.ID+1 || !bytes.Equal(records[0].PrevHash, head.Hash) {
		return fmt.Errorf("head is %d, first record %d: %w", head.ID, records[0].ID,
			store.ErrAuditHead)
	}
	for i := 1; i < len(records); i++ {
		if records[i].ID != records[i-1].ID+1 {
			return fmt.Errorf("record %d follows %d: %w", records[i].ID, records[i-1].ID,
				store.ErrAuditHead)
		}
	}
	return nil
}

// LastAudit returns the chain head.
func (s *Store) LastAudit(ctx context.Context) (store.AuditHead, error) {
	head, err := scanAuditHead(s.pool.QueryRow(ctx, qAuditHead))
	if err != nil {
		return store.AuditHead{}, fmt.Errorf("last audit: %w", err)
	}
	return head, nil
}

func scanAuditHead(row pgx.Row) (store.AuditHead, error) {
	var (
		h       store.AuditHead
		chained *time.Time
	)
	if err := row.Scan(&h.ID, &h.Hash, &chained); err != nil {
		return store.AuditHead{}, err
	}
	h.ChainedAt = fromNull(chained)
	return h, nil
}

// ListAudit returns the records matching f newest first, before p.Before.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, p store.Page) ([]store.AuditRecord, error) {
	after, before, limit := bounds(p)
	var b strings.Builder
	b.WriteString(qListAuditPrefix)
	args := []any{after, before}

	add := func(column string, v any) {
		args = append(args, v)
		fmt.Fprintf(&b, " AND %s $%d", column, len(args))
	}
	if f.UserID != 0 {
		add("user_id =", f.UserID)
	}
	if f.APIKeyID != "" {
		add("api_key_id =", f.APIKeyID)
	}
	if f.IP != "" {
		add("client_ip =", f.IP)
	}
	if f.Route != "" {
		add("route =", f.Route)
	}
	if f.Status != 0 {
		add("status =", f.Status)
	}
	if !f.From.IsZero() {
		add("time >=", f.From)
	}
	if !f.To.IsZero() {
		add("time <", f.To)
	}
	args = append(args, limit)
	fmt.Fprintf(&b, qListAuditSuffix, len(args))

	rows, err := s.pool.Query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanAuditRecord)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return list, nil
}

// ScanAudit returns up to limit records after afterID, oldest first.
func (s *Store) ScanAudit(ctx context.Context, afterID int64, limit int) ([]store.AuditRecord, error) {
	limit = min(max(limit, 1), maxAuditScan)
	rows, err := s.pool.Query(ctx, qScanAudit, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("scan audit: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanAuditRecord)
	if err != nil {
		return nil, fmt.Errorf("scan audit: %w", err)
	}
	return list, nil
}

func scanAuditRecord(row pgx.CollectableRow) (store.AuditRecord, error) {
	var (
		r      store.AuditRecord
		status int32
	)
	err := row.Scan(&r.ID, &r.ChainedAt, &r.Time, &r.RequestID, &r.UserID, &r.APIKeyID,
		&r.Role, &r.ClientIP, &r.Method, &r.Route, &r.Path, &status, &r.LatencyMicros,
		&r.UserAgent, &r.Summary, &r.PrevHash, &r.Hash)
	if err != nil {
		return store.AuditRecord{}, err
	}
	r.Status = int(status)
	r.ChainedAt, r.Time = r.ChainedAt.UTC(), r.Time.UTC()
	return r, nil
}

// PruneAudit deletes the records chained before the given time. Whole daily
// partitions (or TimescaleDB chunks) that end by then are dropped, which costs
// no vacuum; what is left of the day the cut falls in, and of the default
// partition, is deleted row by row.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	kind, err := s.auditTableKind(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	var dropped int64
	if kind == "p" {
		dropped, err = s.dropAuditPartitions(ctx, before)
	} else {
		dropped, err = s.dropAuditChunks(ctx, before)
	}
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	tag, err := s.pool.Exec(ctx, qDeleteAuditBefore, before)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	return dropped + tag.RowsAffected(), nil
}

func (s *Store) auditTableKind(ctx context.Context) (string, error) {
	var kind string
	if err := s.pool.QueryRow(ctx, qAuditTableKind).Scan(&kind); err != nil {
		return "", fmt.Errorf("audit table kind: %w", err)
	}
	return kind, nil
}

// dropAuditPartitions drops the daily partitions that end at or before the cut
// and returns how many records they held.
func (s *Store) dropAuditPartitions(ctx context.Context, before time.Time) (int64, error) {
	rows, err := s.pool.Query(ctx, qAuditPartitions)
	if err != nil {
		return 0, fmt.Errorf("list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowToStructByPos[partitionName])
	if err != nil {
		return 0, fmt.Errorf("list partitions: %w", err)
	}

	var dropped int64
	for _, p := range names {
		day, err := time.Parse(auditPartitionLayout,
			strings.TrimPrefix(p.Table, auditPartitionPrefix))
		if err != nil || day.AddDate(0, 0, 1).After(before) {
			continue
		}
		n, err := s.dropPartition(ctx, p)
		if err != nil {
			return dropped, err
		}
		dropped += n
	}
	return dropped, nil
}

// partitionName is a schema-qualified partition.
type partitionName struct {
	Schema string
	Table  string
}

// dropPartition counts and drops one partition in one transaction, so the
// count is exactly what was dropped.
func (s *Store) dropPartition(ctx context.Context, p partitionName) (int64, error) {
	ident := pgx.Identifier{p.Schema, p.Table}.Sanitize()
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The DROP takes this lock anyway; taking it first keeps the count exact.
		if _, err := tx.Exec(ctx, "LOCK TABLE "+ident+" IN ACCESS EXCLUSIVE MODE"); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+ident).Scan(&n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DROP TABLE "+ident)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("drop partition %s: %w", p.Table, err)
	}
	return n, nil
}

// dropAuditChunks is the TimescaleDB cut: drop_chunks removes the chunks that
// end before the cut. It returns how many records they held.
func (s *Store) dropAuditChunks(ctx context.Context, before time.Time) (int64, error) {
	var total, rest int64
	if err := s.pool.QueryRow(ctx, qCountAuditBefore, before).Scan(&total); err != nil {
		return 0, fmt.Errorf("drop chunks: %w", err)
	}
	if _, err := s.pool.Exec(ctx, qDropAuditChunks, before); err != nil {
		return 0, fmt.Errorf("drop chunks: %w", err)
	}
	if err := s.pool.QueryRow(ctx, qCountAuditBefore, before).Scan(&rest); err != nil {
		return 0, fmt.Errorf("drop chunks: %w", err)
	}
	return total - rest, nil
}

// EnsureAuditPartitions creates the daily partitions from yesterday to
// auditDaysAhead days after now. Rows already in the default partition for a
// new day are moved into it. On a hypertable it does nothing: TimescaleDB
// creates its chunks itself.
func (s *Store) EnsureAuditPartitions(ctx context.Context, now time.Time) error {
	kind, err := s.auditTableKind(ctx)
	if err != nil {
		return fmt.Errorf("ensure audit partitions: %w", err)
	}
	if kind != "p" {
		return nil
	}
	today := now.UTC().Truncate(24 * time.Hour)
	for d := -1; d <= auditDaysAhead; d++ {
		if err := s.ensurePartition(ctx, today.AddDate(0, 0, d)); err != nil {
			return fmt.Errorf("ensure audit partitions: %w", err)
		}
	}
	return nil
}

// ensurePartition creates the partition of one UTC day unless it exists. The
// default partition is locked for the few statements it takes, because
// attaching a range it holds rows of would fail.
func (s *Store) ensurePartition(ctx context.Context, day time.Time) error {
	name := auditPartitionPrefix + day.Format(auditPartitionLayout)
	from, to := pgTimestamp(day), pgTimestamp(day.AddDate(0, 0, 1))
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qLockAuditMaintenance, auditLockClass); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, qAuditPartitionExists, name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		ident := pgx.Identifier{name}.Sanitize()
		// The bounds are formatted from time.Time values above, never from input.
		stmts := []string{
			`LOCK TABLE audit_records_default IN ACCESS EXCLUSIVE MODE`,
			`CREATE TABLE ` + ident + ` (LIKE audit_records INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
			`WITH moved AS (DELETE FROM audit_records_default
	WHERE chained_at >= ` + from + ` AND chained_at < ` + to + ` RETURNING *)
INSERT INTO ` + ident + ` SELECT * FROM moved`,
			`ALTER TABLE audit_records ATTACH PARTITION ` + ident +
				` FOR VALUES FROM (` + from + `) TO (` + to + `)`,
		}
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("partition %s: %w", name, err)
			}
		}
		return nil
	})
}

// pgTimestamp is t as a timestamptz literal.
func pgTimestamp(t time.Time) string {
	return "'" + t.UTC().Format("2006-01-02 15:04:05Z07:00") + "'::timestamptz"
}
