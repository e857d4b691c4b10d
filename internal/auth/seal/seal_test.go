package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/octopus-venue/octopus/internal/auth/seal"
)

var testKey = bytes.Repeat([]byte{0x42}, 32)

func newSealer(t *testing.T, key []byte, purpose string) *seal.Sealer {
	t.Helper()
	s, err := seal.New(key, purpose)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		key     []byte
		purpose string
		wantErr error
	}{
		{name: "ok", key: testKey, purpose: "totp-seed"},
		{name: "long key", key: bytes.Repeat([]byte{1}, 64), purpose: "p"},
		{name: "short key", key: testKey[:31], purpose: "totp-seed", wantErr: seal.ErrKey},
		{name: "no key", key: nil, purpose: "totp-seed", wantErr: seal.ErrKey},
		{name: "empty purpose", key: testKey, purpose: "", wantErr: seal.ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := seal.New(tt.key, tt.purpose)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	s := newSealer(t, testKey, "totp-seed")

	tests := []struct {
		name      string
		plaintext []byte
		ad        []byte
	}{
		{name: "seed with user id", plaintext: []byte("JBSWY3DPEHPK3PXP"), ad: []byte("user:42")},
		{name: "empty plaintext", plaintext: []byte{}, ad: []byte("user:42")},
		{name: "no associated data", plaintext: []byte("secret"), ad: nil},
		{name: "binary and large", plaintext: bytes.Repeat([]byte{0, 0xff}, 1<<15), ad: []byte{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := s.Seal(tt.plaintext, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(tt.plaintext)+seal.Overhead || sealed[0] != seal.Version {
				t.Fatalf("sealed len %d, version %d", len(sealed), sealed[0])
			}
			if len(tt.plaintext) > 4 && bytes.Contains(sealed, tt.plaintext) {
				t.Fatal("plaintext visible in sealed value")
			}

			got, err := s.Open(sealed, tt.ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %x, want %x", got, tt.plaintext)
			}
		})
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	s := newSealer(t, testKey, "totp-seed")
	a, _ := s.Seal([]byte("same"), nil)
	b, _ := s.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one plaintext are equal")
	}
}

func TestOpenRejects(t *testing.T) {
	s := newSealer(t, testKey, "totp-seed")
	ad := []byte("user:42")
	sealed, err := s.Seal([]byte("JBSWY3DPEHPK3PXP"), ad)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := bytes.Repeat([]byte{0x43}, 32)

	tests := []struct {
		name   string
		opener *seal.Sealer
		sealed []byte
		ad     []byte
	}{
		{name: "wrong key", opener: newSealer(t, otherKey, "totp-seed"), sealed: sealed, ad: ad},
		{name: "wrong purpose", opener: newSealer(t, testKey, "webhook"), sealed: sealed, ad: ad},
		{name: "wrong associated data", opener: s, sealed: sealed, ad: []byte("user:43")},
		{name: "missing associated data", opener: s, sealed: sealed, ad: nil},
		{name: "unknown version", opener: s, sealed: withByte(sealed, 0, 2), ad: ad},
		{name: "truncated tag", opener: s, sealed: sealed[:len(sealed)-1], ad: ad},
		{name: "shorter than overhead", opener: s, sealed: sealed[:seal.Overhead-1], ad: ad},
		{name: "empty", opener: s, sealed: nil, ad: ad},
		{name: "extended", opener: s, sealed: append(bytes.Clone(sealed), 0), ad: ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opener.Open(tt.sealed, tt.ad)
			if !errors.Is(err, seal.ErrOpen) || got != nil {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

// TestOpenRejectsEveryBitFlip tampers with each bit of a sealed value in turn.
func TestOpenRejectsEveryBitFlip(t *testing.T) {
	s := newSealer(t, testKey, "totp-seed")
	sealed, err := s.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user:42"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for bit := range 8 {
			bad := withByte(sealed, i, sealed[i]^(1<<bit))
			if _, err := s.Open(bad, []byte("user:42")); !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("byte %d bit %d flipped: Open = %v, want ErrOpen", i, bit, err)
			}
		}
	}
}

func withByte(b []byte, i int, v byte) []byte {
	out := bytes.Clone(b)
	out[i] = v
	return out
}
