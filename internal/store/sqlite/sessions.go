package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// CreateRefreshToken stores t; a zero CreatedAt is set to now.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	_, err := s.writer.ExecContext(ctx, qCreateRefreshToken,
		t.Hash, t.UserID, t.FamilyID, micros(t.ExpiresAt), stamp(t.CreatedAt).UnixMicro(),
		micros(t.UsedAt), micros(t.RevokedAt))
	if err != nil {
		return mapError("create refresh token", err)
	}
	return nil
}

// UseRefreshToken marks the token used if it is still usable at now. A token
// already used or revoked is returned with ErrTokenReused even when it has
// expired since, so a replayed token always lets the caller revoke its family.
func (s *Store) UseRefreshToken(
	ctx context.Context, hash string, now time.Time,
) (store.RefreshToken, error) {
	at := now.UnixMicro()
	t, err := scanRefreshToken(s.writer.QueryRowContext(ctx, qUseRefreshToken, at, hash, at))
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.RefreshToken{}, fmt.Errorf("use refresh token: %w", err)
	}

	t, err = scanRefreshToken(s.writer.QueryRowContext(ctx, qGetRefreshToken, hash))
	switch {
	case err != nil:
		return store.RefreshToken{}, fmt.Errorf("use refresh token: %w", err)
	case !t.UsedAt.IsZero() || !t.RevokedAt.IsZero():
		return t, fmt.Errorf("use refresh token: %w", store.ErrTokenReused)
	default: // expired
		return store.RefreshToken{}, fmt.Errorf("use refresh token: expired: %w", store.ErrNotFound)
	}
}

// RevokeFamily revokes every token of a family that is not revoked yet.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, now time.Time) error {
	if _, err := s.writer.ExecContext(ctx, qRevokeFamily, now.UnixMicro(), familyID); err != nil {
		return fmt.Errorf("revoke family: %w", err)
	}
	return nil
}

// RevokeUserSessions revokes all of a user's refresh tokens and records now as
// the time the user's sessions were revoked.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64, now time.Time) error {
	at := now.UnixMicro()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qRevokeUserTokens, at, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, qRecordSessionRevocation, userID, at)
		return err
	})
	if err != nil {
		return mapError("revoke user sessions", err)
	}
	return nil
}

// DenyAccessToken records jti as revoked until expiresAt.
func (s *Store) DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if _, err := s.writer.ExecContext(ctx, qDenyAccessToken, jti, micros(expiresAt)); err != nil {
		return fmt.Errorf("deny access token: %w", err)
	}
	return nil
}

// IsAccessTokenDenied reports whether jti was denied.
func (s *Store) IsAccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	var one int
	err := s.reader.QueryRowContext(ctx, qIsAccessTokenDenied, jti).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is access token denied: %w", err)
	}
	return true, nil
}

// SessionsRevokedAt returns when the user's sessions were last revoked, or zero.
func (s *Store) SessionsRevokedAt(ctx context.Context, userID int64) (time.Time, error) {
	var at sql.NullInt64
	err := s.reader.QueryRowContext(ctx, qSessionsRevokedAt, userID).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("sessions revoked at: %w", err)
	}
	return fromMicros(at), nil
}

// ListSigningKeys returns the key ring oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.reader.QueryContext(ctx, qListSigningKeys)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	list, err := collect(rows, scanSigningKey)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return list, nil
}

// InsertSigningKey adds k to the key ring; a zero CreatedAt is set to now.
func (s *Store) InsertSigningKey(ctx context.Context, k store.SigningKey) error {
	_, err := s.writer.ExecContext(ctx, qInsertSigningKey,
		k.KID, k.Secret, stamp(k.CreatedAt).UnixMicro(), micros(k.NotAfter),
		micros(k.VerifyLast), micros(k.RevokedAt))
	if err != nil {
		return mapError("insert signing key", err)
	}
	return nil
}

// RevokeSigningKey marks a key revoked; revoking twice keeps the first time.
func (s *Store) RevokeSigningKey(ctx context.Context, kid string, now time.Time) error {
	res, err := s.writer.ExecContext(ctx, qRevokeSigningKey, now.UnixMicro(), kid)
	if err != nil {
		return fmt.Errorf("revoke signing key: %w", err)
	}
	return expectOne("revoke signing key", res)
}

// PruneExpired deletes refresh tokens and denials past their expiry and signing
// keys past their last verification time.
func (s *Store) PruneExpired(ctx context.Context, now time.Time) error {
	at := now.UnixMicro()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{qPruneRefreshTokens, qPruneDeniedTokens, qPruneSigningKeys} {
			if _, err := tx.ExecContext(ctx, q, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prune expired: %w", err)
	}
	return nil
}

// expectOne returns ErrNotFound when res changed no row.
func expectOne(context string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", context, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", context, store.ErrNotFound)
	}
	return nil
}

func scanRefreshToken(row rowScanner) (store.RefreshToken, error) {
	var (
		t                store.RefreshToken
		expires, created int64
		used, revoked    sql.NullInt64
	)
	err := row.Scan(&t.Hash, &t.UserID, &t.FamilyID, &expires, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	if err != nil {
		return store.RefreshToken{}, err
	}
	t.ExpiresAt = time.UnixMicro(expires).UTC()
	t.CreatedAt = time.UnixMicro(created).UTC()
	t.UsedAt, t.RevokedAt = fromMicros(used), fromMicros(revoked)
	return t, nil
}

func scanSigningKey(row rowScanner) (store.SigningKey, error) {
	var (
		k                         store.SigningKey
		created                   int64
		notAfter, verify, revoked sql.NullInt64
	)
	if err := row.Scan(&k.KID, &k.Secret, &created, &notAfter, &verify, &revoked); err != nil {
		return store.SigningKey{}, err
	}
	k.CreatedAt = time.UnixMicro(created).UTC()
	k.NotAfter, k.VerifyLast, k.RevokedAt = fromMicros(notAfter), fromMicros(verify), fromMicros(revoked)
	return k, nil
}
