// Package app assembles the venue from its configuration: it opens the store, builds
// the services and the API, and runs the HTTP server until asked to stop.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/octopus-venue/octopus/internal/audit"
	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/auth/password"
	"github.com/octopus-venue/octopus/internal/auth/seal"
	"github.com/octopus-venue/octopus/internal/auth/token"
	"github.com/octopus-venue/octopus/internal/config"
	"github.com/octopus-venue/octopus/internal/httpapi"
	"github.com/octopus-venue/octopus/internal/logging"
	"github.com/octopus-venue/octopus/internal/metrics"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/security"
	"github.com/octopus-venue/octopus/internal/siem"
	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/open"
	"github.com/octopus-venue/octopus/internal/trading"
)

// App is one assembled venue process.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Store    store.Store
	Ring     *token.Ring
	Auth     *auth.Service
	Accounts *auth.Accounts
	APIKeys  *auth.APIKeys
	Trading  *trading.Service
	Events   *security.Recorder
	API      *httpapi.Server
	Redis    *redis.Client
	Metrics  *metrics.Metrics
	SIEM     *siem.Forwarder
	// Audit records every answered request; AuditHasher hashes searchable values.
	Audit       *audit.Writer
	AuditHasher *audit.Hasher
	clock       func() time.Time

	metricsAddr string
	metricsLn   net.Listener
	owner       *owner
}

// OpenStore opens and migrates the store the configuration names.
func OpenStore(ctx context.Context, cfg config.Config, migrate bool) (store.Store, error) {
	st, err := open.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	return st, nil
}

// NewHasher returns the password hasher the configuration asks for.
func NewHasher(cfg config.Config) (*password.Hasher, error) {
	var opts []password.HasherOption
	if cfg.Environment == config.Test {
		opts = append(opts, password.AllowLowCost())
	}
	return password.NewHasher(cfg.BcryptCost, opts...)
}

// NewRing returns the JWT key ring over st.
func NewRing(cfg config.Config, st store.Store, clock func() time.Time) (*token.Ring, error) {
	return token.NewRing(st, token.Options{
		Secret: []byte(cfg.JWTSecretKey), Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience,
		AccessTTL: cfg.AccessTokenTTL, RotateEvery: cfg.JWTRotationInterval, Clock: clock,
	})
}

// New assembles a venue. Migrations run first in development and test; production
// expects `octopus migrate` to have run as a deploy step.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	a := &App{Config: cfg, Log: log, clock: time.Now}
	st, err := OpenStore(ctx, cfg, !cfg.IsProduction())
	if err != nil {
		return nil, err
	}
	a.Store = st
	if a.owner, err = acquireOwner(ctx, cfg.OwnerLockURL(), log); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.build(ctx); err != nil {
		a.owner.release()
		st.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	cfg := a.Config
	hasher, err := NewHasher(cfg)
	if err != nil {
		return fmt.Errorf("password hasher: %w", err)
	}
	if a.Ring, err = NewRing(cfg, a.Store, a.clock); err != nil {
		return err
	}
	if err := a.Ring.Load(ctx); err != nil {
		return fmt.Errorf("load key ring: %w", err)
	}
	sealer, err := seal.New([]byte(cfg.SecretKey), "totp-seed")
	if err != nil {
		return fmt.Errorf("totp sealer: %w", err)
	}
	a.Events = security.NewRecorder(a.Store, a.Log, a.clock)
	if err := a.observability(); err != nil {
		return err
	}
	if err := a.listenMetrics(); err != nil {
		return err
	}
	if err := a.startAudit(ctx); err != nil {
		return err
	}
	if err := a.openRedis(ctx); err != nil {
		return err
	}
	a.Auth = auth.New(auth.Deps{
		Users: a.Store, Sessions: a.Store, Ring: a.Ring, Hasher: hasher, Events: a.Events,
		MFA: a.Store, Sealer: sealer, Clock: a.clock, Logger: a.Log, Failures: a.failureCounter(),
	}, auth.Config{
		RefreshTTL: cfg.RefreshTokenTTL, MFARequiredRoles: cfg.MFARequiredRoles,
		Lockout: auth.LockoutPolicy{Threshold: cfg.LockoutThreshold, Window: cfg.LockoutWindow,
			Duration: cfg.LockoutDuration},
	})
	policy, err := PasswordPolicy(cfg)
	if err != nil {
		return err
	}
	a.Accounts = &auth.Accounts{Users: a.Store, Hasher: hasher, Policy: policy}
	a.APIKeys, err = auth.NewAPIKeys(auth.APIKeyDeps{
		Keys: a.Store, Users: a.Store, SecretKey: []byte(cfg.SecretKey), Events: a.Events,
		Clock: a.clock, Logger: a.Log,
	}, auth.APIKeyConfig{})
	if err != nil {
		return fmt.Errorf("api keys: %w", err)
	}
	a.Trading, err = trading.New(ctx, a.Store, trading.Options{
		BatchSize: cfg.BatchSize, Clock: a.clock, Logger: a.Log,
		Hooks: trading.Hooks{OnBatch: a.Metrics.Batch},
	})
	if err != nil {
		return fmt.Errorf("start trading: %w", err)
	}
	g, err := a.protection(ctx)
	if err != nil {
		return err
	}
	a.API = httpapi.New(httpapi.Deps{
		ClientIP: g.ClientIP, Limiter: g.Limiter, Blocker: g.Blocker, Abuse: g.Abuse,
		OnLimiterError: a.Metrics.RateLimiterBackendError, OnRateLimited: a.Metrics.RateLimited,
		Store: a.Store, Auth: a.Auth, Accounts: a.Accounts, APIKeys: a.APIKeys, Trading: a.Trading,
		Events: a.Events,
		Logger: a.Log, Clock: a.clock, Observers: []func(context.Context, httpapi.RequestInfo){
			a.requestObserver(), a.auditObserver(),
		},
		Audit: a.Audit, AuditSync: a.auditSync, AuditLog: auditLog{a.Store.(store.AuditStore), a.AuditHasher},
	}, httpapi.Options{
		MaxBodyBytes: cfg.MaxBodyBytes, Production: cfg.IsProduction(),
		RegistrationEnabled: cfg.RegistrationEnabled, PasswordPolicy: policy,
		TLS: cfg.TLSEnabled(), Protection: g.Options,
	})
	return nil
}

// PasswordPolicy builds the password policy, opening the breach corpus when set.
func PasswordPolicy(cfg config.Config) (password.Policy, error) {
	p := password.Policy{MinLength: cfg.PasswordMinLength, MinScore: cfg.PasswordMinScore}
	if cfg.BreachedPasswordsFile != "" {
		bf, err := password.OpenBreachFile(cfg.BreachedPasswordsFile, cfg.BreachedPasswordsMinCount)
		if err != nil {
			return p, fmt.Errorf("open BREACHED_PASSWORDS_FILE: %w", err)
		}
		p.Breach = bf
	}
	return p, nil
}

// Close stops trading (committing what is in flight) and closes the store.
func (a *App) Close() {
	if a.Trading != nil {
		a.Trading.Close()
	}
	a.closeAudit()
	a.closeSIEM()
	a.closeRedis()
	if a.metricsLn != nil {
		_ = a.metricsLn.Close()
	}
	if a.owner != nil {
		a.owner.release()
		a.owner = nil
	}
	if a.Store != nil {
		a.Store.Close()
	}
}

// Serve runs the HTTP server on ln until ctx ends, then shuts down gracefully: it
// stops accepting, lets requests in flight finish and commits what the sequencers hold.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.API,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	stopRedirect, tlsErr := a.secureServer(srv, ln)
	if tlsErr != nil {
		return tlsErr
	}
	defer stopRedirect()
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go a.Ring.Run(bg, func(err error) { a.Log.Error("key ring refresh", "error", err) })
	go a.prune(bg)
	go a.watchSymbols(bg, 5*time.Second)
	go a.Trading.Run(bg)
	if err := a.serveMetrics(bg); err != nil {
		return err
	}

	errc := make(chan error, 1)
	go func() { errc <- serveOn(srv, ln) }()
	a.Log.Info("serving", "addr", ln.Addr().String(), "environment", a.Config.Environment,
		"database", a.Store.Backend())
	var lost <-chan struct{}
	if a.owner != nil {
		lost = a.owner.lost
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-lost:
		// Another process may already match these books: stop taking orders now.
		a.Trading.Close()
		_ = srv.Close()
		return errors.New("lost the order entry lock; exiting so a standby can take over")
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	a.Trading.Close()
	a.closeAudit()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// prune deletes expired tokens and denials once an hour.
func (a *App) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Store.PruneExpired(ctx, a.clock()); err != nil {
				a.Log.Error("prune expired sessions", "error", err)
			}
		}
	}
}

// watchSymbols starts sequencers for symbols created by another process (the
// `octopus symbol create` command) and follows their halted flag.
func (a *App) watchSymbols(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		syms, err := a.Store.ListSymbols(ctx)
		if err != nil {
			a.Log.Warn("refresh symbols", "error", err)
			continue
		}
		for _, sym := range syms {
			if err := a.Trading.AddSymbol(ctx, sym); err != nil {
				a.Log.Error("start symbol", "symbol", sym.Code, "error", err)
				continue
			}
			_ = a.Trading.SetHalted(sym.Code, sym.Halted)
		}
	}
}

// NewLogger returns the process logger: JSON on stderr, debug when DEBUG is on.
func NewLogger(debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return logging.New(os.Stderr, level)
}

// DefaultMFARoles is the production default of MFA_REQUIRED_ROLES.
var DefaultMFARoles = []string{rbac.Admin}
