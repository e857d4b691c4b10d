// Package open chooses a storage backend from DATABASE_URL.
package open

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/postgres"
	"github.com/octopus-venue/octopus/internal/store/sqlite"
)

// DefaultSQLitePath is where the embedded database lives when DATABASE_URL is unset.
var DefaultSQLitePath = filepath.Join("data", "octopus.db")

// ErrScheme is a DATABASE_URL of a kind the venue cannot use.
var ErrScheme = errors.New("DATABASE_URL must start with postgres://, postgresql://, sqlite:// or file:")

// Open opens the backend databaseURL names: empty for the default SQLite file,
// sqlite:///abs/path.db, sqlite://relative/path.db or file:path.db for SQLite, and
// postgres:// or postgresql:// for PostgreSQL. Errors never carry the password.
func Open(ctx context.Context, databaseURL string) (store.Store, error) {
	switch {
	case databaseURL == "":
		return openSQLite(ctx, DefaultSQLitePath)
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		st, err := postgres.Open(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", Redact(databaseURL), scrub(err, databaseURL))
		}
		return st, nil
	case strings.HasPrefix(databaseURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(databaseURL, "sqlite://"))
	case strings.HasPrefix(databaseURL, "file:"):
		return openSQLite(ctx, strings.TrimPrefix(databaseURL, "file:"))
	}
	return nil, ErrScheme
}

func openSQLite(ctx context.Context, path string) (store.Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return st, nil
}

// Redact returns the URL with any password replaced, safe for logs and errors.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable database URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.Redacted()
}

// scrub removes the password from an error message a driver built from the URL.
func scrub(err error, raw string) error {
	u, perr := url.Parse(raw)
	if perr != nil {
		return errors.New("cannot connect")
	}
	pw, has := u.User.Password()
	if !has || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
}
