package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/audit"
)

func TestLoadSigningKey(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	seedB64 := base64.StdEncoding.EncodeToString(seed) + "\n"
	pubB64 := base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))

	tests := []struct {
		name    string
		content []byte
		load    string // "private" or "public"
		wantErr error
	}{
		{"pkcs8 pem", privPEM, "private", nil},
		{"base64 seed", []byte(seedB64), "private", nil},
		{"public pem", pubPEM, "public", nil},
		{"public from private pem", privPEM, "public", nil},
		{"base64 public key", []byte(pubB64), "public", nil},
		{"public pem is no private key", pubPEM, "private", audit.ErrSigningKey},
		{"short seed", []byte(base64.StdEncoding.EncodeToString(seed[:16])), "private",
			audit.ErrSigningKey},
		{"garbage", []byte("not a key"), "public", audit.ErrSigningKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			var got []byte
			var err error
			if tt.load == "private" {
				var k ed25519.PrivateKey
				k, err = audit.LoadSigningKey(path)
				got = k
				if err == nil && !key.Equal(k) {
					t.Fatal("loaded another private key")
				}
			} else {
				var p ed25519.PublicKey
				p, err = audit.LoadPublicKey(path)
				got = p
				if err == nil && !key.Public().(ed25519.PublicKey).Equal(p) {
					t.Fatal("loaded another public key")
				}
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("load = %x, %v; want %v", got, err, tt.wantErr)
			}
		})
	}
}

func TestLoadOrCreateSigningKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "audit-signing.pem")
	key, created, err := audit.LoadOrCreateSigningKey(path)
	if err != nil || !created {
		t.Fatalf("create = %v, %v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, info.Mode())
	}

	again, created, err := audit.LoadOrCreateSigningKey(path)
	if err != nil || created || !key.Equal(again) {
		t.Fatalf("second load = created %v, %v; want the same key", created, err)
	}
	pub, err := audit.LoadPublicKey(path + ".pub")
	if err != nil || !pub.Equal(key.Public()) {
		t.Fatalf("public key file: %v", err)
	}

	d := audit.SignDigest(key, 9, bytes.Repeat([]byte{1}, 32), time.Now())
	if err := d.Check(pub); err != nil {
		t.Fatalf("digest signed with the created key does not verify: %v", err)
	}

	if _, _, err := audit.LoadOrCreateSigningKey(t.TempDir()); err == nil ||
		errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a directory as key file = %v, want a read error", err)
	}
}
