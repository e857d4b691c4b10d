package apikey

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Header names and signature schemes of signed requests.
const (
	HeaderTimestamp = "X-Octopus-Timestamp"
	HeaderSignature = "X-Octopus-Signature"
	SchemeHMAC      = "hmac-sha256"
	SchemeEd25519   = "ed25519"
)

// DefaultWindow is how far a request timestamp may be from the server clock.
const DefaultWindow = 5 * time.Second

// maxTimestampDigits bounds the timestamp header: Unix milliseconds have 13
// digits until the year 2286.
const maxTimestampDigits = 15

// Canonical returns the string a request signature covers; see the package
// comment for its exact form.
func Canonical(method, pathQuery string, ts int64, body []byte) []byte {
	sum := sha256.Sum256(body)
	out := make([]byte, 0, len(method)+len(pathQuery)+3+20+2*len(sum))
	out = append(out, method...)
	out = append(out, '\n')
	out = append(out, pathQuery...)
	out = append(out, '\n')
	out = strconv.AppendInt(out, ts, 10)
	out = append(out, '\n')

	return hex.AppendEncode(out, sum[:])
}

// PathQuery returns the path and raw query of u as they appear in a request
// line, which is what Canonical expects: the escaped path, then "?" and the
// raw query if there is one.
func PathQuery(u *url.URL) string {
	if u.RawQuery == "" {
		return u.EscapedPath()
	}

	return u.EscapedPath() + "?" + u.RawQuery
}

// SignHMAC returns the X-Octopus-Signature value for canonical under the
// raw key secret.
func SignHMAC(secret, canonical []byte) string {
	return SchemeHMAC + "=" + hex.EncodeToString(hmacSum(secret, canonical))
}

// VerifyHMAC checks an X-Octopus-Signature value of the hmac-sha256 scheme.
// It returns ErrMalformed for a value of another scheme or shape and
// ErrBadSignature for a wrong signature; the comparison is constant-time.
func VerifyHMAC(secret, canonical []byte, header string) error {
	value, err := schemeValue(header, SchemeHMAC)
	if err != nil {
		return err
	}
	// Lower case only, so each signature has exactly one text and a replay
	// cache keyed on the header cannot be dodged by changing case.
	if len(value) != 2*sha256.Size || strings.Trim(value, "0123456789abcdef") != "" {
		return fmt.Errorf("verify signature: %w", ErrMalformed)
	}
	got, err := hex.DecodeString(value)
	if err != nil {
		return fmt.Errorf("verify signature: %w", ErrMalformed)
	}

	if !hmac.Equal(got, hmacSum(secret, canonical)) {
		return ErrBadSignature
	}

	return nil
}

// SignEd25519 returns the X-Octopus-Signature value for canonical signed
// with priv. Servers do not need it; clients and tests do.
func SignEd25519(priv ed25519.PrivateKey, canonical []byte) string {
	return SchemeEd25519 + "=" + base64.StdEncoding.EncodeToString(ed25519.Sign(priv, canonical))
}

// VerifyEd25519 checks an X-Octopus-Signature value of the ed25519 scheme
// (the whole header value, scheme included). It returns ErrMalformed for a
// bad public key or a value of another scheme or shape, and ErrBadSignature
// for a wrong signature.
func VerifyEd25519(pub ed25519.PublicKey, canonical []byte, header string) error {
	if len(pub) != ed25519.PublicKeySize {
		// ed25519.Verify panics on a key of the wrong size.
		return fmt.Errorf("verify signature: public key: %w", ErrMalformed)
	}
	value, err := schemeValue(header, SchemeEd25519)
	if err != nil {
		return err
	}
	// Strict decoding rejects spare bits, and the length check rejects the
	// CR and LF the decoder would skip, so each signature has one text.
	if len(value) != base64.StdEncoding.EncodedLen(ed25519.SignatureSize) {
		return fmt.Errorf("verify signature: %w", ErrMalformed)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("verify signature: %w", ErrMalformed)
	}

	if !ed25519.Verify(pub, canonical, sig) {
		return ErrBadSignature
	}

	return nil
}

// Scheme returns the scheme of an X-Octopus-Signature value, so the caller
// can check it is the one registered for the key before verifying.
func Scheme(header string) (string, error) {
	scheme, _, ok := strings.Cut(header, "=")
	if !ok || (scheme != SchemeHMAC && scheme != SchemeEd25519) {
		return "", fmt.Errorf("signature scheme: %w", ErrMalformed)
	}

	return scheme, nil
}

// ParseTimestamp reads an X-Octopus-Timestamp value: decimal Unix
// milliseconds, digits only.
func ParseTimestamp(v string) (int64, error) {
	if v == "" || len(v) > maxTimestampDigits || strings.Trim(v, "0123456789") != "" {
		return 0, fmt.Errorf("parse timestamp: %w", ErrMalformed)
	}
	ts, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse timestamp: %w", ErrMalformed)
	}

	return ts, nil
}

// CheckWindow returns ErrStale unless ts, in Unix milliseconds, is within
// window of now, in the past or the future. A window of zero or less means
// DefaultWindow. The bounds are inclusive.
func CheckWindow(ts int64, now time.Time, window time.Duration) error {
	if window <= 0 {
		window = DefaultWindow
	}
	nowMs, w := now.UnixMilli(), window.Milliseconds()

	// Compare against bounds rather than subtract, so an extreme ts from
	// the wire cannot overflow.
	if ts < nowMs-w || ts > nowMs+w {
		return ErrStale
	}

	return nil
}

func schemeValue(header, want string) (string, error) {
	scheme, value, ok := strings.Cut(header, "=")
	if !ok || scheme != want || value == "" {
		return "", fmt.Errorf("verify signature: %w", ErrMalformed)
	}

	return value, nil
}

func hmacSum(key, msg []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(msg)

	return mac.Sum(nil)
}
