package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/octopus-venue/octopus/internal/store"
)

// memKeys is a KeyStore held in memory; the ring's storage contract is tested
// against real databases in store/storetest.
type memKeys struct {
	mu   sync.Mutex
	keys []store.SigningKey
}

func (m *memKeys) ListSigningKeys(context.Context) ([]store.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]store.SigningKey(nil), m.keys...), nil
}

func (m *memKeys) InsertSigningKey(_ context.Context, k store.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = append(m.keys, k)
	return nil
}

func (m *memKeys) RevokeSigningKey(_ context.Context, kid string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.keys {
		if m.keys[i].KID == kid {
			m.keys[i].RevokedAt = now
			return nil
		}
	}
	return store.ErrNotFound
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

const secret = "0123456789abcdef0123456789abcdef-jwt"

func newRing(t *testing.T, ks KeyStore, c *clock) *Ring {
	t.Helper()
	r, err := NewRing(ks, Options{
		Secret: []byte(secret), Issuer: "octopus", Audience: "octopus-api",
		AccessTTL: time.Hour, RotateEvery: 24 * time.Hour, Clock: c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIssueVerify(t *testing.T) {
	c := &clock{now: time.Now()}
	r := newRing(t, &memKeys{}, c)
	iss, err := r.Issue("42", "trader", "", "fam")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := r.Verify(context.Background(), iss.Token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if claims.Subject != "42" || claims.Role != "trader" || claims.ID != iss.ID {
		t.Fatalf("claims = %+v", claims)
	}
	if got := claims.Issued(); !got.Equal(time.UnixMicro(c.now.UnixMicro())) {
		t.Fatalf("Issued() = %v, want %v to the microsecond", got, c.now)
	}
}

// sign builds a token by hand so the attacks can bend any part of it.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAttacksAreRefused(t *testing.T) {
	ks := &memKeys{}
	c := &clock{now: time.Now().Truncate(time.Second)}
	r := newRing(t, ks, c)
	good, err := r.Issue("1", "admin", "", "fam")
	if err != nil {
		t.Fatal(err)
	}
	r.mu.RLock()
	k := r.signing
	r.mu.RUnlock()

	base := func() Claims {
		return Claims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "octopus", Audience: jwt.ClaimStrings{"octopus-api"}, Subject: "1", ID: "x",
			IssuedAt: jwt.NewNumericDate(c.now), ExpiresAt: jwt.NewNumericDate(c.now.Add(time.Hour)),
		}, Role: "admin"}
	}
	with := func(f func(*Claims)) Claims { cl := base(); f(&cl); return cl }
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	parts := strings.Split(good.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	altered := strings.Replace(string(payload), `"role":"admin"`, `"role":"xdmin"`, 1)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"` + k.kid + `"}`))

	tests := []struct {
		name  string
		token string
	}{
		{"forged with another secret", sign(t, jwt.SigningMethodHS256,
			[]byte("another-secret-another-secret-123"), k.kid, base())},
		{"altered payload", parts[0] + "." +
			base64.RawURLEncoding.EncodeToString([]byte(altered)) + "." + parts[2]},
		{"expired", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.ExpiresAt = jwt.NewNumericDate(c.now.Add(-time.Minute))
		}))},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.NotBefore = jwt.NewNumericDate(c.now.Add(5 * time.Minute))
		}))},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.IssuedAt = jwt.NewNumericDate(c.now.Add(5 * time.Minute))
		}))},
		{"missing exp", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.ExpiresAt = nil
		}))},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.Issuer = "evil"
		}))},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.Audience = jwt.ClaimStrings{"other"}
		}))},
		{"iat_us after iat", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.IssuedMicros = c.now.Add(2 * time.Second).UnixMicro()
		}))},
		{"iat_us before iat", sign(t, jwt.SigningMethodHS256, k.secret, k.kid, with(func(cl *Claims) {
			cl.IssuedMicros = c.now.Add(-time.Hour).UnixMicro()
		}))},
		{"alg none", noneHeader + "." + parts[1] + "."},
		{"alg HS512", sign(t, jwt.SigningMethodHS512, k.secret, k.kid, base())},
		{"alg HS384", sign(t, jwt.SigningMethodHS384, k.secret, k.kid, base())},
		{"alg RS256", sign(t, jwt.SigningMethodRS256, rsaKey, k.kid, base())},
		{"alg PS256", sign(t, jwt.SigningMethodPS256, rsaKey, k.kid, base())},
		{"alg ES256", sign(t, jwt.SigningMethodES256, ecKey, k.kid, base())},
		{"wrong kid", sign(t, jwt.SigningMethodHS256, k.secret, "deadbeefdeadbeef", base())},
		{"no kid", sign(t, jwt.SigningMethodHS256, k.secret, "", base())},
		{"garbage", "not.a.token"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := r.Verify(context.Background(), tt.token); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify accepted or misreported: %v", err)
			}
		})
	}
}

func TestRotationAndRevocation(t *testing.T) {
	ks := &memKeys{}
	c := &clock{now: time.Now()}
	r := newRing(t, ks, c)
	old, _ := r.Issue("1", "trader", "", "fam")
	oldKID := r.signing.kid

	if _, err := r.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh, _ := r.Issue("1", "trader", "", "fam")
	if r.signing.kid == oldKID {
		t.Fatal("rotation did not change the signing key")
	}
	for _, tok := range []string{old.Token, fresh.Token} {
		if _, err := r.Verify(context.Background(), tok); err != nil {
			t.Fatalf("token failed after rotation: %v", err)
		}
	}

	// A second process on the same store agrees on the ring.
	other := newRing(t, ks, c)
	if _, err := other.Verify(context.Background(), fresh.Token); err != nil {
		t.Fatalf("second process refused: %v", err)
	}

	if err := r.Revoke(context.Background(), oldKID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(context.Background(), old.Token); !errors.Is(err, ErrInvalid) {
		t.Fatalf("revoked key still verifies: %v", err)
	}
	if _, err := r.Verify(context.Background(), fresh.Token); err != nil {
		t.Fatalf("revoking the old key broke the new one: %v", err)
	}
}

func TestAutomaticRotation(t *testing.T) {
	ks := &memKeys{}
	c := &clock{now: time.Now()}
	r := newRing(t, ks, c)
	first := r.signing.kid
	tok, _ := r.Issue("1", "user", "", "fam")

	c.now = c.now.Add(24*time.Hour + time.Minute)
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.signing.kid == first {
		t.Fatal("no automatic rotation after the interval")
	}
	// The old token expired an hour after issue, whatever its key.
	if _, err := r.Verify(context.Background(), tok.Token); !errors.Is(err, ErrInvalid) {
		t.Fatal("day-old token verified")
	}
}
