package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// CreateAPIKey stores k; a zero CreatedAt is set to now.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	created := stamp(k.CreatedAt)
	_, err := s.pool.Exec(ctx, qCreateAPIKey, k.ID, k.UserID, k.Name, k.SecretHash,
		nullBytes(k.SigningSecret), nullBytes(k.PublicKey), orEmpty(k.Scopes),
		orEmpty(k.AllowedCIDRs), k.RequireSigned, nullTime(k.ExpiresAt),
		nullTime(k.LastUsedAt), created)
	if err != nil {
		return mapError("create api key", err)
	}
	k.CreatedAt = created
	return nil
}

// GetAPIKey returns the key with id.
func (s *Store) GetAPIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, qGetAPIKey, id))
	if err != nil {
		return store.APIKey{}, mapError("get api key", err)
	}
	return k, nil
}

// ListAPIKeys returns a user's keys oldest first.
func (s *Store) ListAPIKeys(ctx context.Context, userID int64) ([]store.APIKey, error) {
	rows, err := s.pool.Query(ctx, qListAPIKeys, userID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	list, err := collect(rows, scanAPIKey)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return list, nil
}

// DeleteAPIKey deletes a user's key; a key of another user is ErrNotFound.
func (s *Store) DeleteAPIKey(ctx context.Context, userID int64, id string) error {
	tag, err := s.pool.Exec(ctx, qDeleteAPIKey, id, userID)
	if err != nil {
		return fmt.Errorf("delete api key: %w", err)
	}
	return expectOne("delete api key", tag)
}

// TouchAPIKey records when a key was last used.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, qTouchAPIKey, nullTime(at), id)
	if err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return expectOne("touch api key", tag)
}

func scanAPIKey(row pgx.Row) (store.APIKey, error) {
	var (
		k                 store.APIKey
		expires, lastUsed *time.Time
	)
	err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.SecretHash, &k.SigningSecret, &k.PublicKey,
		&k.Scopes, &k.AllowedCIDRs, &k.RequireSigned, &expires, &lastUsed, &k.CreatedAt)
	if err != nil {
		return store.APIKey{}, err
	}
	k.SigningSecret, k.PublicKey = bytesOrNil(k.SigningSecret), bytesOrNil(k.PublicKey)
	k.Scopes, k.AllowedCIDRs = nilIfEmpty(k.Scopes), nilIfEmpty(k.AllowedCIDRs)
	k.ExpiresAt, k.LastUsedAt = fromNull(expires), fromNull(lastUsed)
	k.CreatedAt = k.CreatedAt.UTC()
	return k, nil
}
