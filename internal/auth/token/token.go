// Package token issues and verifies the venue's access tokens: HS256 JWTs (RFC 7519)
// signed by a ring of rotating keys. Each key is derived from JWT_SECRET_KEY and a
// random salt kept in the database, so the database alone can sign nothing, and every
// process that shares the database and the secret agrees on the ring.
package token

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// Errors of the key ring and the verifier.
var (
	// ErrInvalid covers every reason a token is refused; the reason goes to the log,
	// never to the client.
	ErrInvalid = errors.New("invalid token")
	ErrNoKey   = errors.New("no signing key")
)

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

// Claims are the claims of an access token. Scope restricts a token below its role:
// "mfa_enroll" tokens may only enroll a second factor.
type Claims struct {
	jwt.RegisteredClaims
	Role  string `json:"role"`
	Scope string `json:"scope,omitempty"`
	// Session is the refresh token family the token belongs to, so logout can end it.
	Session string `json:"sid,omitempty"`
	// IssuedMicros is the issue time in microseconds. iat has one-second resolution,
	// too coarse to tell a token issued just after a session revocation from one
	// issued just before it in the same second.
	IssuedMicros int64 `json:"iat_us,omitempty"`
}

// Issued returns when the token was issued, as precisely as it says.
func (c *Claims) Issued() time.Time {
	if c.IssuedMicros > 0 {
		return time.UnixMicro(c.IssuedMicros)
	}
	if c.IssuedAt == nil {
		return time.Time{}
	}
	return c.IssuedAt.Time
}

// KeyStore is the slice of storage the ring needs.
type KeyStore interface {
	ListSigningKeys(ctx context.Context) ([]store.SigningKey, error)
	InsertSigningKey(ctx context.Context, k store.SigningKey) error
	RevokeSigningKey(ctx context.Context, kid string, now time.Time) error
}

// Options configure a Ring.
type Options struct {
	Secret         []byte        // JWT_SECRET_KEY
	Issuer         string        // iss of every token
	Audience       string        // aud of every token
	AccessTTL      time.Duration // lifetime of access tokens
	RotateEvery    time.Duration // a new signing key this often; zero means 24h
	ReloadInterval time.Duration // how stale this process's view of the ring may be
	Clock          func() time.Time
}

type key struct {
	kid        string
	secret     []byte
	created    time.Time
	notAfter   time.Time
	verifyLast time.Time
	revoked    bool
}

// Ring is the set of signing keys, refreshed from the store.
type Ring struct {
	store KeyStore
	opts  Options

	mu       sync.RWMutex
	keys     map[string]key
	signing  key
	loadedAt time.Time
}

// NewRing returns a ring backed by ks. Call Load before use.
func NewRing(ks KeyStore, opts Options) (*Ring, error) {
	if len(opts.Secret) < 32 {
		return nil, errors.New("token: JWT secret must be at least 32 bytes")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.RotateEvery <= 0 {
		opts.RotateEvery = 24 * time.Hour
	}
	if opts.ReloadInterval <= 0 {
		opts.ReloadInterval = 5 * time.Second
	}
	return &Ring{store: ks, opts: opts, keys: map[string]key{}}, nil
}

// Load reads the ring from the store and adds a signing key when none is current, which
// is also how automatic rotation happens: the current key stops signing at its NotAfter.
func (r *Ring) Load(ctx context.Context) error {
	if err := r.reload(ctx); err != nil {
		return err
	}
	r.mu.RLock()
	current := r.signing.kid != "" && r.opts.Clock().Before(r.signing.notAfter)
	r.mu.RUnlock()
	if current {
		return nil
	}
	if _, err := r.Rotate(ctx); err != nil {
		return err
	}
	return nil
}

// Rotate adds a new signing key at once; older keys keep verifying the tokens they
// signed until those expire.
func (r *Ring) Rotate(ctx context.Context) (string, error) {
	now := r.opts.Clock().UTC()
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("rotate: %w", err)
	}
	kidBytes := make([]byte, 8)
	if _, err := rand.Read(kidBytes); err != nil {
		return "", fmt.Errorf("rotate: %w", err)
	}
	notAfter := now.Add(r.opts.RotateEvery)
	k := store.SigningKey{
		KID:        hex.EncodeToString(kidBytes),
		Secret:     salt,
		CreatedAt:  now,
		NotAfter:   notAfter,
		VerifyLast: notAfter.Add(r.opts.AccessTTL + Leeway),
	}
	if err := r.store.InsertSigningKey(ctx, k); err != nil {
		return "", fmt.Errorf("rotate: store key: %w", err)
	}
	return k.KID, r.reload(ctx)
}

// Revoke kills a key at once: tokens it signed fail from the next reload on.
func (r *Ring) Revoke(ctx context.Context, kid string) error {
	if err := r.store.RevokeSigningKey(ctx, kid, r.opts.Clock().UTC()); err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	return r.reload(ctx)
}

// MaxLifetime is how long a token issued now can be accepted: its lifetime plus the
// leeway on exp. A denial meant to outlive every token issued so far lasts this long.
func (r *Ring) MaxLifetime() time.Duration { return r.opts.AccessTTL + Leeway }

// Keys lists the ring for operators: kid, dates and state, never key material.
func (r *Ring) Keys(ctx context.Context) ([]store.SigningKey, error) {
	ks, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	for i := range ks {
		ks[i].Secret = nil
	}
	return ks, nil
}

// Run keeps the ring fresh and rotates on schedule until ctx ends.
func (r *Ring) Run(ctx context.Context, onError func(error)) {
	t := time.NewTicker(r.opts.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Load(ctx); err != nil && onError != nil {
				onError(err)
			}
		}
	}
}

func (r *Ring) reload(ctx context.Context) error {
	stored, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	now := r.opts.Clock()
	keys := make(map[string]key, len(stored))
	var signing key
	for _, s := range stored {
		k := key{
			kid:        s.KID,
			secret:     r.derive(s.Secret),
			created:    s.CreatedAt,
			notAfter:   s.NotAfter,
			verifyLast: s.VerifyLast,
			revoked:    !s.RevokedAt.IsZero(),
		}
		keys[k.kid] = k
		if !k.revoked && now.Before(k.notAfter) && !now.Before(k.created.Add(-Leeway)) &&
			(signing.kid == "" || !k.created.Before(signing.created)) {
			signing = k
		}
	}
	r.mu.Lock()
	r.keys, r.signing, r.loadedAt = keys, signing, now
	r.mu.Unlock()
	return nil
}

// derive turns a stored salt into key material: HMAC-SHA256(JWT_SECRET_KEY, label||salt).
func (r *Ring) derive(salt []byte) []byte {
	m := hmac.New(sha256.New, r.opts.Secret)
	m.Write([]byte("octopus/jwt-signing-key/v1\x00"))
	m.Write(salt)
	return m.Sum(nil)
}

// Issued is a freshly signed access token.
type Issued struct {
	Token     string
	ID        string // jti
	ExpiresAt time.Time
}

// Issue signs an access token for subject with role, an optional restricting scope
// and the session (refresh family) it belongs to.
func (r *Ring) Issue(subject, role, scope, session string) (Issued, error) {
	r.mu.RLock()
	k := r.signing
	r.mu.RUnlock()
	if k.kid == "" {
		return Issued{}, ErrNoKey
	}
	now := r.opts.Clock().UTC()
	jtiBytes := make([]byte, 16)
	if _, err := rand.Read(jtiBytes); err != nil {
		return Issued{}, fmt.Errorf("issue: %w", err)
	}
	exp := now.Add(r.opts.AccessTTL)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    r.opts.Issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{r.opts.Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        hex.EncodeToString(jtiBytes),
		},
		Role:         role,
		Scope:        scope,
		Session:      session,
		IssuedMicros: now.UnixMicro(),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = k.kid
	signed, err := t.SignedString(k.secret)
	if err != nil {
		return Issued{}, fmt.Errorf("issue: sign: %w", err)
	}
	return Issued{Token: signed, ID: claims.ID, ExpiresAt: exp}, nil
}

// Verify checks a token's signature, algorithm, key, issuer, audience and times. The
// method is pinned to HS256, so "none", HS384/HS512 and every asymmetric algorithm are
// refused before any key is looked at (RFC 8725 §3.1).
func (r *Ring) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > 4096 {
		return nil, fmt.Errorf("%w: too long", ErrInvalid)
	}
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := r.lookup(ctx, kid)
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		if k.revoked {
			return nil, fmt.Errorf("revoked kid %q", kid)
		}
		if r.opts.Clock().After(k.verifyLast) {
			return nil, fmt.Errorf("retired kid %q", kid)
		}
		return k.secret, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(r.opts.Issuer),
		jwt.WithAudience(r.opts.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(r.opts.Clock),
		jwt.WithStrictDecoding(),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if claims.Subject == "" || claims.ID == "" || claims.IssuedAt == nil {
		return nil, fmt.Errorf("%w: missing sub, jti or iat", ErrInvalid)
	}
	if d := claims.Issued().Sub(claims.IssuedAt.Time); d < 0 || d >= time.Second {
		return nil, fmt.Errorf("%w: iat_us disagrees with iat", ErrInvalid)
	}
	return claims, nil
}

// lookup finds a key, reloading once when the kid is unknown to this process and the
// view is older than a second: another process may just have rotated.
func (r *Ring) lookup(ctx context.Context, kid string) (key, bool) {
	r.mu.RLock()
	k, ok := r.keys[kid]
	stale := r.opts.Clock().Sub(r.loadedAt) > time.Second
	r.mu.RUnlock()
	if ok || !stale || kid == "" || len(kid) > 64 {
		return k, ok
	}
	if err := r.reload(ctx); err != nil {
		return key{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok = r.keys[kid]
	return k, ok
}
