package auth_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/auth"
	"github.com/octopus-venue/octopus/internal/auth/apikey"
	"github.com/octopus-venue/octopus/internal/rbac"
	"github.com/octopus-venue/octopus/internal/store"
)

var testSecretKey = bytes.Repeat([]byte{7}, 32)

// keyStore is an in-memory APIKeyStore and UserReader.
type keyStore struct {
	mu      sync.Mutex
	keys    map[string]store.APIKey
	users   map[int64]store.User
	touches int
}

func newKeyStore(users ...store.User) *keyStore {
	s := &keyStore{keys: map[string]store.APIKey{}, users: map[int64]store.User{}}
	for _, u := range users {
		s.users[u.ID] = u
	}
	return s
}

func (s *keyStore) CreateAPIKey(_ context.Context, k *store.APIKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.ID]; ok {
		return store.ErrConflict
	}
	s.keys[k.ID] = *k
	return nil
}

func (s *keyStore) GetAPIKey(_ context.Context, id string) (store.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return store.APIKey{}, store.ErrNotFound
	}
	return k, nil
}

func (s *keyStore) ListAPIKeys(_ context.Context, userID int64) ([]store.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.APIKey
	for _, k := range s.keys {
		if k.UserID == userID {
			out = append(out, k)
		}
	}
	return out, nil
}

func (s *keyStore) DeleteAPIKey(_ context.Context, userID int64, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[id]; !ok || k.UserID != userID {
		return store.ErrNotFound
	}
	delete(s.keys, id)
	return nil
}

func (s *keyStore) TouchAPIKey(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		return store.ErrNotFound
	}
	k.LastUsedAt = at
	s.keys[id] = k
	s.touches++
	return nil
}

func (s *keyStore) GetUser(_ context.Context, id int64) (store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (s *keyStore) setUser(u store.User) {
	s.mu.Lock()
	s.users[u.ID] = u
	s.mu.Unlock()
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	keys  *auth.APIKeys
	store *keyStore
	clock *clock
	owner auth.Principal
}

func newFixture(t *testing.T, role string) *fixture {
	t.Helper()
	st := newKeyStore(store.User{ID: 1, Username: "alice", Role: role})
	c := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	keys, err := auth.NewAPIKeys(auth.APIKeyDeps{
		Keys: st, Users: st, SecretKey: testSecretKey, Clock: c.Now,
	}, auth.APIKeyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{keys: keys, store: st, clock: c,
		owner: auth.Principal{UserID: 1, Username: "alice", Role: role}}
}

func (f *fixture) create(t *testing.T, req auth.NewAPIKey) auth.CreatedAPIKey {
	t.Helper()
	if req.Name == "" {
		req.Name = "bot"
	}
	created, err := f.keys.Create(context.Background(), f.owner, req)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return created
}

func TestNewAPIKeysShortSecret(t *testing.T) {
	_, err := auth.NewAPIKeys(auth.APIKeyDeps{SecretKey: make([]byte, 31)}, auth.APIKeyConfig{})
	if err == nil {
		t.Fatal("a 31-byte SECRET_KEY was accepted")
	}
}

func TestCreateValidation(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	read := []rbac.Permission{rbac.Read}

	tests := []struct {
		name      string
		owner     func(p auth.Principal) auth.Principal
		input     auth.NewAPIKey
		wantField string
		wantErr   error
	}{
		{name: "read key", input: auth.NewAPIKey{Name: "bot", Scopes: read}},
		{name: "trade key of a trader",
			input: auth.NewAPIKey{Name: "bot", Scopes: []rbac.Permission{rbac.Read, rbac.Trade}}},
		{name: "empty name", input: auth.NewAPIKey{Name: "  ", Scopes: read}, wantField: "name"},
		{name: "name of 65 characters",
			input: auth.NewAPIKey{Name: strings.Repeat("é", 65), Scopes: read}, wantField: "name"},
		{name: "name with a newline", input: auth.NewAPIKey{Name: "a\nb", Scopes: read},
			wantField: "name"},
		{name: "name not utf-8", input: auth.NewAPIKey{Name: "a\xff", Scopes: read},
			wantField: "name"},
		{name: "no scopes", input: auth.NewAPIKey{Name: "bot"}, wantField: "scopes"},
		{name: "unknown scope",
			input: auth.NewAPIKey{Name: "bot", Scopes: []rbac.Permission{"root"}}, wantField: "scopes"},
		{name: "scope above the role",
			input:   auth.NewAPIKey{Name: "bot", Scopes: []rbac.Permission{rbac.ManageUsers}},
			wantErr: auth.ErrScopeNotAllowed},
		{name: "bad cidr",
			input:     auth.NewAPIKey{Name: "bot", Scopes: read, AllowedCIDRs: []string{"10.0.0.0/33"}},
			wantField: "allowed_cidrs"},
		{name: "33 cidrs",
			input: auth.NewAPIKey{Name: "bot", Scopes: read,
				AllowedCIDRs: slices.Repeat([]string{"10.0.0.1"}, 33)},
			wantField: "allowed_cidrs"},
		{name: "expiry in the past",
			input:     auth.NewAPIKey{Name: "bot", Scopes: read, ExpiresAt: now.Add(-time.Second)},
			wantField: "expires_at"},
		{name: "expiry now", input: auth.NewAPIKey{Name: "bot", Scopes: read, ExpiresAt: now},
			wantField: "expires_at"},
		{name: "expiry beyond two years",
			input: auth.NewAPIKey{Name: "bot", Scopes: read,
				ExpiresAt: now.Add(auth.DefaultMaxAPIKeyLifetime + time.Second)},
			wantField: "expires_at"},
		{name: "unknown signing", input: auth.NewAPIKey{Name: "bot", Scopes: read, Signing: "rsa"},
			wantField: "signing"},
		{name: "ed25519 without public key",
			input:     auth.NewAPIKey{Name: "bot", Scopes: read, Signing: auth.SigningEd25519},
			wantField: "public_key"},
		{name: "ed25519 with short public key",
			input: auth.NewAPIKey{Name: "bot", Scopes: read, Signing: auth.SigningEd25519,
				PublicKey: pub[:31]}, wantField: "public_key"},
		{name: "public key with hmac",
			input: auth.NewAPIKey{Name: "bot", Scopes: read, Signing: auth.SigningHMAC,
				PublicKey: pub}, wantField: "public_key"},
		{name: "owner signed in with a key",
			owner: func(p auth.Principal) auth.Principal { p.APIKeyID = "abcdefghijkl"; return p },
			input: auth.NewAPIKey{Name: "bot", Scopes: read}, wantErr: auth.ErrAPIKeyNotAllowed},
		{name: "owner with a restricted token",
			owner: func(p auth.Principal) auth.Principal { p.Restricted = auth.ScopeMFAEnroll; return p },
			input: auth.NewAPIKey{Name: "bot", Scopes: read}, wantErr: auth.ErrAPIKeyNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rbac.Trader)
			owner := f.owner
			if tt.owner != nil {
				owner = tt.owner(owner)
			}
			_, err := f.keys.Create(context.Background(), owner, tt.input)
			var fe *auth.FieldError
			switch {
			case tt.wantField != "":
				if !errors.As(err, &fe) || fe.Field != tt.wantField {
					t.Fatalf("Create = %v, want a field error on %s", err, tt.wantField)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Create = %v, want %v", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("Create = %v", err)
			}
			if err != nil && len(f.store.keys) != 0 {
				t.Fatal("a refused key was stored")
			}
		})
	}
}

func TestCreateStoresOnlyDerivedSecrets(t *testing.T) {
	f := newFixture(t, rbac.Trader)
	created := f.create(t, auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Read, rbac.Read},
		Signing: auth.SigningHMAC, AllowedCIDRs: []string{"10.1.2.3", "10.1.2.3/32"}})

	id, secret, err := apikey.Parse(created.Secret)
	if err != nil || id != created.Key.ID {
		t.Fatalf("Secret %q does not parse to id %q: %v", created.Secret, created.Key.ID, err)
	}
	if created.Key.SecretHash != "" || created.Key.SigningSecret != nil {
		t.Fatal("Create returned the hash or the sealed secret")
	}
	if got := auth.Signing(created.Key); got != auth.SigningHMAC {
		t.Fatalf("Signing = %q", got)
	}

	stored := f.store.keys[id]
	raw, _ := apikey.DecodeSecret(secret)
	if stored.SecretHash == "" || strings.Contains(stored.SecretHash, secret) {
		t.Fatalf("stored hash %q", stored.SecretHash)
	}
	if len(stored.SigningSecret) == 0 || bytes.Contains(stored.SigningSecret, raw) {
		t.Fatal("signing secret not sealed")
	}
	if !slices.Equal(stored.Scopes, []string{"read"}) {
		t.Fatalf("scopes = %v, want duplicates dropped", stored.Scopes)
	}
	if !slices.Equal(stored.AllowedCIDRs, []string{"10.1.2.3/32"}) {
		t.Fatalf("cidrs = %v", stored.AllowedCIDRs)
	}
	if want := f.clock.Now().Add(auth.DefaultAPIKeyLifetime); !stored.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want the default %v", stored.ExpiresAt, want)
	}
	if !stored.RequireSigned {
		t.Fatal("an hmac key does not require signing")
	}

	// The sealed secret is bound to its key id.
	other := f.create(t, auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Read},
		Signing: auth.SigningHMAC})
	moved := f.store.keys[other.Key.ID]
	moved.SigningSecret = stored.SigningSecret
	f.store.keys[other.Key.ID] = moved
	_, otherSecret, _ := apikey.Parse(other.Secret)
	otherRaw, _ := apikey.DecodeSecret(otherSecret)
	_, err = f.keys.Authenticate(context.Background(), other.Secret,
		signedHMAC(otherRaw, "GET", "/x", nil, f.clock.Now()))
	if err == nil || errors.Is(err, auth.ErrInvalidAPIKey) {
		t.Fatalf("a sealed secret moved to another key: %v, want an internal error", err)
	}
}

func TestCreateKeyLimit(t *testing.T) {
	f := newFixture(t, rbac.User)
	for range auth.DefaultMaxAPIKeysPerUser {
		f.create(t, auth.NewAPIKey{Scopes: []rbac.Permission{rbac.Read}})
	}
	_, err := f.keys.Create(context.Background(), f.owner,
		auth.NewAPIKey{Name: "one more", Scopes: []rbac.Permission{rbac.Read}})
	if !errors.Is(err, auth.ErrTooManyAPIKeys) {
		t.Fatalf("Create = %v, want ErrTooManyAPIKeys", err)
	}
}

func TestParseAllowedCIDRs(t *testing.T) {
	tests := []struct {
		name    string
		input   []string
		want    []string
		wantErr bool
	}{
		{name: "none", input: nil, want: nil},
		{name: "ipv4 host", input: []string{"203.0.113.7"}, want: []string{"203.0.113.7/32"}},
		{name: "ipv6 host", input: []string{"2001:db8::1"}, want: []string{"2001:db8::1/128"}},
		{name: "mapped ipv4 host", input: []string{"::ffff:203.0.113.7"},
			want: []string{"203.0.113.7/32"}},
		{name: "networks", input: []string{"10.0.0.0/8", "2001:db8::/32"},
			want: []string{"10.0.0.0/8", "2001:db8::/32"}},
		{name: "host bits set", input: []string{"10.1.2.3/8"}, wantErr: true},
		{name: "zone", input: []string{"fe80::1%eth0"}, wantErr: true},
		{name: "mapped prefix", input: []string{"::ffff:10.0.0.0/104"}, wantErr: true},
		{name: "hostname", input: []string{"example.com"}, wantErr: true},
		{name: "empty", input: []string{""}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.ParseAllowedCIDRs(tt.input)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseAllowedCIDRs = %v, %v; want %v, error %v",
					got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// signedHMAC builds a request signed with the raw key secret at ts.
func signedHMAC(secret []byte, method, path string, body []byte, ts time.Time) auth.SignedRequest {
	canonical := apikey.Canonical(method, path, ts.UnixMilli(), body)
	return auth.SignedRequest{Method: method, PathQuery: path, Body: body,
		Timestamp: strconv.FormatInt(ts.UnixMilli(), 10), Signature: apikey.SignHMAC(secret, canonical),
		ClientIP: netip.MustParseAddr("127.0.0.1")}
}
