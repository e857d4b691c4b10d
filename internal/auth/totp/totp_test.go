package totp_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"net/url"
	"testing"
	"testing/iotest"
	"time"

	"github.com/pquerna/otp"
	ptotp "github.com/pquerna/otp/totp"

	"github.com/octopus-venue/octopus/internal/auth/totp"
)

// rfcSecret is "12345678901234567890" in base32, the RFC 6238 SHA-1 key.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func unix(sec int64) time.Time { return time.Unix(sec, 0) }

// TestValidate uses the RFC 6238 Appendix B SHA-1 codes cut to six digits
// (the last six digits of the eight-digit value, as mod 10^6 gives).
func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		secret   string
		code     string
		now      time.Time
		wantStep int64
		wantOK   bool
	}{
		{name: "rfc T=59", secret: rfcSecret, code: "287082", now: unix(59),
			wantStep: 1, wantOK: true},
		{name: "rfc T=1111111109", secret: rfcSecret, code: "081804",
			now: unix(1111111109), wantStep: 37037036, wantOK: true},
		{name: "rfc T=1111111111", secret: rfcSecret, code: "050471",
			now: unix(1111111111), wantStep: 37037037, wantOK: true},
		{name: "rfc T=1234567890", secret: rfcSecret, code: "005924",
			now: unix(1234567890), wantStep: 41152263, wantOK: true},
		{name: "rfc T=2000000000", secret: rfcSecret, code: "279037",
			now: unix(2000000000), wantStep: 66666666, wantOK: true},
		{name: "rfc T=20000000000", secret: rfcSecret, code: "353130",
			now: unix(20000000000), wantStep: 666666666, wantOK: true},
		{name: "padded secret accepted", secret: rfcSecret + "====", code: "287082",
			now: unix(59), wantStep: 1, wantOK: true},

		{name: "one step late", secret: rfcSecret, code: "081804",
			now: unix(1111111109 + 30), wantStep: 37037036, wantOK: true},
		{name: "one step early", secret: rfcSecret, code: "081804",
			now: unix(1111111109 - 30), wantStep: 37037036, wantOK: true},
		{name: "two steps late", secret: rfcSecret, code: "081804",
			now: unix(1111111109 + 60)},
		{name: "two steps early", secret: rfcSecret, code: "081804",
			now: unix(1111111109 - 60)},

		{name: "wrong code", secret: rfcSecret, code: "287083", now: unix(59)},
		{name: "eight digits", secret: rfcSecret, code: "94287082", now: unix(59)},
		{name: "five digits", secret: rfcSecret, code: "87082", now: unix(59)},
		{name: "letter", secret: rfcSecret, code: "28708a", now: unix(59)},
		{name: "space", secret: rfcSecret, code: "287 082", now: unix(59)},
		{name: "leading space", secret: rfcSecret, code: " 287082", now: unix(59)},
		{name: "full-width digits", secret: rfcSecret, code: "２８７０８２", now: unix(59)},
		{name: "empty code", secret: rfcSecret, code: "", now: unix(59)},
		{name: "secret not base32", secret: "not base32!", code: "287082", now: unix(59)},
		{name: "secret lower case", secret: "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
			code: "287082", now: unix(59)},
		{name: "secret too short", secret: "GEZDGNBVGY3TQOJQ", code: "287082",
			now: unix(59)},
		{name: "empty secret", secret: "", code: "287082", now: unix(59)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := totp.Validate(tt.secret, tt.code, tt.now)
			if ok != tt.wantOK || step != tt.wantStep {
				t.Fatalf("Validate = %d, %v; want %d, %v", step, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

func TestValidateAfterRefusesReplay(t *testing.T) {
	now := unix(1111111109)
	const code = "081804" // step 37037036

	tests := []struct {
		name     string
		now      time.Time
		lastStep int64
		wantOK   bool
	}{
		{name: "first use", now: now, lastStep: -1, wantOK: true},
		{name: "after an older code", now: now, lastStep: 37037035, wantOK: true},
		{name: "same code again", now: now, lastStep: 37037036},
		{name: "same code a step later", now: now.Add(30 * time.Second), lastStep: 37037036},
		{name: "after a newer code", now: now, lastStep: 37037037},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := totp.ValidateAfter(rfcSecret, code, tt.now, tt.lastStep)
			if ok != tt.wantOK || (ok && step != 37037036) {
				t.Fatalf("ValidateAfter = %d, %v; want ok %v", step, ok, tt.wantOK)
			}
		})
	}
}

func TestStep(t *testing.T) {
	tests := []struct {
		unix int64
		want int64
	}{
		{0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2}, {-1, -1}, {-30, -1}, {-31, -2},
	}
	for _, tt := range tests {
		if got := totp.Step(unix(tt.unix)); got != tt.want {
			t.Errorf("Step(%d) = %d, want %d", tt.unix, got, tt.want)
		}
	}
}

// TestCodeMatchesIndependentImplementation compares Code with pquerna/otp
// over many secrets and times.
func TestCodeMatchesIndependentImplementation(t *testing.T) {
	seed := bytes.Repeat([]byte{7, 1, 9, 3}, 1000)
	r := bytes.NewReader(seed)
	opts := ptotp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

	for i := range 50 {
		secret, err := totp.GenerateSecret(r)
		if err != nil {
			t.Fatal(err)
		}
		at := unix(1_700_000_000 + int64(i)*7919)

		got, err := totp.Code(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ptotp.GenerateCodeCustom(secret, at, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("secret %s at %v: Code = %s, pquerna = %s", secret, at, got, want)
		}
		if _, ok := totp.Validate(secret, got, at); !ok {
			t.Fatalf("Validate rejects its own code")
		}
	}
}

func TestCodeErrors(t *testing.T) {
	if _, err := totp.Code("!!", unix(59)); !errors.Is(err, totp.ErrMalformed) {
		t.Errorf("bad secret: %v, want ErrMalformed", err)
	}
	if _, err := totp.Code(rfcSecret, unix(-100)); !errors.Is(err, totp.ErrMalformed) {
		t.Errorf("time before 1970: %v, want ErrMalformed", err)
	}
}

func TestGenerateSecret(t *testing.T) {
	s, err := totp.GenerateSecret(bytes.NewReader(make([]byte, 20)))
	if err != nil {
		t.Fatal(err)
	}
	if s != "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" {
		t.Fatalf("secret of zero bytes = %q", s)
	}

	s, err = totp.GenerateSecret(bytes.NewReader([]byte("12345678901234567890")))
	if err != nil || s != rfcSecret {
		t.Fatalf("GenerateSecret = %q, %v; want %q", s, err, rfcSecret)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(raw) != totp.SecretSize {
		t.Fatalf("decoded %d bytes, %v", len(raw), err)
	}

	_, err = totp.GenerateSecret(iotest.ErrReader(errors.New("no entropy")))
	if err == nil {
		t.Fatal("GenerateSecret succeeded without randomness")
	}
	_, err = totp.GenerateSecret(bytes.NewReader(make([]byte, 19)))
	if err == nil {
		t.Fatal("GenerateSecret succeeded on a short read")
	}
}

func TestURI(t *testing.T) {
	tests := []struct {
		name        string
		issuer      string
		account     string
		want        string
		wantIssuer  string
		wantAccount string
	}{
		{
			name:    "plain",
			issuer:  "Octopus",
			account: "jane@example.com",
			want: "otpauth://totp/Octopus:jane%40example.com?secret=" + rfcSecret +
				"&issuer=Octopus&algorithm=SHA1&digits=6&period=30",
		},
		{
			name:    "space, colon and ampersand escaped",
			issuer:  "Octopus Venue: EU & UK",
			account: "a:b",
			want: "otpauth://totp/Octopus%20Venue%3A%20EU%20%26%20UK:a%3Ab?secret=" +
				rfcSecret + "&issuer=Octopus%20Venue%3A%20EU%20%26%20UK" +
				"&algorithm=SHA1&digits=6&period=30",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := totp.URI(tt.issuer, tt.account, rfcSecret)
			if got != tt.want {
				t.Fatalf("URI =\n%s\nwant\n%s", got, tt.want)
			}

			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("issuer") != tt.issuer || q.Get("secret") != rfcSecret {
				t.Fatalf("query round trip: %v", q)
			}
			if u.Path != "/"+tt.issuer+":"+tt.account {
				t.Fatalf("path = %q", u.Path)
			}
		})
	}
}
