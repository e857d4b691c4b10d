package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// usernameKey is the form usernames are unique in: case-insensitive.
func usernameKey(username string) string { return strings.ToLower(username) }

// CreateUser inserts u and sets its ID, CreatedAt and UpdatedAt.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	now := stamp(time.Time{})
	var id int64
	err := s.writer.QueryRowContext(ctx, qCreateUser,
		u.Username, usernameKey(u.Username), u.Email, u.Role, u.PasswordHash,
		u.Locked, micros(u.LockedUntil), u.LockoutCount, nullBytes(u.TOTPSecret),
		u.TOTPConfirmed, u.TOTPLastStep, now.UnixMicro(), now.UnixMicro(),
	).Scan(&id)
	if err != nil {
		return mapError("create user", err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

// GetUser returns the user with id.
func (s *Store) GetUser(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(s.reader.QueryRowContext(ctx, qGetUser, id))
	if err != nil {
		return store.User{}, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// GetUserByUsername finds a user by username, ignoring case.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(s.reader.QueryRowContext(ctx, qGetUserByUsername, usernameKey(username)))
	if err != nil {
		return store.User{}, fmt.Errorf("get user by username: %w", err)
	}
	return u, nil
}

// ListUsers returns users oldest first, after p.After.
func (s *Store) ListUsers(ctx context.Context, p store.Page) ([]store.User, error) {
	after, before, limit := bounds(p)
	rows, err := s.reader.QueryContext(ctx, qListUsers, after, before, limit)
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
	u, err := scanUser(s.writer.QueryRowContext(ctx, query, args...))
	if err != nil {
		return store.User{}, mapError("update user", err)
	}
	return u, nil
}

// userUpdateQuery builds the UPDATE for the fields upd sets.
func userUpdateQuery(id int64, upd store.UserUpdate) (string, []any) {
	var b strings.Builder
	b.WriteString(qUpdateUserPrefix)
	args := []any{stamp(time.Time{}).UnixMicro()}

	set := func(column string, value any) {
		b.WriteString(", " + column + " = ?")
		args = append(args, value)
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
		set("locked_until", micros(*upd.LockedUntil))
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

	b.WriteString(qUpdateUserSuffix)
	return b.String(), append(args, id)
}

// CountActiveAdmins counts users with the admin role that are not locked by an
// admin. A temporary lockout does not count as locked: it ends by itself.
func (s *Store) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, qCountActiveAdmins).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active admins: %w", err)
	}
	return n, nil
}

// AdvanceTOTPStep records step as the user's last TOTP step if it is newer.
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.writer.ExecContext(ctx, qAdvanceTOTPStep, step, userID, step)
	if err != nil {
		return false, fmt.Errorf("advance totp step: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	if err := s.userExists(ctx, userID); err != nil {
		return false, fmt.Errorf("advance totp step: %w", err)
	}
	return false, nil
}

// userExists returns ErrNotFound unless the user exists.
func (s *Store) userExists(ctx context.Context, userID int64) error {
	var one int
	err := s.reader.QueryRowContext(ctx, qUserExists, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// ReplaceRecoveryCodes replaces all of a user's recovery codes with hashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	now := stamp(time.Time{}).UnixMicro()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qDeleteRecoveryCodes, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, qInsertRecoveryCode, userID, h, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return mapError("replace recovery codes", err)
	}
	return nil
}

// UseRecoveryCode marks one unused code matching hash as used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	now := stamp(time.Time{}).UnixMicro()
	res, err := s.writer.ExecContext(ctx, qUseRecoveryCode, now, userID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return n == 1, nil
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanUser reads one row of userColumns; no row is ErrNotFound.
func scanUser(row rowScanner) (store.User, error) {
	var (
		u                    store.User
		lockedUntil          sql.NullInt64
		createdAt, updatedAt int64
	)
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.Role, &u.PasswordHash, &u.Locked,
		&lockedUntil, &u.LockoutCount, &u.TOTPSecret, &u.TOTPConfirmed, &u.TOTPLastStep,
		&createdAt, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, err
	}
	u.LockedUntil = fromMicros(lockedUntil)
	u.TOTPSecret = bytesOrNil(u.TOTPSecret)
	u.CreatedAt = time.UnixMicro(createdAt).UTC()
	u.UpdatedAt = time.UnixMicro(updatedAt).UTC()
	return u, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
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
