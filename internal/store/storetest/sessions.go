package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// refreshToken returns an unused token of a family expiring an hour after base.
func refreshToken(hash string, userID int64, family string) store.RefreshToken {
	return store.RefreshToken{Hash: hash, UserID: userID, FamilyID: family,
		ExpiresAt: at(time.Hour), CreatedAt: base}
}

func testRefreshTokens(t *testing.T, newStore NewStoreFunc) {
	t.Run("UseOnce", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "alice", "trader")
		tok := refreshToken("h1", u.ID, "f1")
		must(t, "create token", s.CreateRefreshToken(t.Context(), tok))

		now := at(time.Minute)
		got, err := s.UseRefreshToken(t.Context(), "h1", now)
		must(t, "use token", err)
		want := tok
		want.UsedAt = now
		if got != want {
			t.Fatalf("used token = %+v, want %+v", got, want)
		}

		got, err = s.UseRefreshToken(t.Context(), "h1", at(2*time.Minute))
		wantErr(t, "reuse token", err, store.ErrTokenReused)
		if got.FamilyID != "f1" || got.UserID != u.ID {
			t.Fatalf("reused token not returned for family revocation: %+v", got)
		}
	})

	t.Run("Outcomes", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "bob", "trader")
		for _, tok := range []store.RefreshToken{
			refreshToken("fresh", u.ID, "f1"),
			refreshToken("expired", u.ID, "f2"),
			refreshToken("revoked", u.ID, "f3"),
		} {
			must(t, "create token", s.CreateRefreshToken(t.Context(), tok))
		}
		must(t, "revoke family", s.RevokeFamily(t.Context(), "f3", at(time.Minute)))

		tests := []struct {
			name    string
			hash    string
			now     time.Time
			wantErr error
		}{
			{"unknown", "nope", at(time.Minute), store.ErrNotFound},
			{"expired", "expired", at(2 * time.Hour), store.ErrNotFound},
			{"at expiry", "expired", at(time.Hour), store.ErrNotFound},
			{"revoked", "revoked", at(2 * time.Minute), store.ErrTokenReused},
			{"usable", "fresh", at(time.Minute), nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.UseRefreshToken(t.Context(), tt.hash, tt.now)
				wantErr(t, "use token", err, tt.wantErr)
			})
		}
	})

	t.Run("OneWinnerUnderConcurrency", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "carol", "trader")
		must(t, "create token", s.CreateRefreshToken(t.Context(), refreshToken("h", u.ID, "f")))

		var (
			wg           sync.WaitGroup
			mu           sync.Mutex
			used, reused int
			start        = make(chan struct{})
		)
		for range 10 {
			wg.Go(func() {
				<-start
				_, err := s.UseRefreshToken(t.Context(), "h", at(time.Minute))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					used++
				case errors.Is(err, store.ErrTokenReused):
					reused++
				default:
					t.Errorf("use token: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if used != 1 || reused != 9 {
			t.Fatalf("used %d, reused %d; want 1 and 9", used, reused)
		}
	})

	t.Run("RevokeFamily", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "dave", "trader")
		for _, tok := range []store.RefreshToken{
			refreshToken("a1", u.ID, "a"), refreshToken("a2", u.ID, "a"),
			refreshToken("b1", u.ID, "b"),
		} {
			must(t, "create token", s.CreateRefreshToken(t.Context(), tok))
		}
		must(t, "revoke family", s.RevokeFamily(t.Context(), "a", at(time.Minute)))

		_, err := s.UseRefreshToken(t.Context(), "a2", at(2*time.Minute))
		wantErr(t, "use revoked family token", err, store.ErrTokenReused)
		_, err = s.UseRefreshToken(t.Context(), "b1", at(2*time.Minute))
		must(t, "use other family token", err)
		must(t, "revoke unknown family", s.RevokeFamily(t.Context(), "zzz", at(time.Minute)))
	})

	t.Run("RevokeUserSessions", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "erin", "trader")
		other := createUser(t, s, "frank", "trader")
		must(t, "create token", s.CreateRefreshToken(t.Context(), refreshToken("u1", u.ID, "f1")))
		must(t, "create token", s.CreateRefreshToken(t.Context(), refreshToken("u2", u.ID, "f2")))
		must(t, "create token", s.CreateRefreshToken(t.Context(), refreshToken("o1", other.ID, "f3")))

		never, err := s.SessionsRevokedAt(t.Context(), u.ID)
		must(t, "sessions revoked at", err)
		if !never.IsZero() {
			t.Fatalf("sessions revoked at = %v before any revocation, want zero", never)
		}

		revokedAt := at(10 * time.Minute)
		must(t, "revoke sessions", s.RevokeUserSessions(t.Context(), u.ID, revokedAt))
		for _, h := range []string{"u1", "u2"} {
			_, err := s.UseRefreshToken(t.Context(), h, at(11*time.Minute))
			wantErr(t, "use revoked token "+h, err, store.ErrTokenReused)
		}
		_, err = s.UseRefreshToken(t.Context(), "o1", at(11*time.Minute))
		must(t, "use other user's token", err)

		got, err := s.SessionsRevokedAt(t.Context(), u.ID)
		must(t, "sessions revoked at", err)
		if !got.Equal(revokedAt) {
			t.Fatalf("sessions revoked at = %v, want %v", got, revokedAt)
		}
		got, err = s.SessionsRevokedAt(t.Context(), other.ID)
		must(t, "sessions revoked at", err)
		if !got.IsZero() {
			t.Fatalf("other user's sessions revoked at = %v, want zero", got)
		}

		later := at(20 * time.Minute)
		must(t, "revoke sessions again", s.RevokeUserSessions(t.Context(), u.ID, later))
		got, err = s.SessionsRevokedAt(t.Context(), u.ID)
		must(t, "sessions revoked at", err)
		if !got.Equal(later) {
			t.Fatalf("sessions revoked at = %v after second revocation, want %v", got, later)
		}
	})

	t.Run("PruneExpired", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "gina", "trader")
		short := refreshToken("short", u.ID, "f")
		short.ExpiresAt = at(time.Minute)
		must(t, "create token", s.CreateRefreshToken(t.Context(), short))
		must(t, "create token", s.CreateRefreshToken(t.Context(), refreshToken("long", u.ID, "f")))

		must(t, "prune", s.PruneExpired(t.Context(), at(30*time.Minute)))
		_, err := s.UseRefreshToken(t.Context(), "short", at(time.Second))
		wantErr(t, "use pruned token", err, store.ErrNotFound)
		_, err = s.UseRefreshToken(t.Context(), "long", at(time.Second))
		must(t, "use kept token", err)
	})
}

func testDeniedTokens(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	must(t, "deny", s.DenyAccessToken(t.Context(), "j1", at(time.Minute)))
	must(t, "deny", s.DenyAccessToken(t.Context(), "j2", at(time.Hour)))
	must(t, "deny twice", s.DenyAccessToken(t.Context(), "j1", at(time.Minute)))

	check := func(when string, want map[string]bool) {
		t.Helper()
		for jti, denied := range want {
			got, err := s.IsAccessTokenDenied(t.Context(), jti)
			must(t, "is denied", err)
			if got != denied {
				t.Fatalf("%s: %s denied = %v, want %v", when, jti, got, denied)
			}
		}
	}
	check("before prune", map[string]bool{"j1": true, "j2": true, "j3": false})
	must(t, "prune", s.PruneExpired(t.Context(), at(30*time.Minute)))
	check("after prune", map[string]bool{"j1": false, "j2": true, "j3": false})
}

func testSigningKeys(t *testing.T, newStore NewStoreFunc) {
	s := newStore(t)
	keys := []store.SigningKey{
		{KID: "k2", Secret: []byte("second"), CreatedAt: at(time.Hour),
			NotAfter: at(2 * time.Hour), VerifyLast: at(3 * time.Hour)},
		{KID: "k1", Secret: []byte("first"), CreatedAt: base,
			NotAfter: at(time.Hour), VerifyLast: at(90 * time.Minute)},
	}
	for _, k := range keys {
		must(t, "insert key", s.InsertSigningKey(t.Context(), k))
	}
	wantErr(t, "insert duplicate kid", s.InsertSigningKey(t.Context(), keys[0]), store.ErrConflict)

	got, err := s.ListSigningKeys(t.Context())
	must(t, "list keys", err)
	if len(got) != 2 || got[0].KID != "k1" || got[1].KID != "k2" {
		t.Fatalf("keys = %+v, want k1 then k2", got)
	}
	if string(got[0].Secret) != "first" || !got[0].VerifyLast.Equal(keys[1].VerifyLast) ||
		!got[0].RevokedAt.IsZero() {
		t.Fatalf("key k1 = %+v, want %+v", got[0], keys[1])
	}

	must(t, "revoke key", s.RevokeSigningKey(t.Context(), "k2", at(time.Minute)))
	wantErr(t, "revoke unknown key", s.RevokeSigningKey(t.Context(), "k9", base), store.ErrNotFound)
	got, err = s.ListSigningKeys(t.Context())
	must(t, "list keys", err)
	if !got[1].RevokedAt.Equal(at(time.Minute)) {
		t.Fatalf("k2 revoked at = %v, want %v", got[1].RevokedAt, at(time.Minute))
	}

	must(t, "prune", s.PruneExpired(t.Context(), at(2*time.Hour)))
	got, err = s.ListSigningKeys(t.Context())
	must(t, "list keys", err)
	if len(got) != 1 || got[0].KID != "k2" {
		t.Fatalf("keys after prune = %+v, want only k2", got)
	}
}
