package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// InsertSecurityEvent stores e and sets its ID; a zero CreatedAt is set to now.
func (s *Store) InsertSecurityEvent(ctx context.Context, e *store.SecurityEvent) error {
	created := stamp(e.CreatedAt)
	var id int64
	err := s.pool.QueryRow(ctx, qInsertSecurityEvent, e.Type, e.Severity, e.UserID, e.IP,
		e.Detail, created).Scan(&id)
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

	where := func(condition string, value any) {
		args = append(args, value)
		b.WriteString(" AND " + condition + " $" + strconv.Itoa(len(args)))
	}
	if f.Type != "" {
		where("type =", f.Type)
	}
	if f.UserID != 0 {
		where("user_id =", f.UserID)
	}
	if f.IP != "" {
		where("ip =", f.IP)
	}
	if !f.From.IsZero() {
		where("created_at >=", f.From)
	}
	if !f.To.IsZero() {
		where("created_at <", f.To)
	}
	args = append(args, limit)
	fmt.Fprintf(&b, qListSecurityEventsSuffix, len(args))

	rows, err := s.pool.Query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list security events: %w", err)
	}
	list, err := collect(rows, scanSecurityEvent)
	if err != nil {
		return nil, fmt.Errorf("list security events: %w", err)
	}
	return list, nil
}

func scanSecurityEvent(row pgx.Row) (store.SecurityEvent, error) {
	var (
		e      store.SecurityEvent
		userID *int64
	)
	err := row.Scan(&e.ID, &e.Type, &e.Severity, &userID, &e.IP, &e.Detail, &e.CreatedAt)
	if err != nil {
		return store.SecurityEvent{}, err
	}
	if userID != nil {
		e.UserID = *userID
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}
