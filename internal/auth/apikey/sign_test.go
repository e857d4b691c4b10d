package apikey_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/auth/apikey"
)

// The worked example of the package comment. The expected values were
// computed independently with Python's hashlib, hmac and cryptography.
const (
	exMethod = "POST"
	exPath   = "/api/v1/orders?symbol=BTC-USD"
	exTS     = int64(1700000000000)
	exBody   = `{"symbol":"BTC-USD","side":"buy","type":"limit",` +
		`"price":"30000.00","quantity":"0.5"}`
	exCanonical = "POST\n/api/v1/orders?symbol=BTC-USD\n1700000000000\n" +
		"e416dcccd7d27e3c434ae41f753e2ce2dfdc61d6ad39c416720165198381fafc"
	exHMAC = "hmac-sha256=55003bcfc8a9f77567600496bdc3d267a6bc2a007daf6def1bc6e1c6cfd4b51f"

	// Ed25519 with the private key seed 0x42 repeated 32 times.
	exPublic  = "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12"
	exEd25519 = "ed25519=bZWIlRa9iZv6sNgZHxF8pz5K4IvisPlnRJd+Ld2hve+V/u7dn+rYKEXrgX" +
		"oNoBC1Yyfwl7RK3LsdhgTZ12ajAg=="
)

func exampleSecretBytes(t *testing.T) []byte {
	t.Helper()
	_, secret, err := apikey.Parse(exampleFull)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := apikey.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func exampleEd25519(t *testing.T) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	if hex.EncodeToString(pub) != exPublic {
		t.Fatalf("public key = %x", pub)
	}
	return priv, pub
}

func TestWorkedExample(t *testing.T) {
	canonical := apikey.Canonical(exMethod, exPath, exTS, []byte(exBody))
	if string(canonical) != exCanonical {
		t.Fatalf("canonical =\n%s\nwant\n%s", canonical, exCanonical)
	}

	secret := exampleSecretBytes(t)
	if got := apikey.SignHMAC(secret, canonical); got != exHMAC {
		t.Fatalf("SignHMAC = %s, want %s", got, exHMAC)
	}
	if err := apikey.VerifyHMAC(secret, canonical, exHMAC); err != nil {
		t.Fatalf("VerifyHMAC: %v", err)
	}

	priv, pub := exampleEd25519(t)
	if got := apikey.SignEd25519(priv, canonical); got != exEd25519 {
		t.Fatalf("SignEd25519 = %s, want %s", got, exEd25519)
	}
	if err := apikey.VerifyEd25519(pub, canonical, exEd25519); err != nil {
		t.Fatalf("VerifyEd25519: %v", err)
	}
}

func TestCanonicalEmptyBody(t *testing.T) {
	got := string(apikey.Canonical("GET", "/api/v1/balances", 1, nil))
	want := "GET\n/api/v1/balances\n1\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got != want {
		t.Fatalf("canonical = %q, want %q", got, want)
	}
}

func TestVerifyHMAC(t *testing.T) {
	secret := exampleSecretBytes(t)
	good := apikey.Canonical(exMethod, exPath, exTS, []byte(exBody))
	hexSig := strings.TrimPrefix(exHMAC, "hmac-sha256=")

	tests := []struct {
		name      string
		secret    []byte
		canonical []byte
		header    string
		wantErr   error
	}{
		{name: "valid", secret: secret, canonical: good, header: exHMAC},
		{name: "other secret", secret: bytes.Repeat([]byte{1}, 32), canonical: good,
			header: exHMAC, wantErr: apikey.ErrBadSignature},
		{name: "secret text instead of bytes", secret: []byte(exampleSecret),
			canonical: good, header: exHMAC, wantErr: apikey.ErrBadSignature},
		{name: "body changed", secret: secret,
			canonical: apikey.Canonical(exMethod, exPath, exTS, []byte(exBody+" ")),
			header:    exHMAC, wantErr: apikey.ErrBadSignature},
		{name: "query changed", secret: secret,
			canonical: apikey.Canonical(exMethod, exPath+"&x=1", exTS, []byte(exBody)),
			header:    exHMAC, wantErr: apikey.ErrBadSignature},
		{name: "timestamp changed", secret: secret,
			canonical: apikey.Canonical(exMethod, exPath, exTS+1, []byte(exBody)),
			header:    exHMAC, wantErr: apikey.ErrBadSignature},
		{name: "method changed", secret: secret,
			canonical: apikey.Canonical("PUT", exPath, exTS, []byte(exBody)),
			header:    exHMAC, wantErr: apikey.ErrBadSignature},
		{name: "one digit changed", secret: secret, canonical: good,
			header: exHMAC[:len(exHMAC)-1] + "e", wantErr: apikey.ErrBadSignature},
		{name: "upper-case hex", secret: secret, canonical: good,
			header: "hmac-sha256=" + strings.ToUpper(hexSig), wantErr: apikey.ErrMalformed},
		{name: "truncated", secret: secret, canonical: good,
			header: exHMAC[:len(exHMAC)-2], wantErr: apikey.ErrMalformed},
		{name: "not hex", secret: secret, canonical: good,
			header: "hmac-sha256=" + strings.Repeat("zz", 32), wantErr: apikey.ErrMalformed},
		{name: "no scheme", secret: secret, canonical: good,
			header: hexSig, wantErr: apikey.ErrMalformed},
		{name: "other scheme", secret: secret, canonical: good,
			header: "hmac-sha1=" + hexSig, wantErr: apikey.ErrMalformed},
		{name: "ed25519 header", secret: secret, canonical: good,
			header: exEd25519, wantErr: apikey.ErrMalformed},
		{name: "empty", secret: secret, canonical: good, header: "", wantErr: apikey.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := apikey.VerifyHMAC(tt.secret, tt.canonical, tt.header)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyHMAC = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyEd25519(t *testing.T) {
	_, pub := exampleEd25519(t)
	otherPub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	good := apikey.Canonical(exMethod, exPath, exTS, []byte(exBody))
	b64 := strings.TrimPrefix(exEd25519, "ed25519=")

	tests := []struct {
		name      string
		pub       ed25519.PublicKey
		canonical []byte
		header    string
		wantErr   error
	}{
		{name: "valid", pub: pub, canonical: good, header: exEd25519},
		{name: "other key", pub: otherPub, canonical: good, header: exEd25519,
			wantErr: apikey.ErrBadSignature},
		{name: "body changed", pub: pub,
			canonical: apikey.Canonical(exMethod, exPath, exTS, []byte("{}")),
			header:    exEd25519, wantErr: apikey.ErrBadSignature},
		{name: "signature altered", pub: pub, canonical: good,
			header: "ed25519=A" + b64[1:], wantErr: apikey.ErrBadSignature},
		{name: "short public key", pub: pub[:31], canonical: good, header: exEd25519,
			wantErr: apikey.ErrMalformed},
		{name: "nil public key", pub: nil, canonical: good, header: exEd25519,
			wantErr: apikey.ErrMalformed},
		{name: "newline inside base64", pub: pub, canonical: good,
			header: "ed25519=" + b64[:40] + "\n" + b64[40:], wantErr: apikey.ErrMalformed},
		{name: "spare bits set", pub: pub, canonical: good,
			header: "ed25519=" + b64[:85] + "B==", wantErr: apikey.ErrMalformed},
		{name: "unpadded", pub: pub, canonical: good,
			header: "ed25519=" + strings.TrimRight(b64, "="), wantErr: apikey.ErrMalformed},
		{name: "url alphabet", pub: pub, canonical: good,
			header:  "ed25519=" + strings.NewReplacer("+", "-", "/", "_").Replace(b64),
			wantErr: apikey.ErrMalformed},
		{name: "hmac header", pub: pub, canonical: good, header: exHMAC,
			wantErr: apikey.ErrMalformed},
		{name: "empty value", pub: pub, canonical: good, header: "ed25519=",
			wantErr: apikey.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := apikey.VerifyEd25519(tt.pub, tt.canonical, tt.header)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyEd25519 = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestScheme(t *testing.T) {
	tests := []struct {
		header  string
		want    string
		wantErr bool
	}{
		{header: exHMAC, want: apikey.SchemeHMAC},
		{header: exEd25519, want: apikey.SchemeEd25519},
		{header: "rsa=abc", wantErr: true},
		{header: "hmac-sha256", wantErr: true},
		{header: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := apikey.Scheme(tt.header)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Scheme(%q) = %q, %v; want %q", tt.header, got, err, tt.want)
		}
	}
}

func TestCheckWindow(t *testing.T) {
	now := time.UnixMilli(exTS)

	tests := []struct {
		name    string
		ts      int64
		window  time.Duration
		wantErr error
	}{
		{name: "now", ts: exTS},
		{name: "5s old, default window", ts: exTS - 5000},
		{name: "5s ahead, default window", ts: exTS + 5000},
		{name: "just too old", ts: exTS - 5001, wantErr: apikey.ErrStale},
		{name: "just too far ahead", ts: exTS + 5001, wantErr: apikey.ErrStale},
		{name: "negative window means default", ts: exTS - 5001, window: -time.Second,
			wantErr: apikey.ErrStale},
		{name: "wider window", ts: exTS - 29_000, window: 30 * time.Second},
		{name: "narrow window", ts: exTS - 1500, window: time.Second, wantErr: apikey.ErrStale},
		{name: "seconds sent instead of ms", ts: exTS / 1000, wantErr: apikey.ErrStale},
		{name: "zero", ts: 0, wantErr: apikey.ErrStale},
		{name: "min int64", ts: math.MinInt64, wantErr: apikey.ErrStale},
		{name: "max int64", ts: math.MaxInt64, wantErr: apikey.ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := apikey.CheckWindow(tt.ts, now, tt.window)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckWindow = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "1700000000000", want: exTS},
		{in: "0", want: 0},
		{in: "", wantErr: true},
		{in: "-1700000000000", wantErr: true},
		{in: "+1700000000000", wantErr: true},
		{in: " 1700000000000", wantErr: true},
		{in: "1.7e12", wantErr: true},
		{in: "0x18bcfe56800", wantErr: true},
		{in: "9999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		got, err := apikey.ParseTimestamp(tt.in)
		if tt.wantErr {
			if !errors.Is(err, apikey.ErrMalformed) {
				t.Errorf("ParseTimestamp(%q) = %d, %v; want ErrMalformed", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestPathQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want string
	}{
		{raw: "https://h/api/v1/orders?symbol=BTC-USD", want: "/api/v1/orders?symbol=BTC-USD"},
		{raw: "https://h/api/v1/orders", want: "/api/v1/orders"},
		{raw: "https://h/a%2Fb?q=x%20y&z=1", want: "/a%2Fb?q=x%20y&z=1"},
		{raw: "https://h/a%20b?", want: "/a%20b"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := apikey.PathQuery(u); got != tt.want {
			t.Errorf("PathQuery(%s) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}
