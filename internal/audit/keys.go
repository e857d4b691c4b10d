package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrSigningKey means a digest signing or verification key file is unusable.
var ErrSigningKey = errors.New("audit: bad signing key")

// LoadSigningKey reads the Ed25519 digest signing key (AUDIT_SIGNING_KEY_FILE):
// a PEM "PRIVATE KEY" block (PKCS#8, as `openssl genpkey -algorithm ed25519`
// writes) or the 32-byte seed in standard base64.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load audit signing key: %w", err)
	}
	key, err := parseSigningKey(data)
	if err != nil {
		return nil, fmt.Errorf("load audit signing key %s: %w", filepath.Base(path), err)
	}
	return key, nil
}

func parseSigningKey(data []byte) (ed25519.PrivateKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("PEM block %q, want PRIVATE KEY: %w", block.Type, ErrSigningKey)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSigningKey, err)
		}
		key, ok := parsed.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("not an Ed25519 key: %w", ErrSigningKey)
		}
		return key, nil
	}
	seed, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("neither PEM nor a base64 %d-byte seed: %w",
			ed25519.SeedSize, ErrSigningKey)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// LoadOrCreateSigningKey is LoadSigningKey, except that a missing file is
// created with a fresh key (mode 0600, PEM PKCS#8) and its public key is
// written next to it as path+".pub" (PEM PKIX), which is what `octopus audit
// verify` needs. It is meant for development, where no key was provisioned;
// created reports whether it made one.
func LoadOrCreateSigningKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = LoadSigningKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("generate audit signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("encode audit signing key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, false, fmt.Errorf("encode audit public key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create audit key directory: %w", err)
	}
	err = writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("write audit signing key: %w", err)
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(path+".pub", pub, 0o644); err != nil {
		return nil, false, fmt.Errorf("write audit public key: %w", err)
	}
	return key, true, nil
}

// writeNew creates path with data, failing if it exists, so two processes
// starting together cannot overwrite each other's key.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadPublicKey reads a digest verification key: a PEM "PUBLIC KEY" block
// (PKIX), the 32-byte public key in standard base64, or a private key file as
// LoadSigningKey reads it, whose public half is returned. A bare base64 value is
// taken as a public key, never as a seed.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load audit public key: %w", err)
	}
	pub, err := parsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("load audit public key %s: %w", filepath.Base(path), err)
	}
	return pub, nil
}

func parsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	switch {
	case block != nil && block.Type == "PUBLIC KEY":
		parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSigningKey, err)
		}
		pub, ok := parsed.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("not an Ed25519 key: %w", ErrSigningKey)
		}
		return pub, nil
	case block != nil:
		key, err := parseSigningKey(data)
		if err != nil {
			return nil, err
		}
		return key.Public().(ed25519.PublicKey), nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("neither PEM nor a base64 %d-byte public key: %w",
			ed25519.PublicKeySize, ErrSigningKey)
	}
	return ed25519.PublicKey(raw), nil
}

// KeyID names a public key in digests: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}
