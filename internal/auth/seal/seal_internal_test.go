package seal

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestKnownAnswer pins the derivation and layout against a value computed
// independently (Python cryptography: HKDF-SHA256 with no salt and info
// "octopus/seal/v1:totp-seed", then AES-256-GCM with AD 0x01 || "user:42").
func TestKnownAnswer(t *testing.T) {
	const want = "01a0a1a2a3a4a5a6a7a8a9aaab" +
		"e0fb053a993731cb34ebbde0edc0fe12" +
		"43618dcbcb6777e8fb7ef04d2ac8bef4"

	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i)
	}
	s, err := New(secret, "totp-seed")
	if err != nil {
		t.Fatal(err)
	}
	nonce := []byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab}
	s.rand = bytes.NewReader(nonce)

	sealed, err := s.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user:42"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(sealed); got != want {
		t.Fatalf("sealed = %s\nwant     %s", got, want)
	}
}

func TestSealFailsWithoutRandomness(t *testing.T) {
	s, err := New(make([]byte, 32), "p")
	if err != nil {
		t.Fatal(err)
	}
	s.rand = bytes.NewReader(nil)
	if _, err := s.Seal([]byte("x"), nil); err == nil {
		t.Fatal("Seal succeeded with an empty random source")
	}
}
