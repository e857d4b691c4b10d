// Package auth decides who is calling: it logs users in, issues and rotates their
// tokens, and turns a bearer token into a Principal. Passwords, tokens, TOTP and API
// keys live in the sub-packages; this package holds the flows that join them.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/octopus-venue/octopus/internal/auth/password"
	"github.com/octopus-venue/octopus/internal/auth/token"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

// Errors the HTTP layer maps to statuses. Every login failure is ErrInvalidCredentials
// so the answer never tells which part was wrong or whether the user exists.
var (
	ErrInvalidCredentials = errors.New("invalid username or password")
	ErrMFARequired        = errors.New("a second factor is required")
	ErrInvalidToken       = errors.New("invalid or expired token")
	ErrBusy               = errors.New("too many logins in progress")
)

// Scope values that restrict an access token below its role.
const (
	// ScopeMFAEnroll tokens may only enroll a second factor.
	ScopeMFAEnroll = "mfa_enroll"
)

// Principal is the authenticated caller of one request.
type Principal struct {
	UserID   int64
	Username string
	Role     string
	// Scopes, when not nil, narrow the role's permissions (API keys).
	Scopes     []rbac.Permission
	APIKeyID   string
	TokenID    string
	Session    string
	Expires    time.Time
	Restricted string
}

// Can reports whether the principal holds permission p.
func (p Principal) Can(perm rbac.Permission) bool {
	if p.Restricted != "" {
		return false
	}
	if !rbac.Has(p.Role, perm) {
		return false
	}
	return p.Scopes == nil || slices.Contains(p.Scopes, perm)
}

// Users is the slice of storage the auth flows need.
type Users interface {
	GetUser(ctx context.Context, id int64) (store.User, error)
	GetUserByUsername(ctx context.Context, username string) (store.User, error)
	UpdateUser(ctx context.Context, id int64, upd store.UserUpdate) (store.User, error)
}

// Sessions is the slice of storage that keeps refresh tokens and revocations.
type Sessions interface {
	CreateRefreshToken(ctx context.Context, t store.RefreshToken) error
	UseRefreshToken(ctx context.Context, hash string, now time.Time) (store.RefreshToken, error)
	RevokeFamily(ctx context.Context, familyID string, now time.Time) error
	RevokeUserSessions(ctx context.Context, userID int64, now time.Time) error
	DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
	IsAccessTokenDenied(ctx context.Context, jti string) (bool, error)
	SessionsRevokedAt(ctx context.Context, userID int64) (time.Time, error)
}

// Events records security events.
type Events interface {
	Record(ctx context.Context, eventType string, userID int64, ip, detail string)
}

// Config holds the policy knobs of the flows.
type Config struct {
	RefreshTTL time.Duration
	// MFARequiredRoles must enroll a second factor before doing anything else.
	MFARequiredRoles []string
	Lockout          LockoutPolicy
	// MaxConcurrentHashes bounds bcrypt work; zero means one less than the cores Go
	// runs on (at least one), so that a login flood always leaves a core to order
	// entry (see bench/loginflood).
	MaxConcurrentHashes int
	// HashWait is how long a login waits for a bcrypt slot before ErrBusy.
	HashWait time.Duration
}

// Service runs the authentication flows.
type Service struct {
	users    Users
	sessions Sessions
	ring     *token.Ring
	hasher   *password.Hasher
	events   Events
	mfa      MFAStore
	sealer   Sealer
	lockout  *Lockout
	cfg      Config
	clock    func() time.Time
	log      *slog.Logger
	hashes   chan struct{}
}

// Deps are the collaborators of a Service.
type Deps struct {
	Users    Users
	Sessions Sessions
	Ring     *token.Ring
	Hasher   *password.Hasher
	Events   Events
	MFA      MFAStore
	Sealer   Sealer
	Failures FailureCounter
	Clock    func() time.Time
	Logger   *slog.Logger
}

// New returns a Service.
func New(d Deps, cfg Config) *Service {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = defaultHashSlots()
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 2 * time.Second
	}
	return &Service{
		users: d.Users, sessions: d.Sessions, ring: d.Ring, hasher: d.Hasher,
		events: d.Events, mfa: d.MFA, sealer: d.Sealer, cfg: cfg, clock: d.Clock, log: d.Logger,
		lockout: NewLockout(cfg.Lockout, d.Failures, d.Users, d.Clock),
		hashes:  make(chan struct{}, cfg.MaxConcurrentHashes),
	}
}

// Hasher exposes the password hasher, for user creation.
func (s *Service) Hasher() *password.Hasher { return s.hasher }

// Tokens is what a successful login or refresh returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	// Scope is set when the tokens are restricted (ScopeMFAEnroll).
	Scope string
	// UserID and Role say whom the tokens are for, for the audit record.
	UserID int64
	Role   string
}

// LoginRequest is one login attempt. TOTPCode or RecoveryCode carry the second
// factor in the same request (see the README for the flow).
type LoginRequest struct {
	Username     string
	Password     string
	TOTPCode     string
	RecoveryCode string
	IP           string
}

// withHashSlot runs f holding one of the bounded bcrypt slots, so a login flood
// queues here instead of starving order entry of CPU.
func (s *Service) withHashSlot(ctx context.Context, f func()) error {
	t := time.NewTimer(s.cfg.HashWait)
	defer t.Stop()
	select {
	case s.hashes <- struct{}{}:
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.hashes }()
	f()
	return nil
}

// Login checks a username and password (and second factor) and issues tokens.
func (s *Service) Login(ctx context.Context, req LoginRequest) (Tokens, error) {
	u, err := s.users.GetUserByUsername(ctx, req.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	known := err == nil
	var cmpErr error
	if err := s.withHashSlot(ctx, func() {
		if !known {
			cmpErr = s.hasher.DummyCompare(req.Password)
			return
		}
		cmpErr = s.hasher.Compare(u.PasswordHash, req.Password)
	}); err != nil {
		return Tokens{}, err
	}
	if !known {
		s.events.Record(ctx, "failed_login_attempt", 0, req.IP, "unknown username")
		return Tokens{}, ErrInvalidCredentials
	}
	// A locked account answers exactly like a wrong password, even to the right
	// password, so that lockout state reveals neither the account nor a good guess.
	if locked, until := s.lockout.Locked(u); locked {
		detail := "account locked by an admin"
		if !until.IsZero() {
			detail = "account locked until " + until.UTC().Format(time.RFC3339)
		}
		s.events.Record(ctx, "failed_login_attempt", u.ID, req.IP, detail)
		return Tokens{}, ErrInvalidCredentials
	}
	if cmpErr != nil {
		s.events.Record(ctx, "failed_login_attempt", u.ID, req.IP, "wrong password")
		s.lockout.Fail(ctx, u, KindPassword, req.IP, s.events)
		return Tokens{}, ErrInvalidCredentials
	}
	if err := s.secondFactor(ctx, &u, req); err != nil {
		return Tokens{}, err
	}
	s.lockout.Succeed(ctx, u.ID)
	if s.mfaRequired(u) && !u.TOTPConfirmed {
		return s.issueRestricted(u, ScopeMFAEnroll)
	}
	return s.issue(ctx, u, "")
}

func (s *Service) mfaRequired(u store.User) bool {
	return slices.Contains(s.cfg.MFARequiredRoles, u.Role)
}

// issue starts a new session (refresh family) for u, or continues family.
func (s *Service) issue(ctx context.Context, u store.User, family string) (Tokens, error) {
	if family == "" {
		family = randomToken(16)
	}
	access, err := s.ring.Issue(strconv.FormatInt(u.ID, 10), u.Role, "", family)
	if err != nil {
		return Tokens{}, fmt.Errorf("issue access token: %w", err)
	}
	refresh := randomToken(32)
	now := s.clock().UTC()
	if err := s.sessions.CreateRefreshToken(ctx, store.RefreshToken{
		Hash: HashToken(refresh), UserID: u.ID, FamilyID: family,
		ExpiresAt: now.Add(s.cfg.RefreshTTL), CreatedAt: now,
	}); err != nil {
		return Tokens{}, fmt.Errorf("store refresh token: %w", err)
	}
	return Tokens{UserID: u.ID, Role: u.Role, AccessToken: access.Token, RefreshToken: refresh,
		ExpiresIn: access.ExpiresAt.Sub(now)}, nil
}

// issueRestricted issues an access token only good for scope, with no refresh token.
func (s *Service) issueRestricted(u store.User, scope string) (Tokens, error) {
	access, err := s.ring.Issue(strconv.FormatInt(u.ID, 10), u.Role, scope, "")
	if err != nil {
		return Tokens{}, fmt.Errorf("issue access token: %w", err)
	}
	return Tokens{UserID: u.ID, Role: u.Role, AccessToken: access.Token, Scope: scope,
		ExpiresIn: access.ExpiresAt.Sub(s.clock())}, nil
}

// Refresh trades a refresh token for a new pair. A token presented twice means it was
// stolen or replayed: the whole family is revoked and a security event recorded.
func (s *Service) Refresh(ctx context.Context, refresh, ip string) (Tokens, error) {
	if refresh == "" || len(refresh) > 256 {
		return Tokens{}, ErrInvalidToken
	}
	now := s.clock().UTC()
	rt, err := s.sessions.UseRefreshToken(ctx, HashToken(refresh), now)
	switch {
	case errors.Is(err, store.ErrTokenReused) && rt.UsedAt.IsZero():
		// Revoked before it was ever used (logout, password change): a stale client,
		// not a copy of a token someone else already spent.
		return Tokens{}, ErrInvalidToken
	case errors.Is(err, store.ErrTokenReused):
		if rerr := s.endFamily(ctx, rt.FamilyID, now); rerr != nil {
			return Tokens{}, fmt.Errorf("revoke reused family: %w", rerr)
		}
		s.events.Record(ctx, "refresh_token_reuse", rt.UserID, ip, "refresh token family revoked")
		return Tokens{}, ErrInvalidToken
	case errors.Is(err, store.ErrNotFound):
		return Tokens{}, ErrInvalidToken
	case err != nil:
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	u, err := s.users.GetUser(ctx, rt.UserID)
	if err != nil {
		return Tokens{}, ErrInvalidToken
	}
	// Only an admin lock ends sessions: a temporary lockout from failed logins must
	// not let a stranger who types wrong passwords log the owner out.
	if u.Locked {
		return Tokens{}, ErrInvalidToken
	}
	return s.issue(ctx, u, rt.FamilyID)
}

// Logout ends the caller's session: its refresh family is revoked and its access
// token denied until it would have expired.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	now := s.clock().UTC()
	if p.Session != "" {
		if err := s.endFamily(ctx, p.Session, now); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
	}
	if p.TokenID != "" {
		if err := s.sessions.DenyAccessToken(ctx, p.TokenID, p.Expires); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
	}
	return nil
}

// endFamily revokes a refresh family and every access token it issued: the family's
// session id is denied for as long as the newest of those tokens could live.
func (s *Service) endFamily(ctx context.Context, family string, now time.Time) error {
	if err := s.sessions.RevokeFamily(ctx, family, now); err != nil {
		return err
	}
	return s.sessions.DenyAccessToken(ctx, sessionDenial(family), now.Add(s.ring.MaxLifetime()))
}

// sessionDenial is the denylist entry of a whole session. Token ids are hex, so the
// prefix keeps the two kinds of entries apart.
func sessionDenial(family string) string { return "sid:" + family }

// RevokeSessions ends every session of a user: after a role change, a lock or a
// password change, tokens issued before now stop working.
func (s *Service) RevokeSessions(ctx context.Context, userID int64) error {
	if err := s.sessions.RevokeUserSessions(ctx, userID, s.clock().UTC()); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// Authenticate turns a bearer access token into a Principal.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	claims, err := s.ring.Verify(ctx, bearer)
	if err != nil {
		if s.log != nil {
			s.log.Debug("token refused", "reason", err.Error())
		}
		return Principal{}, ErrInvalidToken
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 {
		return Principal{}, ErrInvalidToken
	}
	denied, err := s.denied(ctx, claims)
	if err != nil {
		return Principal{}, err
	}
	if denied {
		return Principal{}, ErrInvalidToken
	}
	revokedAt, err := s.sessions.SessionsRevokedAt(ctx, id)
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	// A token issued at the very instant of a revocation counts as revoked.
	if !revokedAt.IsZero() && !claims.Issued().After(revokedAt) {
		return Principal{}, ErrInvalidToken
	}
	u, err := s.users.GetUser(ctx, id)
	if err != nil {
		return Principal{}, ErrInvalidToken
	}
	if u.Locked || u.Role != claims.Role {
		return Principal{}, ErrInvalidToken
	}
	return Principal{
		UserID: u.ID, Username: u.Username, Role: u.Role, TokenID: claims.ID,
		Session: claims.Session, Expires: claims.ExpiresAt.Time, Restricted: claims.Scope,
	}, nil
}

// denied reports whether the token itself or its whole session was revoked.
func (s *Service) denied(ctx context.Context, c *token.Claims) (bool, error) {
	ids := []string{c.ID}
	if c.Session != "" {
		ids = append(ids, sessionDenial(c.Session))
	}
	for _, id := range ids {
		denied, err := s.sessions.IsAccessTokenDenied(ctx, id)
		if err != nil {
			return false, fmt.Errorf("authenticate: %w", err)
		}
		if denied {
			return true, nil
		}
	}
	return false, nil
}

// HashToken is how refresh tokens are stored: SHA-256, hex. They are 256-bit random
// values, so a fast hash is enough; no one can guess their way to a preimage.
func HashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
