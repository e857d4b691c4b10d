package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// CreateAPIKey stores k; a zero CreatedAt is set to now.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	scopes, err := encodeStrings(k.Scopes)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	cidrs, err := encodeStrings(k.AllowedCIDRs)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}

	created := stamp(k.CreatedAt)
	_, err = s.writer.ExecContext(ctx, qCreateAPIKey, k.ID, k.UserID, k.Name, k.SecretHash,
		nullBytes(k.SigningSecret), nullBytes(k.PublicKey), scopes, cidrs, k.RequireSigned,
		micros(k.ExpiresAt), micros(k.LastUsedAt), created.UnixMicro())
	if err != nil {
		return mapError("create api key", err)
	}
	k.CreatedAt = created
	return nil
}

// GetAPIKey returns the key with id.
func (s *Store) GetAPIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := scanAPIKey(s.reader.QueryRowContext(ctx, qGetAPIKey, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.APIKey{}, fmt.Errorf("get api key: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns a user's keys oldest first.
func (s *Store) ListAPIKeys(ctx context.Context, userID int64) ([]store.APIKey, error) {
	rows, err := s.reader.QueryContext(ctx, qListAPIKeys, userID)
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
	res, err := s.writer.ExecContext(ctx, qDeleteAPIKey, id, userID)
	if err != nil {
		return fmt.Errorf("delete api key: %w", err)
	}
	return expectOne("delete api key", res)
}

// TouchAPIKey records when a key was last used.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := s.writer.ExecContext(ctx, qTouchAPIKey, micros(at), id)
	if err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return expectOne("touch api key", res)
}

func scanAPIKey(row rowScanner) (store.APIKey, error) {
	var (
		k                 store.APIKey
		scopes, cidrs     string
		expires, lastUsed sql.NullInt64
		created           int64
	)
	err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.SecretHash, &k.SigningSecret, &k.PublicKey,
		&scopes, &cidrs, &k.RequireSigned, &expires, &lastUsed, &created)
	if err != nil {
		return store.APIKey{}, err
	}
	if k.Scopes, err = decodeStrings(scopes); err != nil {
		return store.APIKey{}, err
	}
	if k.AllowedCIDRs, err = decodeStrings(cidrs); err != nil {
		return store.APIKey{}, err
	}
	k.SigningSecret, k.PublicKey = bytesOrNil(k.SigningSecret), bytesOrNil(k.PublicKey)
	k.ExpiresAt, k.LastUsedAt = fromMicros(expires), fromMicros(lastUsed)
	k.CreatedAt = time.UnixMicro(created).UTC()
	return k, nil
}
