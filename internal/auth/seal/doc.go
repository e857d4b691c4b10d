// Package seal encrypts small secrets at rest, such as TOTP seeds, under a
// key derived from the server's SECRET_KEY.
//
// Each purpose ("totp-seed", "webhook-secret", ...) gets its own 256-bit key,
// derived with HKDF-SHA256 (RFC 5869) from SECRET_KEY with the purpose as
// the info label, so a value sealed for one purpose cannot be opened as
// another. Sealing uses AES-256-GCM with a random 96-bit nonce.
//
// A sealed value is laid out as
//
//	version (1 byte, 0x01) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)
//
// The version byte is also authenticated, as part of the additional data, so
// it cannot be changed without Open failing. Callers should pass a value that
// binds the secret to its owner (for example the user id) as associated data,
// so that sealed values cannot be swapped between rows.
//
// Random nonces keep a key safe for about 2^32 seals (NIST SP 800-38D, 8.3);
// one purpose key per kind of secret is far below that.
package seal
