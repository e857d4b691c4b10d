package auth

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/octopus-venue/octopus/internal/auth/apikey"
	"github.com/octopus-venue/octopus/internal/auth/seal"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

// API key errors. Every refused key is ErrInvalidAPIKey whatever the check that
// failed, so the caller learns nothing about which part was wrong.
var (
	ErrInvalidAPIKey = errors.New("invalid api key")
	// ErrScopeNotAllowed is a requested scope the owner's role does not grant.
	ErrScopeNotAllowed = errors.New("scope not granted by the owner's role")
	// ErrAPIKeyNotAllowed is a caller signed in with an API key (or a restricted
	// token) trying to manage API keys: a leaked key must not be able to mint more.
	ErrAPIKeyNotAllowed = errors.New("api keys cannot manage api keys")
	// ErrTooManyAPIKeys is a user at the per-user key limit.
	ErrTooManyAPIKeys = errors.New("too many api keys")
	// ErrReplayGuardFull means the replay guard holds as many live signatures as it
	// may; signed requests are refused until some expire rather than risk a replay.
	ErrReplayGuardFull = errors.New("replay guard full")
)

// Signing modes of an API key.
const (
	SigningNone    = ""
	SigningHMAC    = "hmac"
	SigningEd25519 = "ed25519"
)

// Defaults of APIKeyConfig.
const (
	DefaultAPIKeyLifetime    = 90 * 24 * time.Hour
	DefaultMaxAPIKeyLifetime = 2 * 365 * 24 * time.Hour
	DefaultMaxAPIKeysPerUser = 25
	DefaultTouchInterval     = time.Minute
	DefaultReplayEntries     = 100_000

	maxAPIKeyName   = 64
	maxAllowedCIDRs = 32
	maxTouched      = 10_000
	pepperInfo      = "octopus/apikey-pepper/v1"
	signingPurpose  = "apikey-signing-secret"
)

// APIKeyStore is the slice of storage API keys need.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *store.APIKey) error
	GetAPIKey(ctx context.Context, id string) (store.APIKey, error)
	ListAPIKeys(ctx context.Context, userID int64) ([]store.APIKey, error)
	DeleteAPIKey(ctx context.Context, userID int64, id string) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// UserReader loads the owner of a key.
type UserReader interface {
	GetUser(ctx context.Context, id int64) (store.User, error)
}

// APIKeyDeps are the collaborators of APIKeys.
type APIKeyDeps struct {
	Keys  APIKeyStore
	Users UserReader
	// SecretKey is SECRET_KEY. The storage pepper and the key that seals HMAC
	// signing secrets are derived from it, so neither lives in the database.
	SecretKey []byte
	// Replay remembers accepted signatures; nil keeps them in this process.
	Replay ReplayGuard
	Events Events // optional
	Rand   io.Reader
	Clock  func() time.Time
	Logger *slog.Logger
}

// APIKeyConfig holds the policy knobs of API keys; zero fields take the defaults.
type APIKeyConfig struct {
	// Window is how far a signed request's timestamp may be from the clock.
	Window          time.Duration
	DefaultLifetime time.Duration // when a request names no expiry
	MaxLifetime     time.Duration
	MaxKeysPerUser  int
	// TouchInterval is how stale a key's last-used time may get, so a busy bot
	// does not write to the database on every request.
	TouchInterval time.Duration
	ReplayEntries int // bound of the in-memory replay guard
}

// APIKeys issues, lists, revokes and checks API keys.
type APIKeys struct {
	keys   APIKeyStore
	users  UserReader
	hasher *apikey.Hasher
	sealer Sealer
	replay ReplayGuard
	events Events
	rand   io.Reader
	clock  func() time.Time
	log    *slog.Logger
	cfg    APIKeyConfig

	touchMu sync.Mutex
	touched map[string]time.Time
}

// NewAPIKeys returns APIKeys; SecretKey must be at least seal.MinSecretKeyLen bytes.
func NewAPIKeys(d APIKeyDeps, cfg APIKeyConfig) (*APIKeys, error) {
	sealer, err := seal.New(d.SecretKey, signingPurpose)
	if err != nil {
		return nil, fmt.Errorf("new api keys: %w", err)
	}
	pepper, err := hkdf.Key(sha256.New, d.SecretKey, nil, pepperInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("new api keys: derive pepper: %w", err)
	}
	hasher, err := apikey.NewHasher(pepper)
	if err != nil {
		return nil, fmt.Errorf("new api keys: %w", err)
	}

	cfg = cfg.withDefaults()
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Replay == nil {
		d.Replay = NewMemoryReplayGuard(cfg.ReplayEntries, d.Clock)
	}

	return &APIKeys{
		keys: d.Keys, users: d.Users, hasher: hasher, sealer: sealer, replay: d.Replay,
		events: d.Events, rand: d.Rand, clock: d.Clock, log: d.Logger, cfg: cfg,
		touched: map[string]time.Time{},
	}, nil
}

func (c APIKeyConfig) withDefaults() APIKeyConfig {
	if c.Window <= 0 {
		c.Window = apikey.DefaultWindow
	}
	if c.MaxLifetime <= 0 {
		c.MaxLifetime = DefaultMaxAPIKeyLifetime
	}
	if c.DefaultLifetime <= 0 {
		c.DefaultLifetime = DefaultAPIKeyLifetime
	}
	c.DefaultLifetime = min(c.DefaultLifetime, c.MaxLifetime)
	if c.MaxKeysPerUser <= 0 {
		c.MaxKeysPerUser = DefaultMaxAPIKeysPerUser
	}
	if c.TouchInterval <= 0 {
		c.TouchInterval = DefaultTouchInterval
	}
	if c.ReplayEntries <= 0 {
		c.ReplayEntries = DefaultReplayEntries
	}
	return c
}

// NewAPIKey is a key to create.
type NewAPIKey struct {
	Name   string
	Scopes []rbac.Permission
	// AllowedCIDRs limits the client addresses; a bare address is one host.
	AllowedCIDRs []string
	// ExpiresAt zero means now + DefaultLifetime.
	ExpiresAt time.Time
	Signing   string // SigningNone, SigningHMAC or SigningEd25519
	PublicKey []byte // the Ed25519 public key, for SigningEd25519 only
}

// CreatedAPIKey is a new key. Secret is the full key string; it is shown once
// and cannot be recovered afterwards.
type CreatedAPIKey struct {
	Key    store.APIKey
	Secret string
}

// Create issues a key for owner, who must be signed in as a user (not with a key).
func (a *APIKeys) Create(
	ctx context.Context, owner Principal, req NewAPIKey,
) (CreatedAPIKey, error) {
	if owner.APIKeyID != "" || owner.Restricted != "" || owner.UserID <= 0 {
		return CreatedAPIKey{}, ErrAPIKeyNotAllowed
	}
	u, err := a.users.GetUser(ctx, owner.UserID)
	if err != nil {
		return CreatedAPIKey{}, fmt.Errorf("create api key: %w", err)
	}
	k, err := a.validate(u, req)
	if err != nil {
		return CreatedAPIKey{}, err
	}

	existing, err := a.keys.ListAPIKeys(ctx, u.ID)
	if err != nil {
		return CreatedAPIKey{}, fmt.Errorf("create api key: %w", err)
	}
	if len(existing) >= a.cfg.MaxKeysPerUser {
		return CreatedAPIKey{}, ErrTooManyAPIKeys
	}

	// Ids are 60 random bits; a collision is rare enough that one retry suffices,
	// and a second in a row means the randomness is broken.
	for range 2 {
		full, err := a.fill(&k, req.Signing)
		if err != nil {
			return CreatedAPIKey{}, err
		}
		err = a.keys.CreateAPIKey(ctx, &k)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return CreatedAPIKey{}, fmt.Errorf("create api key: %w", err)
		}
		return CreatedAPIKey{Key: redact(k), Secret: full}, nil
	}

	return CreatedAPIKey{}, fmt.Errorf("create api key: id collision: %w", store.ErrConflict)
}

// fill generates the key's id and secret and sets what is derived from them.
func (a *APIKeys) fill(k *store.APIKey, signing string) (string, error) {
	gen, err := apikey.Generate(a.rand)
	if err != nil {
		return "", fmt.Errorf("create api key: %w", err)
	}
	k.ID = gen.ID
	k.SecretHash = a.hasher.Hash(gen.Secret)
	k.CreatedAt = a.clock().UTC()

	if signing == SigningHMAC {
		// The HMAC key is the raw secret, which the stored hash cannot give back.
		raw, err := apikey.DecodeSecret(gen.Secret)
		if err != nil {
			return "", fmt.Errorf("create api key: %w", err)
		}
		k.SigningSecret, err = a.sealer.Seal(raw, signingAD(gen.ID))
		if err != nil {
			return "", fmt.Errorf("create api key: seal: %w", err)
		}
	}

	return gen.Full, nil
}

// signingAD binds a sealed signing secret to its key id, so a sealed secret
// copied to another row does not open.
func signingAD(id string) []byte { return []byte("apikey-signing:" + id) }

// validate checks every field of req against the rules and owner u's role.
func (a *APIKeys) validate(u store.User, req NewAPIKey) (store.APIKey, error) {
	name, err := keyName(req.Name)
	if err != nil {
		return store.APIKey{}, err
	}
	scopes, err := keyScopes(u.Role, req.Scopes)
	if err != nil {
		return store.APIKey{}, err
	}
	cidrs, err := ParseAllowedCIDRs(req.AllowedCIDRs)
	if err != nil {
		return store.APIKey{}, err
	}
	expires, err := a.keyExpiry(req.ExpiresAt)
	if err != nil {
		return store.APIKey{}, err
	}

	k := store.APIKey{UserID: u.ID, Name: name, Scopes: scopes, AllowedCIDRs: cidrs,
		ExpiresAt: expires, RequireSigned: req.Signing != SigningNone}
	switch req.Signing {
	case SigningNone, SigningHMAC:
		if len(req.PublicKey) != 0 {
			return store.APIKey{}, &FieldError{"public_key", "format",
				"is only used with ed25519 signing"}
		}
	case SigningEd25519:
		if len(req.PublicKey) != 32 {
			return store.APIKey{}, &FieldError{"public_key", "format",
				"must be a 32-byte Ed25519 public key in base64"}
		}
		k.PublicKey = slices.Clone(req.PublicKey)
	default:
		return store.APIKey{}, &FieldError{"signing", "format", "must be hmac, ed25519 or empty"}
	}

	return k, nil
}

func keyName(in string) (string, error) {
	name := strings.TrimSpace(in)
	bad := name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxAPIKeyName ||
		strings.ContainsFunc(name, unicode.IsControl)
	if bad {
		return "", &FieldError{"name", "format", "must be 1 to 64 printable characters"}
	}
	return name, nil
}

// keyScopes checks the requested scopes and returns them without duplicates.
func keyScopes(role string, req []rbac.Permission) ([]string, error) {
	if len(req) == 0 {
		return nil, &FieldError{"scopes", "required", "must list at least one permission"}
	}
	var out []string
	for _, p := range req {
		if !rbac.ValidPermission(p) {
			return nil, &FieldError{"scopes", "format",
				"must hold only known permissions such as read or trade"}
		}
		if !slices.Contains(out, string(p)) {
			out = append(out, string(p))
		}
	}
	if !rbac.Subset(role, req) {
		return nil, fmt.Errorf("create api key: %w", ErrScopeNotAllowed)
	}
	return out, nil
}

// ParseAllowedCIDRs checks an address allowlist and returns it in canonical form.
// A bare address becomes a single-host prefix (/32 or /128); a prefix with host
// bits set is refused rather than silently widened or narrowed.
func ParseAllowedCIDRs(in []string) ([]string, error) {
	if len(in) > maxAllowedCIDRs {
		return nil, &FieldError{"allowed_cidrs", "size", "may hold at most 32 entries"}
	}
	bad := &FieldError{"allowed_cidrs", "format",
		"must be IP addresses or networks such as 203.0.113.0/24"}
	var out []string
	for _, s := range in {
		var p netip.Prefix
		if strings.Contains(s, "/") {
			var err error
			if p, err = netip.ParsePrefix(s); err != nil || p != p.Masked() {
				return nil, bad
			}
		} else {
			addr, err := netip.ParseAddr(s)
			if err != nil || addr.Zone() != "" {
				return nil, bad
			}
			addr = addr.Unmap()
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		if p.Addr().Is4In6() {
			return nil, bad
		}
		if !slices.Contains(out, p.String()) {
			out = append(out, p.String())
		}
	}
	return out, nil
}

func (a *APIKeys) keyExpiry(at time.Time) (time.Time, error) {
	now := a.clock().UTC()
	if at.IsZero() {
		return now.Add(a.cfg.DefaultLifetime), nil
	}
	if !at.After(now) {
		return time.Time{}, &FieldError{"expires_at", "range", "must be in the future"}
	}
	if at.Sub(now) > a.cfg.MaxLifetime {
		return time.Time{}, &FieldError{"expires_at", "range",
			fmt.Sprintf("must be at most %d days ahead", a.cfg.MaxLifetime/(24*time.Hour))}
	}
	return at.UTC(), nil
}

// List returns a user's keys, oldest first, without their hashes or secrets.
func (a *APIKeys) List(ctx context.Context, userID int64) ([]store.APIKey, error) {
	keys, err := a.keys.ListAPIKeys(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	for i := range keys {
		keys[i] = redact(keys[i])
	}
	return keys, nil
}

// Delete revokes one of a user's keys at once. A key of another user, like an
// unknown one, is store.ErrNotFound.
func (a *APIKeys) Delete(ctx context.Context, userID int64, id string) error {
	if len(id) != apikey.IDLen {
		return fmt.Errorf("delete api key: %w", store.ErrNotFound)
	}
	if err := a.keys.DeleteAPIKey(ctx, userID, id); err != nil {
		return fmt.Errorf("delete api key: %w", err)
	}
	a.touchMu.Lock()
	delete(a.touched, id)
	a.touchMu.Unlock()
	return nil
}

// Signing names the signing mode of a stored key. It reads only PublicKey and
// RequireSigned, so it works on the redacted keys Create and List return.
func Signing(k store.APIKey) string {
	switch {
	case len(k.PublicKey) > 0:
		return SigningEd25519
	case k.RequireSigned:
		return SigningHMAC
	}
	return SigningNone
}

// redact drops the hash and the sealed secret, which never leave this package.
func redact(k store.APIKey) store.APIKey {
	k.SecretHash, k.SigningSecret = "", nil
	return k
}
