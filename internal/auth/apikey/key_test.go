package apikey_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/octopus-venue/octopus/internal/auth/apikey"
)

// exampleKey is the key of the package comment's worked example.
const (
	exampleID     = "k7m2q5xw4tzp"
	exampleSecret = "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypq"
	exampleFull   = "oct_" + exampleID + "_" + exampleSecret
)

func TestGenerate(t *testing.T) {
	// 12 id bytes whose low five bits are 0..11, then the secret 0x00..0x1f.
	in := make([]byte, 0, 44)
	for i := range 12 {
		in = append(in, byte(i)|0xe0) // high bits are ignored
	}
	for i := range 32 {
		in = append(in, byte(i))
	}

	k, err := apikey.Generate(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != "abcdefghijkl" || k.Secret != exampleSecret {
		t.Fatalf("Generate = %+v", k)
	}
	if k.Full != "oct_abcdefghijkl_"+exampleSecret {
		t.Fatalf("Full = %q", k.Full)
	}
}

func TestGenerateParseRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k, err := apikey.Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, secret, err := apikey.Parse(k.Full)
		if err != nil {
			t.Fatalf("Parse(%q): %v", k.Full, err)
		}
		if id != k.ID || secret != k.Secret {
			t.Fatalf("Parse = %q, %q; want %q, %q", id, secret, k.ID, k.Secret)
		}
		if seen[k.ID] {
			t.Fatalf("duplicate id %q", k.ID)
		}
		seen[k.ID] = true
	}
}

func TestGenerateNeedsRandomness(t *testing.T) {
	if _, err := apikey.Generate(iotest.ErrReader(errors.New("x"))); err == nil {
		t.Fatal("no error from a failing reader")
	}
	if _, err := apikey.Generate(bytes.NewReader(make([]byte, 43))); err == nil {
		t.Fatal("no error on a short read")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantID     string
		wantSecret string
		wantErr    bool
	}{
		{name: "valid", in: exampleFull, wantID: exampleID, wantSecret: exampleSecret},
		{name: "secret last symbol a is canonical",
			in:     exampleFull[:len(exampleFull)-1] + "a",
			wantID: exampleID, wantSecret: exampleSecret[:51] + "a"},
		{name: "empty", in: "", wantErr: true},
		{name: "prefix only", in: "oct_", wantErr: true},
		{name: "upper-case prefix", in: "OCT_" + exampleFull[4:], wantErr: true},
		{name: "other prefix", in: "oce_" + exampleFull[4:], wantErr: true},
		{name: "upper-case id", in: "oct_K7M2Q5XW4TZP_" + exampleSecret, wantErr: true},
		{name: "digit outside alphabet in id", in: "oct_k7m2q9xw4tzp_" + exampleSecret, wantErr: true},
		{name: "dash separator", in: "oct_" + exampleID + "-" + exampleSecret, wantErr: true},
		{name: "id one short", in: "oct_k7m2q5xw4tz_" + exampleSecret + "a", wantErr: true},
		{name: "secret one short", in: exampleFull[:len(exampleFull)-1], wantErr: true},
		{name: "secret one long", in: exampleFull + "a", wantErr: true},
		{name: "spare bits set", in: exampleFull[:len(exampleFull)-1] + "b", wantErr: true},
		{name: "upper-case secret", in: "oct_" + exampleID + "_" + strings.ToUpper(exampleSecret),
			wantErr: true},
		{name: "padding", in: exampleFull[:len(exampleFull)-1] + "=", wantErr: true},
		{name: "trailing newline", in: exampleFull[:len(exampleFull)-1] + "\n", wantErr: true},
		{name: "leading space", in: " " + exampleFull[:len(exampleFull)-1], wantErr: true},
		{name: "digit 1 in secret", in: exampleFull[:20] + "1" + exampleFull[21:], wantErr: true},
		{name: "non-ascii", in: exampleFull[:len(exampleFull)-2] + "é", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, err := apikey.Parse(tt.in)
			if tt.wantErr {
				if !errors.Is(err, apikey.ErrMalformed) || id != "" || secret != "" {
					t.Fatalf("Parse = %q, %q, %v; want ErrMalformed", id, secret, err)
				}
				return
			}
			if err != nil || id != tt.wantID || secret != tt.wantSecret {
				t.Fatalf("Parse = %q, %q, %v; want %q, %q", id, secret, err,
					tt.wantID, tt.wantSecret)
			}
		})
	}
}

func TestDecodeSecret(t *testing.T) {
	raw, err := apikey.DecodeSecret(exampleSecret)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range raw {
		if int(b) != i {
			t.Fatalf("byte %d = %#x, want %#x", i, b, i)
		}
	}
	if len(raw) != apikey.SecretLen {
		t.Fatalf("len = %d", len(raw))
	}
}

func TestHasher(t *testing.T) {
	pepper := []byte("pepper-" + strings.Repeat("0", 25))
	h, err := apikey.NewHasher(pepper)
	if err != nil {
		t.Fatal(err)
	}
	// HMAC-SHA256(pepper, exampleSecret), computed with Python's hmac module.
	const want = "63594447538cb5f17617350174b7d8eacfc73fff2a1667c045cd8e0bbe61f776"
	if got := h.Hash(exampleSecret); got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
	pepper[0] = 'X' // NewHasher must have copied it
	if got := h.Hash(exampleSecret); got != want {
		t.Fatal("Hasher shares the caller's pepper slice")
	}

	other, _ := apikey.NewHasher(bytes.Repeat([]byte{1}, 32))
	tests := []struct {
		name   string
		hasher *apikey.Hasher
		stored string
		secret string
		want   bool
	}{
		{name: "match", hasher: h, stored: want, secret: exampleSecret, want: true},
		{name: "other secret", hasher: h, stored: want, secret: exampleSecret[:51] + "a"},
		{name: "other pepper", hasher: other, stored: want, secret: exampleSecret},
		{name: "upper-case stored hash", hasher: h, stored: strings.ToUpper(want),
			secret: exampleSecret},
		{name: "truncated stored hash", hasher: h, stored: want[:63], secret: exampleSecret},
		{name: "empty stored hash", hasher: h, stored: "", secret: exampleSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hasher.Verify(tt.stored, tt.secret); got != tt.want {
				t.Fatalf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewHasherShortPepper(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := apikey.NewHasher(make([]byte, n)); !errors.Is(err, apikey.ErrPepper) {
			t.Errorf("pepper of %d bytes: %v, want ErrPepper", n, err)
		}
	}
}
