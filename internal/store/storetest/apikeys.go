package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

func testAPIKeys(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	alice := createUser(t, s, "alice", "trader")
	bob := createUser(t, s, "bob", "trader")
	full := store.APIKey{
		ID: "ak_full", UserID: alice.ID, Name: "bot", SecretHash: "sh1",
		SigningSecret: []byte("sealed"), PublicKey: []byte{0xed, 0x25},
		Scopes: []string{"orders:write", "balances:read"}, AllowedCIDRs: []string{"10.0.0.0/8", "::1/128"},
		RequireSigned: true, ExpiresAt: at(24 * time.Hour), CreatedAt: base,
	}
	bare := store.APIKey{ID: "ak_bare", UserID: alice.ID, Name: "reader", SecretHash: "sh2",
		CreatedAt: at(time.Second)}
	bobs := store.APIKey{ID: "ak_bob", UserID: bob.ID, Name: "x", SecretHash: "sh3"}
	for _, k := range []*store.APIKey{&full, &bare, &bobs} {
		must(t, "create key", s.CreateAPIKey(t.Context(), k))
	}
	if bobs.CreatedAt.IsZero() {
		t.Fatal("create did not set CreatedAt")
	}
	dup := store.APIKey{ID: "ak_full", UserID: bob.ID, Name: "dup", SecretHash: "s"}
	wantErr(t, "create duplicate id", s.CreateAPIKey(t.Context(), &dup), store.ErrConflict)

	for _, want := range []store.APIKey{full, bare} {
		got, err := s.GetAPIKey(t.Context(), want.ID)
		must(t, "get key", err)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("get key = %+v, want %+v", got, want)
		}
	}
	_, err := s.GetAPIKey(t.Context(), "ak_none")
	wantErr(t, "get unknown key", err, store.ErrNotFound)

	list, err := s.ListAPIKeys(t.Context(), alice.ID)
	must(t, "list keys", err)
	if len(list) != 2 || list[0].ID != "ak_full" || list[1].ID != "ak_bare" {
		t.Fatalf("alice's keys = %+v", list)
	}

	must(t, "touch key", s.TouchAPIKey(t.Context(), "ak_bare", at(time.Hour)))
	wantErr(t, "touch unknown key", s.TouchAPIKey(t.Context(), "ak_none", base), store.ErrNotFound)
	got, err := s.GetAPIKey(t.Context(), "ak_bare")
	must(t, "get key", err)
	if !got.LastUsedAt.Equal(at(time.Hour)) {
		t.Fatalf("last used = %v, want %v", got.LastUsedAt, at(time.Hour))
	}

	tests := []struct {
		name    string
		user    int64
		id      string
		wantErr error
	}{
		{"another user's key", bob.ID, "ak_full", store.ErrNotFound},
		{"unknown key", alice.ID, "ak_none", store.ErrNotFound},
		{"own key", alice.ID, "ak_full", nil},
		{"already deleted", alice.ID, "ak_full", store.ErrNotFound},
	}
	for _, tt := range tests {
		wantErr(t, tt.name, s.DeleteAPIKey(t.Context(), tt.user, tt.id), tt.wantErr)
	}
	_, err = s.GetAPIKey(t.Context(), "ak_bob")
	must(t, "bob's key survives", err)
	_, err = s.GetAPIKey(t.Context(), "ak_full")
	wantErr(t, "get deleted key", err, store.ErrNotFound)
}
