package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Parameters of the codes this package issues and accepts.
const (
	Period     = 30 // seconds per time step (RFC 6238 section 5.2)
	Digits     = 6
	Skew       = 1  // steps accepted either side of the current one
	SecretSize = 20 // bytes; RFC 4226 section 4 recommends 160 bits
)

// minSecretSize is the shortest secret Validate accepts (RFC 4226 R6).
const minSecretSize = 16

// ErrMalformed means a secret or code is not in the expected form.
var ErrMalformed = errors.New("totp: malformed input")

// encoding is base32 without padding, as authenticator apps expect.
var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// GenerateSecret returns a new SecretSize-byte secret read from rand, as
// base32 without padding (32 characters).
func GenerateSecret(rand io.Reader) (string, error) {
	b := make([]byte, SecretSize)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}

	return encoding.EncodeToString(b), nil
}

// URI returns the otpauth:// URI that authenticator apps read from a QR
// code, in the Key Uri Format of Google Authenticator. The label is
// "issuer:account"; colons inside either part are escaped so the app can
// split them, and spaces are written as %20, which all apps understand.
func URI(issuer, account, secret string) string {
	label := escape(issuer) + ":" + escape(account)
	q := "secret=" + escape(secret) +
		"&issuer=" + escape(issuer) +
		"&algorithm=SHA1&digits=6&period=30"

	return "otpauth://totp/" + label + "?" + q
}

func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Step returns the RFC 6238 time step that contains t.
func Step(t time.Time) int64 {
	sec := t.Unix()
	step := sec / Period
	if sec < 0 && sec%Period != 0 {
		step-- // floor, not truncation, for times before 1970
	}

	return step
}

// Code returns the code for the step containing t. Servers do not need it;
// it serves tests and tools that act as the authenticator.
func Code(secret string, t time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	step := Step(t)
	if step < 0 {
		return "", fmt.Errorf("code: time before 1970: %w", ErrMalformed)
	}

	return hotp(key, uint64(step), Digits), nil
}

// Validate reports whether code is the code for the step containing now or
// for one step either side, and returns the step it matched. It returns
// false for a malformed secret or a code that is not exactly six ASCII
// digits. All candidate codes are compared, in constant time, whether or not
// an earlier one matched.
//
// Validate does not stop replay: see the package comment and ValidateAfter.
func Validate(secret, code string, now time.Time) (step int64, ok bool) {
	key, err := decodeSecret(secret)
	if err != nil || !wellFormed(code) {
		return 0, false
	}

	current := Step(now)
	for s := current - Skew; s <= current+Skew; s++ {
		if s < 0 {
			continue
		}
		want := hotp(key, uint64(s), Digits)
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			// Later steps overwrite earlier ones, so a code that happens
			// to match twice records the later step.
			step, ok = s, true
		}
	}

	return step, ok
}

// ValidateAfter is Validate that also refuses a code whose step is not
// greater than lastStep, the step of the last code this user had accepted
// (use -1 if none). On success the caller stores the returned step.
func ValidateAfter(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	step, ok := Validate(secret, code, now)
	if !ok || step <= lastStep {
		return 0, false
	}

	return step, true
}

func decodeSecret(secret string) ([]byte, error) {
	key, err := encoding.DecodeString(strings.TrimRight(secret, "="))
	if err != nil {
		return nil, fmt.Errorf("decode secret: %w", ErrMalformed)
	}
	if len(key) < minSecretSize {
		return nil, fmt.Errorf("decode secret: shorter than %d bytes: %w",
			minSecretSize, ErrMalformed)
	}

	return key, nil
}

func wellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}

	return true
}

// hotp computes an HOTP value (RFC 4226 section 5.3) with the given number
// of digits, zero-padded.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)

	// Dynamic truncation: the low nibble of the last byte picks an offset,
	// and the 31 bits from there, sign bit cleared, are the value.
	off := sum[len(sum)-1] & 0x0f
	value := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff

	mod := uint32(1)
	for range digits {
		mod *= 10
	}

	return fmt.Sprintf("%0*d", digits, value%mod)
}
