package totp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// DefaultRecoveryCodes is how many recovery codes a user is normally given.
const DefaultRecoveryCodes = 10

// maxRecoveryCodes bounds GenerateRecoveryCodes against silly requests.
const maxRecoveryCodes = 100

// recoveryLen is the number of symbols in a code: 12 * 5 = 60 bits.
const recoveryLen = 12

// crockford is Crockford's base32 alphabet in lower case.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// GenerateRecoveryCodes returns n recovery codes of the form
// xxxx-xxxx-xxxx, each carrying 60 bits read from rand.
func GenerateRecoveryCodes(rand io.Reader, n int) ([]string, error) {
	if n < 1 || n > maxRecoveryCodes {
		return nil, fmt.Errorf("generate recovery codes: count %d: %w", n, ErrMalformed)
	}

	buf := make([]byte, 8*n)
	if _, err := io.ReadFull(rand, buf); err != nil {
		return nil, fmt.Errorf("generate recovery codes: %w", err)
	}

	codes := make([]string, n)
	for i := range codes {
		v := binary.BigEndian.Uint64(buf[8*i:])
		var sym [recoveryLen]byte
		for j := range sym {
			sym[j] = crockford[v&31]
			v >>= 5
		}
		codes[i] = string(sym[0:4]) + "-" + string(sym[4:8]) + "-" + string(sym[8:12])
	}

	return codes, nil
}

// NormalizeRecoveryCode turns what a user typed into the canonical form
// that is hashed: twelve lower-case symbols without dashes. It ignores case,
// dashes and spaces, and reads i and l as 1 and o as 0, as Crockford's
// base32 does. It returns ErrMalformed if the result is not twelve symbols
// of the alphabet.
func NormalizeRecoveryCode(code string) (string, error) {
	s := lenientNormalize(code)
	if len(s) != recoveryLen || strings.IndexFunc(s, notCrockford) >= 0 {
		return "", fmt.Errorf("normalize recovery code: %w", ErrMalformed)
	}

	return s, nil
}

// HashRecoveryCode returns the hex SHA-256 of the normalised code, the form
// in which codes are stored. Input that does not normalise is still hashed,
// leniently, so it simply matches nothing.
func HashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte(lenientNormalize(code)))
	return hex.EncodeToString(sum[:])
}

// MatchRecoveryCode hashes code and compares it with every stored hash,
// without stopping at a match, and returns the index of the match so the
// caller can delete that code: each recovery code works once.
func MatchRecoveryCode(code string, hashes []string) (int, bool) {
	if _, err := NormalizeRecoveryCode(code); err != nil {
		return -1, false
	}

	got := []byte(HashRecoveryCode(code))
	index := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare(got, []byte(h)) == 1 {
			index = i
		}
	}

	return index, index >= 0
}

func lenientNormalize(code string) string {
	var b strings.Builder
	b.Grow(recoveryLen)
	for _, r := range strings.ToLower(code) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'i', 'l':
			r = '1'
		case 'o':
			r = '0'
		}
		b.WriteRune(r)
	}

	return b.String()
}

func notCrockford(r rune) bool {
	return !strings.ContainsRune(crockford, r)
}
