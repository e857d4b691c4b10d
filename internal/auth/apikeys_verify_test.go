package auth_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/auth/apikey"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

func rawSecret(t *testing.T, full string) []byte {
	t.Helper()
	_, secret, err := apikey.Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := apikey.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestAuthenticatePrincipal(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, rbac.Trader)
	created := f.create(t, auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Read, rbac.Trade}})

	p, err := f.keys.Authenticate(ctx, created.Secret, auth.SignedRequest{})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if p.UserID != 1 || p.Username != "alice" || p.Role != rbac.Trader ||
		p.APIKeyID != created.Key.ID {
		t.Fatalf("principal = %+v", p)
	}
	if !p.Can(rbac.Trade) || !p.Can(rbac.Read) || p.Can(rbac.Write) {
		t.Fatalf("scopes = %v: want read and trade only", p.Scopes)
	}
}

func TestAuthenticateRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		key   auth.NewAPIKey
		setup func(t *testing.T, f *fixture, full string) (string, auth.SignedRequest)
	}{
		{name: "malformed key",
			setup: func(_ *testing.T, _ *fixture, full string) (string, auth.SignedRequest) {
				return full[:len(full)-1], auth.SignedRequest{}
			}},
		{name: "unknown id",
			setup: func(_ *testing.T, _ *fixture, full string) (string, auth.SignedRequest) {
				return "oct_aaaaaaaaaaaa" + full[16:], auth.SignedRequest{}
			}},
		{name: "wrong secret",
			setup: func(_ *testing.T, _ *fixture, full string) (string, auth.SignedRequest) {
				last := byte('a')
				if full[len(full)-1] == 'a' {
					last = 'q'
				}
				return full[:len(full)-1] + string(last), auth.SignedRequest{}
			}},
		{name: "expired",
			setup: func(_ *testing.T, f *fixture, full string) (string, auth.SignedRequest) {
				f.clock.Add(auth.DefaultAPIKeyLifetime)
				return full, auth.SignedRequest{}
			}},
		{name: "outside the allowlist",
			key: auth.NewAPIKey{AllowedCIDRs: []string{"10.0.0.0/8"}},
			setup: func(_ *testing.T, _ *fixture, full string) (string, auth.SignedRequest) {
				return full, auth.SignedRequest{ClientIP: netip.MustParseAddr("11.0.0.1")}
			}},
		{name: "allowlist and no client address",
			key: auth.NewAPIKey{AllowedCIDRs: []string{"0.0.0.0/0"}},
			setup: func(_ *testing.T, _ *fixture, full string) (string, auth.SignedRequest) {
				return full, auth.SignedRequest{}
			}},
		{name: "owner locked by an admin",
			setup: func(_ *testing.T, f *fixture, full string) (string, auth.SignedRequest) {
				f.store.setUser(store.User{ID: 1, Username: "alice", Role: rbac.Trader, Locked: true})
				return full, auth.SignedRequest{}
			}},
		{name: "signed key without signature",
			key: auth.NewAPIKey{Signing: auth.SigningHMAC},
			setup: func(_ *testing.T, _ *fixture, full string) (string, auth.SignedRequest) {
				return full, auth.SignedRequest{Method: "GET", PathQuery: "/x"}
			}},
		{name: "unsigned key with a bad signature",
			setup: func(_ *testing.T, f *fixture, full string) (string, auth.SignedRequest) {
				return full, signedHMAC(make([]byte, 32), "GET", "/x", nil, f.clock.Now())
			}},
		{name: "hmac signature on an ed25519 key",
			key: auth.NewAPIKey{Signing: auth.SigningEd25519,
				PublicKey: ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)},
			setup: func(t *testing.T, f *fixture, full string) (string, auth.SignedRequest) {
				return full, signedHMAC(rawSecret(t, full), "GET", "/x", nil, f.clock.Now())
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rbac.Trader)
			req := tt.key
			req.Scopes = []rbac.Permission{rbac.Read}
			created := f.create(t, req)
			full, sreq := tt.setup(t, f, created.Secret)
			p, err := f.keys.Authenticate(ctx, full, sreq)
			if err != auth.ErrInvalidAPIKey {
				t.Fatalf("Authenticate = %+v, %v; want exactly ErrInvalidAPIKey", p, err)
			}
		})
	}
}

func TestAuthenticateIgnoresLoginLockout(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, rbac.Trader)
	created := f.create(t, auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Read}})
	f.store.setUser(store.User{ID: 1, Role: rbac.Trader, LockedUntil: f.clock.Now().Add(time.Hour)})

	if _, err := f.keys.Authenticate(ctx, created.Secret, auth.SignedRequest{}); err != nil {
		t.Fatalf("a password lockout stopped an api key: %v", err)
	}
}

func TestAuthenticateScopesFollowRole(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		role      string
		wantRead  bool
		wantTrade bool
	}{
		{name: "trader keeps both", role: rbac.Trader, wantRead: true, wantTrade: true},
		{name: "demoted to user keeps read", role: rbac.User, wantRead: true},
		// No overlap must mean no rights, not the whole role: Principal.Can reads
		// nil scopes as unrestricted.
		{name: "role without the scopes", role: rbac.Admin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rbac.Trader)
			req := auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Trade}}
			if tt.role != rbac.Admin {
				req.Scopes = append(req.Scopes, rbac.Read)
			}
			created := f.create(t, req)
			f.store.setUser(store.User{ID: 1, Role: tt.role})

			p, err := f.keys.Authenticate(ctx, created.Secret, auth.SignedRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Scopes == nil {
				t.Fatal("nil scopes")
			}
			if p.Can(rbac.Read) != tt.wantRead || p.Can(rbac.Trade) != tt.wantTrade {
				t.Fatalf("scopes %v under %s", p.Scopes, tt.role)
			}
			if p.Can(rbac.ManageUsers) || p.Can(rbac.SystemAdmin) {
				t.Fatal("a key reached rights it was never given")
			}
		})
	}
}

func TestAuthenticateSigned(t *testing.T) {
	ctx := context.Background()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, 32))
	body := []byte(`{"symbol":"BTC-USD"}`)

	tests := []struct {
		name    string
		signing string
		sign    func(raw []byte, now time.Time) auth.SignedRequest
		wantErr bool
	}{
		{name: "hmac", signing: auth.SigningHMAC,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				return signedHMAC(raw, "POST", "/api/v1/orders?a=1", body, now)
			}},
		{name: "hmac 5s old", signing: auth.SigningHMAC,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				return signedHMAC(raw, "POST", "/api/v1/orders", body, now.Add(-5*time.Second))
			}},
		{name: "hmac 5s ahead", signing: auth.SigningHMAC,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				return signedHMAC(raw, "POST", "/api/v1/orders", body, now.Add(5*time.Second))
			}},
		{name: "hmac stale", signing: auth.SigningHMAC, wantErr: true,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				ts := now.Add(-5001 * time.Millisecond)
				return signedHMAC(raw, "POST", "/api/v1/orders", body, ts)
			}},
		{name: "hmac body changed", signing: auth.SigningHMAC, wantErr: true,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				r := signedHMAC(raw, "POST", "/api/v1/orders", body, now)
				r.Body = []byte(`{"symbol":"ETH-USD"}`)
				return r
			}},
		{name: "hmac query changed", signing: auth.SigningHMAC, wantErr: true,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				r := signedHMAC(raw, "GET", "/api/v1/orders?limit=1", nil, now)
				r.PathQuery = "/api/v1/orders?limit=2"
				return r
			}},
		{name: "hmac signed with the secret text", signing: auth.SigningHMAC, wantErr: true,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				return signedHMAC([]byte(apikey.Prefix), "GET", "/x", nil, now)
			}},
		{name: "hmac without timestamp", signing: auth.SigningHMAC, wantErr: true,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				r := signedHMAC(raw, "GET", "/x", nil, now)
				r.Timestamp = ""
				return r
			}},
		{name: "ed25519", signing: auth.SigningEd25519,
			sign: func(_ []byte, now time.Time) auth.SignedRequest {
				return signedEd25519(priv, "POST", "/api/v1/orders", body, now)
			}},
		{name: "ed25519 other key", signing: auth.SigningEd25519, wantErr: true,
			sign: func(_ []byte, now time.Time) auth.SignedRequest {
				other := ed25519.NewKeyFromSeed(make([]byte, 32))
				return signedEd25519(other, "POST", "/api/v1/orders", body, now)
			}},
		{name: "unsigned key, valid signature sent anyway", signing: auth.SigningNone,
			wantErr: true,
			sign: func(raw []byte, now time.Time) auth.SignedRequest {
				return signedHMAC(raw, "GET", "/x", nil, now)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rbac.Trader)
			req := auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Trade}, Signing: tt.signing}
			if tt.signing == auth.SigningEd25519 {
				req.PublicKey = priv.Public().(ed25519.PublicKey)
			}
			created := f.create(t, req)
			sreq := tt.sign(rawSecret(t, created.Secret), f.clock.Now())

			_, err := f.keys.Authenticate(ctx, created.Secret, sreq)
			if tt.wantErr {
				if err != auth.ErrInvalidAPIKey {
					t.Fatalf("Authenticate = %v, want ErrInvalidAPIKey", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			// The same signature again, still inside the window, is a replay.
			if _, err := f.keys.Authenticate(ctx, created.Secret, sreq); err != auth.ErrInvalidAPIKey {
				t.Fatalf("replay: %v, want ErrInvalidAPIKey", err)
			}
		})
	}
}

func signedEd25519(
	priv ed25519.PrivateKey, method, path string, body []byte, ts time.Time,
) auth.SignedRequest {
	canonical := apikey.Canonical(method, path, ts.UnixMilli(), body)
	return auth.SignedRequest{Method: method, PathQuery: path, Body: body,
		Timestamp: strconv.FormatInt(ts.UnixMilli(), 10),
		Signature: apikey.SignEd25519(priv, canonical)}
}

func TestAuthenticateTouchesOncePerInterval(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, rbac.User)
	created := f.create(t, auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Read}})

	for range 5 {
		if _, err := f.keys.Authenticate(ctx, created.Secret, auth.SignedRequest{}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(10 * time.Second)
	}
	if f.store.touches != 1 {
		t.Fatalf("%d touches in 50s, want 1", f.store.touches)
	}
	first := f.clock.Now().Add(-50 * time.Second)
	if got := f.store.keys[created.Key.ID].LastUsedAt; !got.Equal(first) {
		t.Fatalf("last used %v", got)
	}

	f.clock.Add(20 * time.Second)
	if _, err := f.keys.Authenticate(ctx, created.Secret, auth.SignedRequest{}); err != nil {
		t.Fatal(err)
	}
	if f.store.touches != 2 {
		t.Fatalf("%d touches after a minute, want 2", f.store.touches)
	}
}

func TestListAndDelete(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, rbac.User)
	created := f.create(t, auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Read}})
	f.store.setUser(store.User{ID: 2, Role: rbac.User})

	keys, err := f.keys.List(ctx, 1)
	if err != nil || len(keys) != 1 || keys[0].ID != created.Key.ID || keys[0].SecretHash != "" {
		t.Fatalf("List = %+v, %v", keys, err)
	}
	if err := f.keys.Delete(ctx, 2, created.Key.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's Delete = %v, want ErrNotFound", err)
	}
	if err := f.keys.Delete(ctx, 1, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete of a malformed id = %v, want ErrNotFound", err)
	}
	if err := f.keys.Delete(ctx, 1, created.Key.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.keys.Authenticate(ctx, created.Secret, auth.SignedRequest{})
	if err != auth.ErrInvalidAPIKey {
		t.Fatalf("deleted key: %v", err)
	}
}

func TestMemoryReplayGuard(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	g := auth.NewMemoryReplayGuard(2, c.Now)
	ctx := context.Background()
	claim := func(key string, ttl time.Duration) (bool, error) {
		return g.Claim(ctx, key, c.Now().Add(ttl))
	}

	if ok, err := claim("a", 5*time.Second); !ok || err != nil {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if ok, err := claim("a", 5*time.Second); ok || err != nil {
		t.Fatalf("second claim = %v, %v; want a replay", ok, err)
	}
	if ok, _ := claim("b", time.Second); !ok {
		t.Fatal("claim b refused")
	}
	if _, err := claim("c", time.Second); !errors.Is(err, auth.ErrReplayGuardFull) {
		t.Fatalf("third live entry: %v, want ErrReplayGuardFull", err)
	}

	c.Add(5 * time.Second)
	if ok, _ := claim("a", time.Second); ok {
		t.Fatal("an entry was forgotten on its expiry instant")
	}
	c.Add(time.Millisecond)
	if ok, err := claim("c", time.Second); !ok || err != nil {
		t.Fatalf("claim after expiry = %v, %v", ok, err)
	}
	if g.Len() != 1 {
		t.Fatalf("Len = %d, want the expired entries swept", g.Len())
	}
}
