package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

var (
	_ store.AuditStore = (*Store)(nil)
)

const (
	auditColumns = `id, chained_at, time, request_id, user_id, api_key_id, role, client_ip,
	method, route, path, status, latency_us, user_agent, summary, prev_hash, hash`
	auditColumnCount = 17

	// auditRowsPerInsert keeps one multi-row INSERT well under SQLite's limit of
	// 32766 bound parameters.
	auditRowsPerInsert = 256
	// maxAuditScan caps one ScanAudit page.
	maxAuditScan = 5000

	qAuditHead = `SELECT id, hash, chained_at FROM audit_head WHERE singleton = 1`

	qSetAuditHead = `UPDATE audit_head SET id = ?, hash = ?, chained_at = ? WHERE singleton = 1`

	qListAuditPrefix = `SELECT ` + auditColumns + ` FROM audit_records WHERE id > ? AND id < ?`
	qListAuditSuffix = ` ORDER BY id DESC LIMIT ?`

	qScanAudit = `SELECT ` + auditColumns + ` FROM audit_records
WHERE id > ?
ORDER BY id
LIMIT ?`

	qPruneAudit = `DELETE FROM audit_records WHERE chained_at < ?`
)

// qInsertAudit is the multi-row INSERT for a chunk of auditRowsPerInsert rows;
// shorter chunks build their own.
var qInsertAudit = insertAuditSQL(auditRowsPerInsert)

// insertAuditSQL returns an INSERT of rows audit records.
func insertAuditSQL(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", auditColumnCount), ", ") + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO audit_records (" + auditColumns + ") VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// AppendAudit writes records in one transaction after checking that they
// continue the head, then moves the head to the last of them.
func (s *Store) AppendAudit(ctx context.Context, records []store.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		head, err := auditHead(ctx, tx)
		if err != nil {
			return err
		}
		if err := continuesHead(head, records); err != nil {
			return err
		}
		for chunk := range chunks(records, auditRowsPerInsert) {
			if err := insertAudit(ctx, tx, chunk); err != nil {
				return err
			}
		}
		last := records[len(records)-1]
		_, err = tx.ExecContext(ctx, qSetAuditHead, last.ID, last.Hash, last.ChainedAt.UnixMicro())
		return err
	})
	if err != nil {
		return mapError("append audit", err)
	}
	return nil
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

// chunks yields records in slices of at most n.
func chunks(records []store.AuditRecord, n int) func(yield func([]store.AuditRecord) bool) {
	return func(yield func([]store.AuditRecord) bool) {
		for len(records) > 0 {
			k := min(n, len(records))
			if !yield(records[:k]) {
				return
			}
			records = records[k:]
		}
	}
}

// insertAudit writes one chunk with a single multi-row INSERT.
func insertAudit(ctx context.Context, tx *sql.Tx, chunk []store.AuditRecord) error {
	query := qInsertAudit
	if len(chunk) != auditRowsPerInsert {
		query = insertAuditSQL(len(chunk))
	}
	args := make([]any, 0, len(chunk)*auditColumnCount)
	for _, r := range chunk {
		args = append(args, r.ID, r.ChainedAt.UnixMicro(), r.Time.UnixMicro(), r.RequestID,
			r.UserID, r.APIKeyID, r.Role, r.ClientIP, r.Method, r.Route, r.Path, r.Status,
			r.LatencyMicros, r.UserAgent, r.Summary, r.PrevHash, r.Hash)
	}
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

// LastAudit returns the chain head.
func (s *Store) LastAudit(ctx context.Context) (store.AuditHead, error) {
	head, err := auditHead(ctx, s.reader)
	if err != nil {
		return store.AuditHead{}, fmt.Errorf("last audit: %w", err)
	}
	return head, nil
}

// queryRower is a pool or a transaction.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func auditHead(ctx context.Context, db queryRower) (store.AuditHead, error) {
	var (
		h       store.AuditHead
		chained int64
	)
	if err := db.QueryRowContext(ctx, qAuditHead).Scan(&h.ID, &h.Hash, &chained); err != nil {
		return store.AuditHead{}, err
	}
	if h.ID > 0 {
		h.ChainedAt = time.UnixMicro(chained).UTC()
	}
	return h, nil
}

// ListAudit returns the records matching f newest first, before p.Before.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, p store.Page) ([]store.AuditRecord, error) {
	after, before, limit := bounds(p)
	var b strings.Builder
	b.WriteString(qListAuditPrefix)
	args := []any{after, before}

	add := func(cond string, v any) {
		b.WriteString(" AND " + cond)
		args = append(args, v)
	}
	if f.UserID != 0 {
		add("user_id = ?", f.UserID)
	}
	if f.APIKeyID != "" {
		add("api_key_id = ?", f.APIKeyID)
	}
	if f.IP != "" {
		add("client_ip = ?", f.IP)
	}
	if f.Route != "" {
		add("route = ?", f.Route)
	}
	if f.Status != 0 {
		add("status = ?", f.Status)
	}
	if !f.From.IsZero() {
		add("time >= ?", f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		add("time < ?", f.To.UnixMicro())
	}
	b.WriteString(qListAuditSuffix)
	args = append(args, limit)

	rows, err := s.reader.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	list, err := collect(rows, scanAuditRecord)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return list, nil
}

// ScanAudit returns up to limit records after afterID, oldest first.
func (s *Store) ScanAudit(ctx context.Context, afterID int64, limit int) ([]store.AuditRecord, error) {
	limit = min(max(limit, 1), maxAuditScan)
	rows, err := s.reader.QueryContext(ctx, qScanAudit, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("scan audit: %w", err)
	}
	list, err := collect(rows, scanAuditRecord)
	if err != nil {
		return nil, fmt.Errorf("scan audit: %w", err)
	}
	return list, nil
}

// PruneAudit deletes the records chained before the given time.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer.ExecContext(ctx, qPruneAudit, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	return n, nil
}

func scanAuditRecord(row rowScanner) (store.AuditRecord, error) {
	var (
		r             store.AuditRecord
		chained, when int64
	)
	err := row.Scan(&r.ID, &chained, &when, &r.RequestID, &r.UserID, &r.APIKeyID, &r.Role,
		&r.ClientIP, &r.Method, &r.Route, &r.Path, &r.Status, &r.LatencyMicros, &r.UserAgent,
		&r.Summary, &r.PrevHash, &r.Hash)
	if err != nil {
		return store.AuditRecord{}, err
	}
	r.ChainedAt = time.UnixMicro(chained).UTC()
	r.Time = time.UnixMicro(when).UTC()
	return r, nil
}
