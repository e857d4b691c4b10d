package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// digestLabel starts every signed digest message; it versions the format.
const digestLabel = "octopus-audit-digest-v1"

// Digest is a signed statement that record ID, with hash Hash, was the head of
// the written chain at Time. One JSON line of the digest file.
type Digest struct {
	ID        int64     `json:"id"`
	Hash      string    `json:"hash"` // lower-case hex
	Time      time.Time `json:"time"` // UTC, microseconds
	KeyID     string    `json:"key_id"`
	Signature string    `json:"sig"` // standard base64
}

// message is what the signature covers; see the package documentation.
func (d Digest) message() []byte {
	return []byte(digestLabel + "|" + strconv.FormatInt(d.ID, 10) + "|" + d.Hash + "|" +
		d.Time.UTC().Format(time.RFC3339Nano))
}

// SignDigest signs the head (id, hash) at time at with key.
func SignDigest(key ed25519.PrivateKey, id int64, hash []byte, at time.Time) Digest {
	d := Digest{
		ID: id, Hash: hex.EncodeToString(hash), Time: at.UTC().Truncate(time.Microsecond),
		KeyID: KeyID(key.Public().(ed25519.PublicKey)),
	}
	d.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, d.message()))
	return d
}

// ErrBadSignature means a digest's signature does not verify under the key.
var ErrBadSignature = errors.New("audit: digest signature does not verify")

// Check verifies d's signature with pub.
func (d Digest) Check(pub ed25519.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(d.Signature)
	if err != nil || !ed25519.Verify(pub, d.message(), sig) {
		return ErrBadSignature
	}
	return nil
}

// appendDigest writes d as one JSON line at the end of the file at path,
// creating it (mode 0600) and its directory when missing, and syncs it.
func appendDigest(path string, d Digest) error {
	line, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode digest: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create digest directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open digest file: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write digest: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync digest file: %w", err)
	}
	return f.Close()
}
