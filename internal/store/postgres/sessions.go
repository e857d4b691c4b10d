package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octopus-venue/octopus/internal/store"
)

// CreateRefreshToken stores t; a zero CreatedAt is set to now.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	_, err := s.pool.Exec(ctx, qCreateRefreshToken, t.Hash, t.UserID, t.FamilyID,
		nullTime(t.ExpiresAt), stamp(t.CreatedAt), nullTime(t.UsedAt), nullTime(t.RevokedAt))
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
	t, err := scanRefreshToken(s.pool.QueryRow(ctx, qUseRefreshToken, now, hash))
	if err == nil {
		return t, nil
	}
	if !isNoRows(err) {
		return store.RefreshToken{}, fmt.Errorf("use refresh token: %w", err)
	}

	t, err = scanRefreshToken(s.pool.QueryRow(ctx, qGetRefreshToken, hash))
	switch {
	case err != nil:
		return store.RefreshToken{}, mapError("use refresh token", err)
	case !t.UsedAt.IsZero() || !t.RevokedAt.IsZero():
		return t, fmt.Errorf("use refresh token: %w", store.ErrTokenReused)
	default: // expired
		return store.RefreshToken{}, fmt.Errorf("use refresh token: expired: %w", store.ErrNotFound)
	}
}

// RevokeFamily revokes every token of a family that is not revoked yet.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, now time.Time) error {
	if _, err := s.pool.Exec(ctx, qRevokeFamily, now, familyID); err != nil {
		return fmt.Errorf("revoke family: %w", err)
	}
	return nil
}

// RevokeUserSessions revokes all of a user's refresh tokens and records now as
// the time the user's sessions were revoked.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qRevokeUserTokens, now, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, qRecordSessionRevocation, userID, now)
		return err
	})
	if err != nil {
		return mapError("revoke user sessions", err)
	}
	return nil
}

// DenyAccessToken records jti as revoked until expiresAt.
func (s *Store) DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if _, err := s.pool.Exec(ctx, qDenyAccessToken, jti, nullTime(expiresAt)); err != nil {
		return fmt.Errorf("deny access token: %w", err)
	}
	return nil
}

// IsAccessTokenDenied reports whether jti was denied.
func (s *Store) IsAccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	var denied bool
	if err := s.pool.QueryRow(ctx, qIsAccessTokenDenied, jti).Scan(&denied); err != nil {
		return false, fmt.Errorf("is access token denied: %w", err)
	}
	return denied, nil
}

// SessionsRevokedAt returns when the user's sessions were last revoked, or zero.
func (s *Store) SessionsRevokedAt(ctx context.Context, userID int64) (time.Time, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, qSessionsRevokedAt, userID).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sessions revoked at: %w", err)
	}
	return at.UTC(), nil
}

// ListSigningKeys returns the key ring oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.pool.Query(ctx, qListSigningKeys)
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
	_, err := s.pool.Exec(ctx, qInsertSigningKey, k.KID, k.Secret, stamp(k.CreatedAt),
		nullTime(k.NotAfter), nullTime(k.VerifyLast), nullTime(k.RevokedAt))
	if err != nil {
		return mapError("insert signing key", err)
	}
	return nil
}

// RevokeSigningKey marks a key revoked; revoking twice keeps the first time.
func (s *Store) RevokeSigningKey(ctx context.Context, kid string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, qRevokeSigningKey, now, kid)
	if err != nil {
		return fmt.Errorf("revoke signing key: %w", err)
	}
	return expectOne("revoke signing key", tag)
}

// PruneExpired deletes refresh tokens and denials past their expiry and signing
// keys past their last verification time.
func (s *Store) PruneExpired(ctx context.Context, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{qPruneRefreshTokens, qPruneDeniedTokens, qPruneSigningKeys} {
			if _, err := tx.Exec(ctx, q, now); err != nil {
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

// expectOne returns ErrNotFound when tag reports no changed row.
func expectOne(context string, tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", context, store.ErrNotFound)
	}
	return nil
}

func scanRefreshToken(row pgx.Row) (store.RefreshToken, error) {
	var (
		t             store.RefreshToken
		used, revoked *time.Time
	)
	err := row.Scan(&t.Hash, &t.UserID, &t.FamilyID, &t.ExpiresAt, &t.CreatedAt, &used, &revoked)
	if err != nil {
		return store.RefreshToken{}, err
	}
	t.ExpiresAt, t.CreatedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC()
	t.UsedAt, t.RevokedAt = fromNull(used), fromNull(revoked)
	return t, nil
}

func scanSigningKey(row pgx.Row) (store.SigningKey, error) {
	var (
		k                         store.SigningKey
		notAfter, verify, revoked *time.Time
	)
	if err := row.Scan(&k.KID, &k.Secret, &k.CreatedAt, &notAfter, &verify, &revoked); err != nil {
		return store.SigningKey{}, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.NotAfter, k.VerifyLast, k.RevokedAt = fromNull(notAfter), fromNull(verify), fromNull(revoked)
	return k, nil
}
