package httpapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/octopus-venue/octopus/internal/apptest"
	"github.com/octopus-venue/octopus/internal/auth/token"
)

// ringKey recomputes the key material of kid the way the ring derives it from
// JWT_SECRET_KEY and the stored salt: the attacker here holds every secret, so each
// refusal below is the verifier's rule and not a bad signature.
func ringKey(t *testing.T, v *apptest.Venue, kid string) []byte {
	t.Helper()
	keys, err := v.App.Store.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.KID == kid {
			m := hmac.New(sha256.New, []byte(v.Env["JWT_SECRET_KEY"]))
			m.Write([]byte("octopus/jwt-signing-key/v1\x00"))
			m.Write(k.Secret)
			return m.Sum(nil)
		}
	}
	t.Fatalf("kid %s not in the store", kid)
	return nil
}

// tokenParts splits a compact JWT and returns its kid.
func tokenParts(t *testing.T, tok string) (parts []string, kid string) {
	t.Helper()
	parts = strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var claims jwt.MapClaims
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, &claims)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ = parsed.Header["kid"].(string)
	return parts, kid
}

func signJWT(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenAttacksAreUnauthorized(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	good := v.Admin()
	admin := storedUser(t, v, "admin")
	parts, kid := tokenParts(t, good)
	key := ringKey(t, v, kid)
	now := time.Now()

	base := func() token.Claims {
		return token.Claims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: v.App.Config.JWTIssuer, Audience: jwt.ClaimStrings{v.App.Config.JWTAudience},
			Subject: fmtID(admin.ID), ID: "attack-" + randomHex(t),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)),
		}, Role: "admin"}
	}
	with := func(f func(*token.Claims)) token.Claims { c := base(); f(&c); return c }

	// The control: a token minted by hand with the real key and honest claims is
	// accepted, so the key derivation above is right and every refusal below is
	// caused by the one thing each case bends.
	v.Must(v.Do("GET", "/api/v1/me", signJWT(t, jwt.SigningMethodHS256, key, kid, base()), nil), 200)

	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	altered := strings.Replace(string(payload), `"role":"admin"`, `"role":"trader"`, 1)
	if altered == string(payload) {
		t.Fatalf("payload has no admin role: %s", payload)
	}
	noneHeader := base64.RawURLEncoding.EncodeToString(
		[]byte(`{"alg":"none","typ":"JWT","kid":"` + kid + `"}`))
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
	}{
		{"forged with another secret", signJWT(t, jwt.SigningMethodHS256,
			[]byte("not-the-venue-secret-not-the-venue-secret"), kid, base())},
		{"altered payload, original signature", parts[0] + "." +
			base64.RawURLEncoding.EncodeToString([]byte(altered)) + "." + parts[2]},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"expired", signJWT(t, jwt.SigningMethodHS256, key, kid, with(func(c *token.Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Hour))
			c.NotBefore = c.IssuedAt
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
		}))},
		{"not yet valid", signJWT(t, jwt.SigningMethodHS256, key, kid, with(func(c *token.Claims) {
			c.NotBefore = jwt.NewNumericDate(now.Add(10 * time.Minute))
		}))},
		{"issued in the future", signJWT(t, jwt.SigningMethodHS256, key, kid, with(func(c *token.Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(10 * time.Minute))
		}))},
		{"no exp", signJWT(t, jwt.SigningMethodHS256, key, kid, with(func(c *token.Claims) {
			c.ExpiresAt = nil
		}))},
		{"wrong issuer", signJWT(t, jwt.SigningMethodHS256, key, kid, with(func(c *token.Claims) {
			c.Issuer = "someone-else"
		}))},
		{"wrong audience", signJWT(t, jwt.SigningMethodHS256, key, kid, with(func(c *token.Claims) {
			c.Audience = jwt.ClaimStrings{"another-api"}
		}))},
		{"role raised in a signed token", signJWT(t, jwt.SigningMethodHS256, key, kid,
			with(func(c *token.Claims) { c.Role = "trader" }))},
		{"alg none", noneHeader + "." + parts[1] + "."},
		{"alg HS384 with the real key", signJWT(t, jwt.SigningMethodHS384, key, kid, base())},
		{"alg HS512 with the real key", signJWT(t, jwt.SigningMethodHS512, key, kid, base())},
		{"alg RS256", signJWT(t, jwt.SigningMethodRS256, rsaKey, kid, base())},
		{"alg PS256", signJWT(t, jwt.SigningMethodPS256, rsaKey, kid, base())},
		{"alg ES256", signJWT(t, jwt.SigningMethodES256, ecKey, kid, base())},
		{"wrong kid", signJWT(t, jwt.SigningMethodHS256, key, "0123456789abcdef", base())},
		{"no kid", signJWT(t, jwt.SigningMethodHS256, key, "", base())},
		{"garbage", "abc.def.ghi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.Do("GET", "/api/v1/me", tt.token, nil)
			if r.Status != 401 || r.ErrorCode() != "invalid_token" {
				t.Fatalf("got %d %s, want 401 invalid_token", r.Status, r.Body)
			}
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	v.Must(v.Do("GET", "/api/v1/me", good, nil), 200)
}

func TestRevokedKeyKillsItsTokens(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	ctx := context.Background()
	old := v.Admin()
	_, oldKid := tokenParts(t, old)

	newKid, err := v.App.Ring.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh := v.Admin()
	if _, kid := tokenParts(t, fresh); kid != newKid {
		t.Fatalf("after rotation tokens carry kid %s, want %s", kid, newKid)
	}
	// Rotation alone keeps the old key verifying.
	v.Must(v.Do("GET", "/api/v1/me", old, nil), 200)

	if err := v.App.Ring.Revoke(ctx, oldKid); err != nil {
		t.Fatal(err)
	}
	r := v.Do("GET", "/api/v1/me", old, nil)
	if r.Status != 401 || r.ErrorCode() != "invalid_token" {
		t.Fatalf("token of a revoked key: %d %s", r.Status, r.Body)
	}
	v.Must(v.Do("GET", "/api/v1/me", fresh, nil), 200)

	// A hand-made token under the revoked kid, with its real key, is refused too.
	now := time.Now()
	forged := signJWT(t, jwt.SigningMethodHS256, ringKey(t, v, oldKid), oldKid, token.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: v.App.Config.JWTIssuer,
			Audience: jwt.ClaimStrings{v.App.Config.JWTAudience}, Subject: "1", ID: randomHex(t),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))},
		Role: "admin"})
	v.Must(v.Do("GET", "/api/v1/me", forged, nil), 401)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	id, _ := v.Trader(admin, "rita")
	first := loginPair(t, v, "rita", apptest.TraderPassword("rita"), nil)

	var second pair
	v.Must(refresh(v, first.Refresh), 200).Decode(t, &second)
	if second.Refresh == "" || second.Refresh == first.Refresh || second.Access == first.Access {
		t.Fatalf("refresh did not rotate: %+v", second)
	}
	v.Must(v.Do("GET", "/api/v1/me", second.Access, nil), 200)

	// The thief replays the retired token: refused, and the whole family dies,
	// including the pair the rightful owner just received.
	r := refresh(v, first.Refresh)
	if r.Status != 401 || r.ErrorCode() != "invalid_token" {
		t.Fatalf("reused refresh token: %d %s", r.Status, r.Body)
	}
	v.Must(refresh(v, second.Refresh), 401)
	v.Must(v.Do("GET", "/api/v1/me", second.Access, nil), 401)
	v.Must(v.Do("GET", "/api/v1/me", first.Access, nil), 401)
	if n := countEvents(t, v, admin, "refresh_token_reuse", id); n != 1 {
		t.Fatalf("refresh_token_reuse events = %d, want 1", n)
	}

	// A new login is a new family, untouched by the old one.
	third := loginPair(t, v, "rita", apptest.TraderPassword("rita"), nil)
	v.Must(v.Do("GET", "/api/v1/me", third.Access, nil), 200)
	v.Must(refresh(v, third.Refresh), 200)

	for _, bad := range []string{"", "x", strings.Repeat("a", 300), "not-a-token-we-issued"} {
		if r := refresh(v, bad); r.Status != 401 && r.Status != 400 {
			t.Errorf("refresh %q: %d %s", bad, r.Status, r.Body)
		}
	}
}

func TestLogoutEndsTheWholeSession(t *testing.T) {
	v := apptest.Start(t, apptest.Options{})
	admin := v.Admin()
	id, _ := v.Trader(admin, "lou")
	first := loginPair(t, v, "lou", apptest.TraderPassword("lou"), nil)
	var second pair
	v.Must(refresh(v, first.Refresh), 200).Decode(t, &second)
	other := loginPair(t, v, "lou", apptest.TraderPassword("lou"), nil)

	v.Must(v.Do("POST", "/api/v1/auth/logout", second.Access, nil), 204)
	for name, tok := range map[string]string{"logged-out access": second.Access,
		"earlier access of the session": first.Access} {
		if r := v.Do("GET", "/api/v1/me", tok, nil); r.Status != 401 {
			t.Errorf("%s after logout: %d %s", name, r.Status, r.Body)
		}
	}
	if r := refresh(v, second.Refresh); r.Status != 401 {
		t.Errorf("refresh after logout: %d %s", r.Status, r.Body)
	}
	// Presenting a token that logout revoked is no theft: no reuse alarm.
	if n := countEvents(t, v, admin, "refresh_token_reuse", id); n != 0 {
		t.Errorf("refresh_token_reuse events after a plain logout = %d, want 0", n)
	}
	// Another session of the same user lives on.
	v.Must(v.Do("GET", "/api/v1/me", other.Access, nil), 200)
	v.Must(refresh(v, other.Refresh), 200)
}
