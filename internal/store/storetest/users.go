package storetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

func testUsers(t *testing.T, newStore NewStoreFunc) {
	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "Alice", "trader")
		if u.ID == 0 || u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) {
			t.Fatalf("create did not set ID and times: %+v", u)
		}

		got, err := s.GetUser(t.Context(), u.ID)
		must(t, "get user", err)
		if !reflect.DeepEqual(got, u) {
			t.Fatalf("get user = %+v, want %+v", got, u)
		}

		for _, name := range []string{"Alice", "alice", "ALICE"} {
			got, err := s.GetUserByUsername(t.Context(), name)
			must(t, "get user by username "+name, err)
			if got.ID != u.ID || got.Username != "Alice" {
				t.Fatalf("get user by username %q = %+v", name, got)
			}
		}

		_, err = s.GetUser(t.Context(), u.ID+100)
		wantErr(t, "get unknown user", err, store.ErrNotFound)
		_, err = s.GetUserByUsername(t.Context(), "bob")
		wantErr(t, "get unknown username", err, store.ErrNotFound)
	})

	t.Run("UsernameUniqueIgnoringCase", func(t *testing.T) {
		s := newStore(t)
		createUser(t, s, "alice", "trader")
		tests := []struct {
			name     string
			username string
			wantErr  error
		}{
			{"same", "alice", store.ErrConflict},
			{"upper", "ALICE", store.ErrConflict},
			{"mixed", "aLiCe", store.ErrConflict},
			{"different", "alice2", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := store.User{Username: tt.username, Role: "trader", PasswordHash: "h"}
				wantErr(t, "create user", s.CreateUser(t.Context(), &u), tt.wantErr)
			})
		}
	})

	t.Run("Update", testUpdateUser(newStore))

	t.Run("ListOldestFirst", func(t *testing.T) {
		s := newStore(t)
		var all []int64
		for _, name := range []string{"u1", "u2", "u3", "u4", "u5"} {
			all = append(all, createUser(t, s, name, "viewer").ID)
		}
		tests := []struct {
			name string
			page store.Page
			want []int64
		}{
			{"all", store.Page{}, all},
			{"first two", store.Page{Limit: 2}, all[:2]},
			{"after second", store.Page{After: all[1], Limit: 2}, all[2:4]},
			{"after last", store.Page{After: all[4]}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListUsers(t.Context(), tt.page)
				must(t, "list users", err)
				sameIDs(t, "list users", ids(got, userID), tt.want)
			})
		}
	})

	t.Run("CountActiveAdmins", func(t *testing.T) {
		s := newStore(t)
		createUser(t, s, "root", "admin")
		locked := createUser(t, s, "locked", "admin")
		createUser(t, s, "trader", "trader")
		createUser(t, s, "second", "admin")
		_, err := s.UpdateUser(t.Context(), locked.ID, store.UserUpdate{Locked: ptr(true)})
		must(t, "lock admin", err)

		n, err := s.CountActiveAdmins(t.Context())
		must(t, "count active admins", err)
		if n != 2 {
			t.Fatalf("active admins = %d, want 2", n)
		}
	})
}

func testUpdateUser(newStore NewStoreFunc) func(t *testing.T) {
	return func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "carol", "viewer")
		until := at(time.Hour)
		tests := []struct {
			name   string
			update store.UserUpdate
			check  func(u store.User) bool
		}{
			{"role", store.UserUpdate{Role: ptr("trader")},
				func(u store.User) bool { return u.Role == "trader" }},
			{"email", store.UserUpdate{Email: ptr("new@example.test")},
				func(u store.User) bool { return u.Email == "new@example.test" }},
			{"password", store.UserUpdate{PasswordHash: ptr("h2")},
				func(u store.User) bool { return u.PasswordHash == "h2" }},
			{"lock", store.UserUpdate{Locked: ptr(true)},
				func(u store.User) bool { return u.Locked }},
			{"lockout", store.UserUpdate{LockedUntil: &until, LockoutCount: ptr(3)},
				func(u store.User) bool { return u.LockedUntil.Equal(until) && u.LockoutCount == 3 }},
			{"clear lockout", store.UserUpdate{LockedUntil: ptr(time.Time{})},
				func(u store.User) bool { return u.LockedUntil.IsZero() && u.LockoutCount == 3 }},
			{"totp", store.UserUpdate{TOTPSecret: ptr([]byte{1, 2, 3}), TOTPConfirmed: ptr(true)},
				func(u store.User) bool { return string(u.TOTPSecret) == "\x01\x02\x03" && u.TOTPConfirmed }},
			{"clear totp", store.UserUpdate{TOTPSecret: ptr([]byte(nil)), TOTPConfirmed: ptr(false)},
				func(u store.User) bool { return u.TOTPSecret == nil && !u.TOTPConfirmed }},
			{"nothing", store.UserUpdate{},
				func(u store.User) bool { return u.Role == "trader" && u.Email == "new@example.test" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.UpdateUser(t.Context(), u.ID, tt.update)
				must(t, "update user", err)
				stored, err := s.GetUser(t.Context(), u.ID)
				must(t, "get user", err)
				if !reflect.DeepEqual(got, stored) {
					t.Fatalf("update returned %+v, stored %+v", got, stored)
				}
				if !tt.check(stored) {
					t.Fatalf("update not applied: %+v", stored)
				}
				if stored.Username != "carol" || stored.CreatedAt != u.CreatedAt {
					t.Fatalf("update changed other fields: %+v", stored)
				}
			})
		}

		_, err := s.UpdateUser(t.Context(), u.ID+100, store.UserUpdate{Role: ptr("admin")})
		wantErr(t, "update unknown user", err, store.ErrNotFound)
	}
}

func testTOTP(t *testing.T, newStore NewStoreFunc) {
	t.Run("StepsOnlyMoveForward", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "dave", "trader")
		tests := []struct {
			step int64
			want bool
		}{
			{100, true}, {100, false}, {99, false}, {101, true}, {50, false}, {200, true},
		}
		for _, tt := range tests {
			ok, err := s.AdvanceTOTPStep(t.Context(), u.ID, tt.step)
			must(t, "advance totp step", err)
			if ok != tt.want {
				t.Fatalf("advance to %d = %v, want %v", tt.step, ok, tt.want)
			}
		}
		got, err := s.GetUser(t.Context(), u.ID)
		must(t, "get user", err)
		if got.TOTPLastStep != 200 {
			t.Fatalf("last step = %d, want 200", got.TOTPLastStep)
		}

		_, err = s.AdvanceTOTPStep(t.Context(), u.ID+100, 1)
		wantErr(t, "advance unknown user", err, store.ErrNotFound)
	})

	t.Run("ExactlyOneWinnerUnderConcurrency", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "erin", "trader")
		wins := race(t, 20, func() (bool, error) {
			return s.AdvanceTOTPStep(t.Context(), u.ID, 12345)
		})
		if wins != 1 {
			t.Fatalf("%d goroutines accepted the same step, want exactly 1", wins)
		}
	})
}

func testRecoveryCodes(t *testing.T, newStore NewStoreFunc) {
	t.Run("SingleUse", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "frank", "trader")
		other := createUser(t, s, "grace", "trader")
		must(t, "replace codes", s.ReplaceRecoveryCodes(t.Context(), u.ID, []string{"h1", "h2"}))

		steps := []struct {
			name string
			user int64
			hash string
			want bool
		}{
			{"first use", u.ID, "h1", true},
			{"second use", u.ID, "h1", false},
			{"unknown code", u.ID, "h9", false},
			{"other user", other.ID, "h2", false},
			{"other code", u.ID, "h2", true},
		}
		for _, st := range steps {
			ok, err := s.UseRecoveryCode(t.Context(), st.user, st.hash)
			must(t, "use recovery code", err)
			if ok != st.want {
				t.Fatalf("%s: used = %v, want %v", st.name, ok, st.want)
			}
		}
	})

	t.Run("ReplaceDropsOldCodes", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "heidi", "trader")
		must(t, "replace codes", s.ReplaceRecoveryCodes(t.Context(), u.ID, []string{"old"}))
		must(t, "replace codes", s.ReplaceRecoveryCodes(t.Context(), u.ID, []string{"new"}))

		if ok, err := s.UseRecoveryCode(t.Context(), u.ID, "old"); err != nil || ok {
			t.Fatalf("old code after replace: used = %v, err = %v", ok, err)
		}
		if ok, err := s.UseRecoveryCode(t.Context(), u.ID, "new"); err != nil || !ok {
			t.Fatalf("new code: used = %v, err = %v", ok, err)
		}
	})

	t.Run("ExactlyOneWinnerUnderConcurrency", func(t *testing.T) {
		s := newStore(t)
		u := createUser(t, s, "ivan", "trader")
		must(t, "replace codes", s.ReplaceRecoveryCodes(t.Context(), u.ID, []string{"c1"}))
		wins := race(t, 10, func() (bool, error) {
			return s.UseRecoveryCode(t.Context(), u.ID, "c1")
		})
		if wins != 1 {
			t.Fatalf("%d goroutines used the same code, want exactly 1", wins)
		}
	})
}

// race runs try from n goroutines released at once and counts the successes.
func race(t *testing.T, n int, try func() (bool, error)) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  int
		errs  []error
		start = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-start
			ok, err := try()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				wins++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d attempts failed, first: %v", len(errs), n, errs[0])
	}
	return wins
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
