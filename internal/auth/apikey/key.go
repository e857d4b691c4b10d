package apikey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Key layout.
const (
	Prefix    = "oct_"
	IDLen     = 12 // base32 characters, 60 bits
	SecretLen = 32 // random bytes in a secret

	secretTextLen = 52 // SecretLen in unpadded base32
	fullLen       = len(Prefix) + IDLen + 1 + secretTextLen
	alphabet      = "abcdefghijklmnopqrstuvwxyz234567"
	minPepperLen  = 32
)

var (
	// ErrMalformed means a key, header or timestamp is not in the expected
	// form.
	ErrMalformed = errors.New("apikey: malformed")

	// ErrBadSignature means a well-formed signature does not verify.
	ErrBadSignature = errors.New("apikey: bad signature")

	// ErrStale means a request timestamp is outside the accepted window.
	ErrStale = errors.New("apikey: timestamp outside window")

	// ErrPepper means the pepper given to NewHasher is too short.
	ErrPepper = errors.New("apikey: pepper too short")
)

// encoding is lower-case base32 without padding.
var encoding = base32.NewEncoding(alphabet).WithPadding(base32.NoPadding)

// Key is a newly issued API key. Full is shown to the user once; the server
// keeps ID and the hash of Secret.
type Key struct {
	ID     string
	Secret string
	Full   string
}

// Generate makes a new key from rand.
func Generate(rand io.Reader) (Key, error) {
	buf := make([]byte, IDLen+SecretLen)
	if _, err := io.ReadFull(rand, buf); err != nil {
		return Key{}, fmt.Errorf("generate api key: %w", err)
	}

	// 256 is a multiple of 32, so the low five bits of a uniform byte are
	// a uniform symbol.
	id := make([]byte, IDLen)
	for i, b := range buf[:IDLen] {
		id[i] = alphabet[b&31]
	}
	secret := encoding.EncodeToString(buf[IDLen:])

	return Key{
		ID:     string(id),
		Secret: secret,
		Full:   Prefix + string(id) + "_" + secret,
	}, nil
}

// Parse splits a full key into its id and secret. It accepts only the exact
// form Generate produces: prefix, lengths, alphabet, separator and a
// canonical base32 secret (no spare bits set), so each secret has one text.
func Parse(full string) (id, secret string, err error) {
	if len(full) != fullLen || !strings.HasPrefix(full, Prefix) {
		return "", "", fmt.Errorf("parse api key: %w", ErrMalformed)
	}
	id = full[len(Prefix) : len(Prefix)+IDLen]
	sep := full[len(Prefix)+IDLen]
	secret = full[len(Prefix)+IDLen+1:]

	if sep != '_' || !inAlphabet(id) {
		return "", "", fmt.Errorf("parse api key: %w", ErrMalformed)
	}
	if _, err := DecodeSecret(secret); err != nil {
		return "", "", fmt.Errorf("parse api key: %w", err)
	}

	return id, secret, nil
}

// DecodeSecret returns the raw secret bytes, the HMAC key for request
// signing, from the secret's text.
func DecodeSecret(secret string) ([]byte, error) {
	if len(secret) != secretTextLen || !inAlphabet(secret) {
		return nil, fmt.Errorf("decode secret: %w", ErrMalformed)
	}
	raw, err := encoding.DecodeString(secret)
	if err != nil || len(raw) != SecretLen || encoding.EncodeToString(raw) != secret {
		return nil, fmt.Errorf("decode secret: %w", ErrMalformed)
	}

	return raw, nil
}

func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}

	return true
}

// Hasher computes the stored form of key secrets, keyed by a server-side
// pepper that lives outside the database.
type Hasher struct {
	pepper []byte
}

// NewHasher returns a Hasher for pepper, which must be at least 32 bytes.
func NewHasher(pepper []byte) (*Hasher, error) {
	if len(pepper) < minPepperLen {
		return nil, fmt.Errorf("new key hasher: %w", ErrPepper)
	}

	return &Hasher{pepper: append([]byte(nil), pepper...)}, nil
}

// Hash returns hex(HMAC-SHA256(pepper, secret)) over the secret's text.
// A plain fast hash is enough because the secret is 256 random bits; the
// pepper makes a stolen table useless without the server's configuration.
func (h *Hasher) Hash(secret string) string {
	mac := hmac.New(sha256.New, h.pepper)
	mac.Write([]byte(secret))

	return hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether secret hashes to storedHash, comparing in constant
// time.
func (h *Hasher) Verify(storedHash, secret string) bool {
	return hmac.Equal([]byte(h.Hash(secret)), []byte(storedHash))
}
