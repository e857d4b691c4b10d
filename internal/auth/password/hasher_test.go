package password_test

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/auth/password"
)

// testCost keeps the suite fast; AllowLowCost is what makes it legal.
const testCost = 4

func newTestHasher(t *testing.T, cost int) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(cost, password.AllowLowCost())
	if err != nil {
		t.Fatalf("NewHasher(%d): %v", cost, err)
	}
	return h
}

func TestNewHasherCost(t *testing.T) {
	tests := []struct {
		name     string
		cost     int
		allowLow bool
		want     int
		wantErr  error
	}{
		{name: "zero means default", cost: 0, want: password.DefaultCost},
		{name: "minimum accepted", cost: 10, want: 10},
		{name: "below minimum rejected", cost: 9, wantErr: password.ErrCost},
		{name: "test cost rejected without option", cost: 4, wantErr: password.ErrCost},
		{name: "test cost with option", cost: 4, allowLow: true, want: 4},
		{name: "below bcrypt minimum even with option", cost: 3, allowLow: true,
			wantErr: password.ErrCost},
		{name: "above bcrypt maximum", cost: 32, wantErr: password.ErrCost},
		{name: "negative", cost: -1, wantErr: password.ErrCost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []password.HasherOption
			if tt.allowLow {
				opts = append(opts, password.AllowLowCost())
			}
			h, err := password.NewHasher(tt.cost, opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && h.Cost() != tt.want {
				t.Fatalf("cost = %d, want %d", h.Cost(), tt.want)
			}
		})
	}
}

func TestHashCompare(t *testing.T) {
	h := newTestHasher(t, testCost)
	longest := strings.Repeat("x", password.MaxBytes)
	stored := map[string]string{}
	for _, pw := range []string{"correct horse", longest, "", "pässwörd €"} {
		hash, err := h.Hash(pw)
		if err != nil {
			t.Fatalf("Hash(%q): %v", pw, err)
		}
		stored[pw] = hash
	}

	tests := []struct {
		name    string
		hashOf  string
		pw      string
		wantErr error
	}{
		{name: "match", hashOf: "correct horse", pw: "correct horse"},
		{name: "wrong password", hashOf: "correct horse", pw: "correct horsE",
			wantErr: password.ErrMismatch},
		{name: "prefix of stored", hashOf: "correct horse", pw: "correct",
			wantErr: password.ErrMismatch},
		{name: "72 bytes match", hashOf: longest, pw: longest},
		{name: "73 bytes never match a 72-byte prefix", hashOf: longest, pw: longest + "y",
			wantErr: password.ErrMismatch},
		{name: "empty", hashOf: "", pw: ""},
		{name: "unicode", hashOf: "pässwörd €", pw: "pässwörd €"},
		{name: "unicode differs in one byte", hashOf: "pässwörd €", pw: "passwörd €",
			wantErr: password.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Compare(stored[tt.hashOf], tt.pw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Compare = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestHashRejectsLongPasswords(t *testing.T) {
	h := newTestHasher(t, testCost)
	_, err := h.Hash(strings.Repeat("x", password.MaxBytes+1))
	if !errors.Is(err, password.ErrTooLong) {
		t.Fatalf("Hash(73 bytes) = %v, want ErrTooLong", err)
	}
	// 25 three-byte runes: 25 characters but 75 bytes.
	_, err = h.Hash(strings.Repeat("€", 25))
	if !errors.Is(err, password.ErrTooLong) {
		t.Fatalf("Hash(75 bytes of runes) = %v, want ErrTooLong", err)
	}
}

func TestHashIsSalted(t *testing.T) {
	h := newTestHasher(t, testCost)
	a, _ := h.Hash("same password")
	b, _ := h.Hash("same password")
	if a == b {
		t.Fatal("two hashes of one password are equal; salt missing")
	}
	if !strings.HasPrefix(a, "$2a$04$") {
		t.Fatalf("hash %q is not bcrypt cost 4", a)
	}
}

func TestCompareMalformedHash(t *testing.T) {
	h := newTestHasher(t, testCost)
	for _, hash := range []string{"", "plain", "$2a$04$short", "$9z$04$" + strings.Repeat("a", 53)} {
		err := h.Compare(hash, "pw")
		if !errors.Is(err, password.ErrMalformedHash) {
			t.Errorf("Compare(%q) = %v, want ErrMalformedHash", hash, err)
		}
	}
}

func TestDummyCompare(t *testing.T) {
	h := newTestHasher(t, testCost)
	for _, pw := range []string{"", "anything", strings.Repeat("z", 100)} {
		if err := h.DummyCompare(pw); !errors.Is(err, password.ErrMismatch) {
			t.Errorf("DummyCompare(%q) = %v, want ErrMismatch", pw, err)
		}
	}
}

// TestDummyCompareTakesAsLong checks that DummyCompare does the work of a
// real comparison. Cost 8 makes one comparison take a few milliseconds, far
// above timer noise; medians absorb a busy machine.
func TestDummyCompareTakesAsLong(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	h := newTestHasher(t, 8)
	hash, err := h.Hash("real password")
	if err != nil {
		t.Fatal(err)
	}

	realDur := median(7, func() { _ = h.Compare(hash, "wrong password") })
	dummyDur := median(7, func() { _ = h.DummyCompare("wrong password") })

	ratio := float64(dummyDur) / float64(realDur)
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("dummy %v vs real %v (ratio %.2f); want about equal",
			dummyDur, realDur, ratio)
	}
}

func median(n int, f func()) time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		f()
		ds[i] = time.Since(start)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[n/2]
}

func TestNeedsRehash(t *testing.T) {
	h4 := newTestHasher(t, 4)
	h5 := newTestHasher(t, 5)
	hash4, err := h4.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		hasher *password.Hasher
		hash   string
		want   bool
	}{
		{name: "same cost", hasher: h4, hash: hash4, want: false},
		{name: "cost raised", hasher: h5, hash: hash4, want: true},
		{name: "unreadable hash", hasher: h4, hash: "not a hash", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hasher.NeedsRehash(tt.hash); got != tt.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	for _, cost := range []int{10, 12} {
		h, err := password.NewHasher(cost)
		if err != nil {
			b.Fatal(err)
		}
		hash, err := h.Hash("correct horse battery staple")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(costName(cost), func(b *testing.B) {
			for b.Loop() {
				_ = h.Compare(hash, "correct horse battery staple")
			}
		})
		b.Run(costName(cost)+"/dummy", func(b *testing.B) {
			for b.Loop() {
				_ = h.DummyCompare("correct horse battery staple")
			}
		})
	}
}

func costName(cost int) string {
	return "cost=" + strconv.Itoa(cost)
}
