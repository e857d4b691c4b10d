// Package open chooses the storage backend a DATABASE_URL names and opens it.
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

// DefaultSQLitePath is where the embedded database lives when DATABASE_URL is
// empty, relative to the working directory.
var DefaultSQLitePath = filepath.Join("data", "octopus.db")

// Errors for a DATABASE_URL the venue cannot use.
var (
	ErrScheme = errors.New("DATABASE_URL must start with postgres://, postgresql://, sqlite:// or file:")
	ErrPath   = errors.New("invalid sqlite database path")
)

// redacted replaces a password in URLs and error messages.
const redacted = "xxxxx"

// Open opens the backend databaseURL names and returns it unmigrated:
//
//   - "" is the SQLite file DefaultSQLitePath;
//   - sqlite:///abs/path.db, sqlite://relative/path.db, file:path.db and
//     file:///abs/path.db are SQLite files;
//   - postgres://... and postgresql://... are PostgreSQL.
//
// Errors never carry the URL's password.
func Open(ctx context.Context, databaseURL string) (store.Store, error) {
	switch scheme := schemeOf(databaseURL); scheme {
	case "":
		if databaseURL != "" {
			return nil, fmt.Errorf("open store: %w", ErrScheme)
		}
		return openSQLite(ctx, DefaultSQLitePath)
	case "sqlite", "file":
		path, err := sqlitePath(databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return openSQLite(ctx, path)
	case "postgres", "postgresql":
		st, err := postgres.Open(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", Redact(databaseURL), scrub(err, databaseURL))
		}
		return st, nil
	default:
		return nil, fmt.Errorf("open store: scheme %q: %w", scheme, ErrScheme)
	}
}

// schemeOf returns the lower-cased URL scheme of raw, or "" when raw has none.
// Only RFC 3986 scheme characters count, so no other part of the URL (such as
// "user:password@host" without a scheme) is ever mistaken for one and printed.
func schemeOf(raw string) string {
	scheme, _, found := strings.Cut(raw, ":")
	if !found || scheme == "" {
		return ""
	}
	for i, c := range scheme {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return ""
		}
	}
	return strings.ToLower(scheme)
}

// sqlitePath extracts the file path from a sqlite: or file: URL. Both "//rest"
// and "rest" forms are accepted, so sqlite:///abs.db is /abs.db and
// sqlite://rel.db is rel.db. Query parameters are refused: the backend sets the
// connection options itself.
func sqlitePath(raw string) (string, error) {
	_, rest, _ := strings.Cut(raw, ":")
	rest = strings.TrimPrefix(rest, "//")
	if strings.ContainsAny(rest, "?#") {
		return "", fmt.Errorf("%w: query parameters are not supported", ErrPath)
	}
	path, err := url.PathUnescape(rest)
	if err != nil || path == "" {
		return "", fmt.Errorf("%w: %q", ErrPath, rest)
	}
	return path, nil
}

func openSQLite(ctx context.Context, path string) (store.Store, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return st, nil
}

// Redact returns raw with any password, in the user info or in a password
// query parameter, replaced: safe for logs and errors.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable database URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", redacted)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// passwords returns the secrets raw carries, raw and percent-decoded.
func passwords(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var secrets []string
	if pw, has := u.User.Password(); has && pw != "" {
		secrets = append(secrets, pw)
	}
	for _, pw := range u.Query()["password"] {
		if pw != "" {
			secrets = append(secrets, pw)
		}
	}
	for _, pw := range secrets {
		secrets = append(secrets, url.QueryEscape(pw), url.PathEscape(pw))
	}
	return secrets
}

// scrub returns err with every password of raw removed from its message. The
// original error stays reachable through errors.Is and errors.As.
func scrub(err error, raw string) error {
	msg := err.Error()
	for _, pw := range passwords(raw) {
		msg = strings.ReplaceAll(msg, pw, redacted)
	}
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// scrubbedError shows a cleaned message and unwraps to the driver error.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
