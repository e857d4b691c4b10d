package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// InsertSecurityEvent stores e and sets its ID; a zero CreatedAt is set to now.
func (s *Store) InsertSecurityEvent(ctx context.Context, e *store.SecurityEvent) error {
	created := stamp(e.CreatedAt)
	var id int64
	err := s.writer.QueryRowContext(ctx, qInsertSecurityEvent, e.Type, e.Severity,
		nullID(e.UserID), e.IP, e.Detail, created.UnixMicro()).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert security event: %w", err)
	}
	e.ID, e.CreatedAt = id, created
	return nil
}

// ListSecurityEvents returns the events matching f newest first, before p.Before.
// From is inclusive and To exclusive.
func (s *Store) ListSecurityEvents(
	ctx context.Context, f store.SecurityEventFilter, p store.Page,
) ([]store.SecurityEvent, error) {
	after, before, limit := bounds(p)
	var b strings.Builder
	b.WriteString(qListSecurityEventsPrefix)
	args := []any{after, before}

	if f.Type != "" {
		b.WriteString(" AND type = ?")
		args = append(args, f.Type)
	}
	if f.UserID != 0 {
		b.WriteString(" AND user_id = ?")
		args = append(args, f.UserID)
	}
	if f.IP != "" {
		b.WriteString(" AND ip = ?")
		args = append(args, f.IP)
	}
	if !f.From.IsZero() {
		b.WriteString(" AND created_at >= ?")
		args = append(args, f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		b.WriteString(" AND created_at < ?")
		args = append(args, f.To.UnixMicro())
	}
	b.WriteString(qListSecurityEventsSuffix)
	args = append(args, limit)

	rows, err := s.reader.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list security events: %w", err)
	}
	list, err := collect(rows, scanSecurityEvent)
	if err != nil {
		return nil, fmt.Errorf("list security events: %w", err)
	}
	return list, nil
}

func scanSecurityEvent(row rowScanner) (store.SecurityEvent, error) {
	var (
		e       store.SecurityEvent
		userID  sql.NullInt64
		created int64
	)
	err := row.Scan(&e.ID, &e.Type, &e.Severity, &userID, &e.IP, &e.Detail, &created)
	if err != nil {
		return store.SecurityEvent{}, err
	}
	e.UserID = userID.Int64
	e.CreatedAt = time.UnixMicro(created).UTC()
	return e, nil
}
