package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"golang.org/x/crypto/hkdf"
)

// ErrKey means the secret key given to NewHasher is unusable.
var ErrKey = errors.New("audit: bad key")

// MinSecretKeyLen is the shortest SECRET_KEY NewHasher accepts, in bytes.
const MinSecretKeyLen = 32

// hmacInfo is the HKDF label of the audit HMAC key, so the same SECRET_KEY
// yields unrelated keys for every other purpose.
const hmacInfo = "octopus/hmac/v1:audit-hmac"

// HashPrefix starts every keyed hash Hasher returns.
const HashPrefix = "hmac:"

// Hasher turns values that must be searchable but not readable (API key ids,
// emails) into keyed hashes, as Vault's audit devices do: equal values hash
// alike, so an admin who knows a value hashes it and searches for the result,
// while the stored hash says nothing without the key. Safe for concurrent use.
type Hasher struct {
	macs sync.Pool // of hash.Hash keyed with the derived key; HMAC setup is costly
}

// NewHasher derives the audit HMAC key from secretKey (SECRET_KEY) with
// HKDF-SHA256.
func NewHasher(secretKey []byte) (*Hasher, error) {
	if len(secretKey) < MinSecretKeyLen {
		return nil, fmt.Errorf("new audit hasher: secret key shorter than %d bytes: %w",
			MinSecretKeyLen, ErrKey)
	}
	key := make([]byte, sha256.Size)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secretKey, nil, []byte(hmacInfo)), key); err != nil {
		return nil, fmt.Errorf("new audit hasher: derive key: %w", err)
	}
	h := &Hasher{}
	h.macs.New = func() any { return hmac.New(sha256.New, key) }
	return h, nil
}

// Hash returns "hmac:" and the hex HMAC-SHA256 of value; the empty value stays
// empty, so "no API key" remains searchable as such.
func (h *Hasher) Hash(value string) string {
	if value == "" {
		return ""
	}
	m := h.macs.Get().(hash.Hash)
	defer h.macs.Put(m)
	m.Reset()
	m.Write([]byte(value))
	var sum [sha256.Size]byte
	return HashPrefix + hex.EncodeToString(m.Sum(sum[:0]))
}
