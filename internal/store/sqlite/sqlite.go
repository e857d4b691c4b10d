// Package sqlite is the embedded store backend: one database file, pure Go, no
// server. Writes go through a single connection, so they are serialized in the
// process and never wait on each other inside SQLite; reads use a separate pool
// and, thanks to WAL, run while a write is in progress.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/octopus-venue/octopus/internal/store"
)

var _ store.Store = (*Store)(nil)

// ErrBadPath is returned by Open for a path it cannot use as a database file.
var ErrBadPath = errors.New("invalid sqlite path")

// Defaults for Options fields left zero.
const (
	DefaultBusyTimeout = 5 * time.Second
	defaultMinReaders  = 4
)

// Options tune the backend; the zero value is a good default.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before it fails.
	BusyTimeout time.Duration
	// ReadConns caps the read pool; zero means max(4, GOMAXPROCS).
	ReadConns int
}

// Store is the SQLite implementation of store.Store.
type Store struct {
	writer *sql.DB // exactly one connection; BEGIN IMMEDIATE
	reader *sql.DB // query_only connections
}

// Open opens (creating if needed) the database file at path and its parent
// directory. It does not migrate: call Migrate before use.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite: %w: %q", ErrBadPath, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite: create directory: %w", err)
	}

	timeout := opts.BusyTimeout
	if timeout <= 0 {
		timeout = DefaultBusyTimeout
	}
	readers := opts.ReadConns
	if readers <= 0 {
		readers = max(defaultMinReaders, runtime.GOMAXPROCS(0))
	}

	writer, err := openPool(ctx, path, writerParams(timeout), 1)
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer: %w", err)
	}
	reader, err := openPool(ctx, path, readerParams(timeout), readers)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	return &Store{writer: writer, reader: reader}, nil
}

// writerParams configure the writing connection. synchronous=FULL because the
// venue answers a client only after the commit, so a commit must survive a power
// loss; WAL keeps that affordable and lets readers run during a write.
func writerParams(timeout time.Duration) url.Values {
	v := url.Values{}
	v.Set("_busy_timeout", strconv.FormatInt(timeout.Milliseconds(), 10))
	v.Set("_journal_mode", "WAL")
	v.Set("_synchronous", "FULL")
	v.Set("_foreign_keys", "1")
	v.Set("_txlock", "immediate")
	return v
}

// readerParams configure the read pool; query_only makes a stray write an error.
func readerParams(timeout time.Duration) url.Values {
	v := url.Values{}
	v.Set("_busy_timeout", strconv.FormatInt(timeout.Milliseconds(), 10))
	v.Set("_foreign_keys", "1")
	v.Set("_query_only", "1")
	return v
}

// openPool opens one database/sql pool on path and checks that it answers.
func openPool(ctx context.Context, path string, params url.Values, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)

	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Backend returns "sqlite".
func (s *Store) Backend() string { return "sqlite" }

// Ping reports whether both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite writer: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite reader: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// inTx runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
