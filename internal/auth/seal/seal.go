package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// Version is the format byte that starts every sealed value.
const Version byte = 1

// MinSecretKeyLen is the shortest SECRET_KEY New accepts, in bytes.
const MinSecretKeyLen = 32

const (
	keyLen   = 32
	nonceLen = 12
	tagLen   = 16

	// Overhead is how many bytes Seal adds to the plaintext.
	Overhead = 1 + nonceLen + tagLen

	// infoPrefix namespaces the HKDF label so the same SECRET_KEY used
	// elsewhere with a bare purpose string yields different keys.
	infoPrefix = "octopus/seal/v1:"
)

var (
	// ErrOpen means a sealed value could not be opened: it was altered,
	// truncated, sealed under another key or purpose, or opened with other
	// associated data. The cause is deliberately not told apart.
	ErrOpen = errors.New("seal: cannot open")

	// ErrKey means the secret key or purpose given to New is unusable.
	ErrKey = errors.New("seal: bad key")
)

// Sealer seals and opens values for one purpose. It is safe for concurrent
// use.
type Sealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// New derives the key for purpose from secretKey, which must be at least
// MinSecretKeyLen bytes of high-entropy secret. purpose must not be empty.
func New(secretKey []byte, purpose string) (*Sealer, error) {
	if len(secretKey) < MinSecretKeyLen {
		return nil, fmt.Errorf("new sealer: secret key shorter than %d bytes: %w",
			MinSecretKeyLen, ErrKey)
	}
	if purpose == "" {
		return nil, fmt.Errorf("new sealer: empty purpose: %w", ErrKey)
	}

	key := make([]byte, keyLen)
	kdf := hkdf.New(sha256.New, secretKey, nil, []byte(infoPrefix+purpose))
	if _, err := io.ReadFull(kdf, key); err != nil {
		return nil, fmt.Errorf("new sealer: derive key: %w", err)
	}

	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}

	return &Sealer{aead: aead, rand: rand.Reader}, nil
}

// Seal encrypts plaintext and authenticates it together with
// associatedData, which is not stored and must be given again to Open.
func (s *Sealer) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, 1+nonceLen, Overhead+len(plaintext))
	out[0] = Version
	if _, err := io.ReadFull(s.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("seal: read nonce: %w", err)
	}

	nonce := out[1 : 1+nonceLen]
	return s.aead.Seal(out, nonce, plaintext, additional(Version, associatedData)), nil
}

// Open decrypts a value made by Seal with the same purpose key and
// associated data. Any failure is ErrOpen.
func (s *Sealer) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < Overhead || sealed[0] != Version {
		return nil, ErrOpen
	}

	nonce, ct := sealed[1:1+nonceLen], sealed[1+nonceLen:]
	pt, err := s.aead.Open(nil, nonce, ct, additional(sealed[0], associatedData))
	if err != nil {
		return nil, ErrOpen
	}

	return pt, nil
}

// additional binds the version byte to the caller's associated data.
func additional(version byte, ad []byte) []byte {
	out := make([]byte, 0, 1+len(ad))
	out = append(out, version)
	return append(out, ad...)
}
