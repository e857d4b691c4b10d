package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// usernameKey is the form usernames are unique in: case-insensitive. It is
// computed in Go, not with lower(), so both backends fold case the same way.
func usernameKey(username string) string { return strings.ToLower(username) }

// CreateUser inserts u and sets its ID, CreatedAt and UpdatedAt.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	now := stamp(time.Time{})
	var id int64
	err := s.pool.QueryRow(ctx, qCreateUser,
		u.Username, usernameKey(u.Username), u.Email, u.Role, u.PasswordHash,
		u.Locked, nullTime(u.LockedUntil), u.LockoutCount, nullBytes(u.TOTPSecret),
		u.TOTPConfirmed, u.TOTPLastStep, now,
	).Scan(&id)
	if err != nil {
		return mapError("create user", err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

// GetUser returns the user with id.
func (s *Store) GetUser(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, qGetUser, id))
	if err != nil {
		return store.User{}, mapError("get user", err)
	}
	return u, nil
}

// GetUserByUsername finds a user by username, ignoring case.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, qGetUserByUsername, usernameKey(username)))
	if err != nil {
		return store.User{}, mapError("get user by username", err)
	}
	return u, nil
}

// ListUsers returns users oldest first, after p.After.
func (s *Store) ListUsers(ctx context.Context, p store.Page) ([]store.User, error) {
	after, before, limit := bounds(p)
	rows, err := s.pool.Query(ctx, qListUsers, after, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	list, err := collect(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return list, nil
}

// UpdateUser changes the non-nil fields of upd and returns the updated user.
func (s *Store) UpdateUser(
	ctx context.Context, id int64, upd store.UserUpdate,
) (store.User, error) {
	query, args := userUpdateQuery(id, upd)
	u, err := scanUser(s.pool.QueryRow(ctx, query, args...))
	if err != nil {
		return store.User{}, mapError("update user", err)
	}
	return u, nil
}

// userUpdateQuery builds the UPDATE for the fields upd sets.
func userUpdateQuery(id int64, upd store.UserUpdate) (string, []any) {
	var b strings.Builder
	b.WriteString(qUpdateUserPrefix)
	args := []any{stamp(time.Time{})}

	set := func(column string, value any) {
		args = append(args, value)
		b.WriteString(", " + column + " = $" + strconv.Itoa(len(args)))
	}
	if upd.Role != nil {
		set("role", *upd.Role)
	}
	if upd.Email != nil {
		set("email", *upd.Email)
	}
	if upd.PasswordHash != nil {
		set("password_hash", *upd.PasswordHash)
	}
	if upd.Locked != nil {
		set("locked", *upd.Locked)
	}
	if upd.LockedUntil != nil {
		set("locked_until", nullTime(*upd.LockedUntil))
	}
	if upd.LockoutCount != nil {
		set("lockout_count", *upd.LockoutCount)
	}
	if upd.TOTPSecret != nil {
		set("totp_secret", nullBytes(*upd.TOTPSecret))
	}
	if upd.TOTPConfirmed != nil {
		set("totp_confirmed", *upd.TOTPConfirmed)
	}

	args = append(args, id)
	fmt.Fprintf(&b, qUpdateUserSuffix, len(args))
	return b.String(), args
}

// CountActiveAdmins counts users with the admin role that are not locked by an
// admin. A temporary lockout does not count as locked: it ends by itself.
func (s *Store) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, qCountActiveAdmins).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active admins: %w", err)
	}
	return n, nil
}

// AdvanceTOTPStep records step as the user's last TOTP step if it is newer.
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, qAdvanceTOTPStep, step, userID)
	if err != nil {
		return false, fmt.Errorf("advance totp step: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, qUserExists, userID).Scan(&exists); err != nil {
		return false, mapError("advance totp step", err)
	}
	return false, nil
}

// ReplaceRecoveryCodes replaces all of a user's recovery codes with hashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	now := stamp(time.Time{})
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qDeleteRecoveryCodes, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, qInsertRecoveryCodes, userID, orEmpty(hashes), now)
		return err
	})
	if err != nil {
		return mapError("replace recovery codes", err)
	}
	return nil
}

// UseRecoveryCode marks one unused code matching hash as used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	tag, err := s.pool.Exec(ctx, qUseRecoveryCode, stamp(time.Time{}), userID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// scanUser reads one row of userColumns.
func scanUser(row pgx.Row) (store.User, error) {
	var (
		u           store.User
		lockedUntil *time.Time
	)
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.Role, &u.PasswordHash, &u.Locked,
		&lockedUntil, &u.LockoutCount, &u.TOTPSecret, &u.TOTPConfirmed, &u.TOTPLastStep,
		&u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return store.User{}, err
	}
	u.LockedUntil = fromNull(lockedUntil)
	u.TOTPSecret = bytesOrNil(u.TOTPSecret)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// isNoRows reports whether err is pgx's "no rows in result set".
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
