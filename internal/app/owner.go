package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octopus-venue/octopus/internal/store/open"
)

// ownerLockID is the PostgreSQL advisory lock key that makes one process the owner of
// order entry: the in-memory ledger and the books must have a single writer.
const ownerLockID int64 = 0x6f63746f70757331 // "octopus1"

// owner is held by the process that matches orders. Another process started on the
// same database waits for it as a hot standby and takes over when it goes away.
type owner struct {
	release func()
	// lost is closed when the lock can no longer be vouched for (its database
	// session died); the process must then stop matching at once.
	lost chan struct{}
}

// ErrOwned is returned by TryOwner when a server owns order entry on the database.
var ErrOwned = errors.New("a running server owns this database")

// TryOwner takes order entry ownership only if it is free at once, for maintenance
// commands that must not change balances behind a running server's back.
func TryOwner(ctx context.Context, databaseURL string) (release func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	cancel() // an ended context makes the acquire loops give up instead of waiting
	o, err := acquireOwner(ctx, databaseURL, slog.New(slog.DiscardHandler))
	if errors.Is(err, context.Canceled) {
		return nil, ErrOwned
	}
	if err != nil {
		return nil, err
	}
	return o.release, nil
}

// acquireOwner blocks until this process owns order entry for databaseURL.
func acquireOwner(ctx context.Context, databaseURL string, log *slog.Logger) (*owner, error) {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return acquirePostgresOwner(ctx, databaseURL, log)
	}
	path := open.DefaultSQLitePath
	switch {
	case strings.HasPrefix(databaseURL, "sqlite://"):
		path = strings.TrimPrefix(databaseURL, "sqlite://")
	case strings.HasPrefix(databaseURL, "file:"):
		path = strings.TrimPrefix(databaseURL, "file:")
	}
	return acquireFileOwner(ctx, path+".owner.lock", log)
}

func acquireFileOwner(ctx context.Context, path string, log *slog.Logger) (*owner, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("owner lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("owner lock: %w", err)
	}
	waited := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("owner lock: %w", err)
		}
		if !waited {
			log.Warn("another process owns order entry on this database; waiting as standby",
				"lock", path)
			waited = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return &owner{release: func() { f.Close() }, lost: make(chan struct{})}, nil
}

func acquirePostgresOwner(ctx context.Context, url string, log *slog.Logger) (*owner, error) {
	conn, err := pgx.Connect(context.WithoutCancel(ctx), url)
	if err != nil {
		return nil, fmt.Errorf("owner lock: connect %s: %w", open.Redact(url), errors.New("failed"))
	}
	var got bool
	err = conn.QueryRow(context.WithoutCancel(ctx), "SELECT pg_try_advisory_lock($1)", ownerLockID).Scan(&got)
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("owner lock: %w", err)
	}
	if !got && ctx.Err() != nil {
		conn.Close(context.Background())
		return nil, ctx.Err()
	}
	if !got {
		log.Warn("another process owns order entry on this database; waiting as standby")
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", ownerLockID); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("owner lock: %w", err)
		}
	}
	o := &owner{lost: make(chan struct{})}
	watch, stop := context.WithCancel(context.Background())
	o.release = func() {
		stop()
		conn.Close(context.Background())
	}
	// The lock lives as long as this session. If the session dies, a standby may take
	// over at once, so this process must learn it within a second and stop.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-watch.Done():
				return
			case <-t.C:
			}
			pctx, cancel := context.WithTimeout(watch, 2*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil && watch.Err() == nil {
				log.Error("lost the order entry lock: database session died", "error", err)
				close(o.lost)
				return
			}
		}
	}()
	return o, nil
}
