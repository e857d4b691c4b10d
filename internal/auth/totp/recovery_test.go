package totp_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"regexp"
	"testing"
	"testing/iotest"

	"github.com/octopus-venue/octopus/internal/auth/totp"
)

// codeShape is xxxx-xxxx-xxxx in Crockford's alphabet (no i, l, o, u).
var codeShape = regexp.MustCompile(`^(?:[0-9a-hjkmnp-tv-z]{4}-){2}[0-9a-hjkmnp-tv-z]{4}$`)

func TestGenerateRecoveryCodes(t *testing.T) {
	codes, err := totp.GenerateRecoveryCodes(rand.Reader, totp.DefaultRecoveryCodes)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("got %d codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !codeShape.MatchString(c) {
			t.Errorf("code %q not xxxx-xxxx-xxxx in Crockford base32", c)
		}
		if seen[c] {
			t.Errorf("duplicate code %q", c)
		}
		seen[c] = true
	}
}

// TestGenerateRecoveryCodesUsesSixtyBits feeds known bytes: all-zero and
// all-one 64-bit words give the lowest and highest codes, and the top four
// bits of each word are unused, so 60 bits reach the code.
func TestGenerateRecoveryCodesUsesSixtyBits(t *testing.T) {
	in := append(make([]byte, 8), bytes.Repeat([]byte{0xff}, 8)...)
	in = append(in, 0xf0, 0, 0, 0, 0, 0, 0, 0) // only unused bits set
	in = append(in, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)

	codes, err := totp.GenerateRecoveryCodes(bytes.NewReader(in), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0000-0000-0000", "zzzz-zzzz-zzzz", "0000-0000-0000", "zzzz-zzzz-zzzz"}
	for i := range want {
		if codes[i] != want[i] {
			t.Errorf("code %d = %s, want %s", i, codes[i], want[i])
		}
	}
}

func TestGenerateRecoveryCodesErrors(t *testing.T) {
	tests := []struct {
		name string
		n    int
		rand []byte
	}{
		{name: "zero codes", n: 0, rand: make([]byte, 80)},
		{name: "negative", n: -1, rand: make([]byte, 80)},
		{name: "too many", n: 101, rand: make([]byte, 8080)},
		{name: "short randomness", n: 10, rand: make([]byte, 79)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := totp.GenerateRecoveryCodes(bytes.NewReader(tt.rand), tt.n); err == nil {
				t.Fatal("no error")
			}
		})
	}
	_, err := totp.GenerateRecoveryCodes(iotest.ErrReader(errors.New("x")), 10)
	if err == nil {
		t.Fatal("no error from a failing reader")
	}
}

func TestNormalizeRecoveryCode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "canonical", in: "ab12-cd34-ef56", want: "ab12cd34ef56"},
		{name: "upper case", in: "AB12-CD34-EF56", want: "ab12cd34ef56"},
		{name: "no dashes", in: "ab12cd34ef56", want: "ab12cd34ef56"},
		{name: "spaces", in: " ab12 cd34 ef56 ", want: "ab12cd34ef56"},
		{name: "i l o read as digits", in: "IL0O-0000-0000", want: "110000000000"},
		{name: "too short", in: "ab12-cd34-ef5", wantErr: true},
		{name: "too long", in: "ab12-cd34-ef567", wantErr: true},
		{name: "u is not in the alphabet", in: "ab12-cd34-ef5u", wantErr: true},
		{name: "punctuation", in: "ab12_cd34_ef56", wantErr: true},
		{name: "non-ascii", in: "ab12-cd34-ef5é", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := totp.NormalizeRecoveryCode(tt.in)
			if tt.wantErr {
				if !errors.Is(err, totp.ErrMalformed) {
					t.Fatalf("Normalize = %q, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestHashRecoveryCode(t *testing.T) {
	// sha256("ab12cd34ef56"), computed with sha256sum.
	const want = "d8de14bc62a592ef3d909da07d86d1833561228ccaa1b8e48fdf29c7ca88d5f2"
	for _, v := range []string{"ab12-cd34-ef56", "AB12CD34EF56", "ab12 cd34 ef56"} {
		if got := totp.HashRecoveryCode(v); got != want {
			t.Errorf("HashRecoveryCode(%q) = %s, want %s", v, got, want)
		}
	}
	if totp.HashRecoveryCode("ab12-cd34-ef57") == want {
		t.Fatal("different codes hash alike")
	}
}

func TestMatchRecoveryCode(t *testing.T) {
	codes, err := totp.GenerateRecoveryCodes(rand.Reader, 10)
	if err != nil {
		t.Fatal(err)
	}
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = totp.HashRecoveryCode(c)
	}

	tests := []struct {
		name      string
		code      string
		wantIndex int
		wantOK    bool
	}{
		{name: "first", code: codes[0], wantIndex: 0, wantOK: true},
		{name: "last, retyped", code: upperNoDash(codes[9]), wantIndex: 9, wantOK: true},
		{name: "unknown", code: "0000-0000-0000", wantIndex: -1},
		{name: "malformed", code: "nope", wantIndex: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, ok := totp.MatchRecoveryCode(tt.code, hashes)
			if i != tt.wantIndex || ok != tt.wantOK {
				t.Fatalf("Match = %d, %v; want %d, %v", i, ok, tt.wantIndex, tt.wantOK)
			}
		})
	}
}

func upperNoDash(s string) string {
	return string(bytes.ToUpper(bytes.ReplaceAll([]byte(s), []byte("-"), nil)))
}
