// Package apikey issues API keys, stores them as keyed hashes, and signs and
// verifies requests made with them.
//
// # Keys
//
// A key reads oct_<id>_<secret>: the fixed prefix lets secret scanners
// recognise leaked keys, the 12-character id (60 random bits) is public and
// finds the stored record, and the secret is 32 random bytes. Both parts use
// the lower-case RFC 4648 base32 alphabet (a-z, 2-7), so a key is one word
// to a double click and the underscores are unambiguous separators:
//
//	oct_k7m2q5xw4tzp_aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypq
//
// The server stores only HMAC-SHA256(pepper, secret) where secret is the 52
// characters after the second underscore, so a copy of the database alone
// does not let anyone check guesses.
//
// # Signed requests
//
// A client may sign each request. The canonical string is
//
//	METHOD "\n" PATH?QUERY "\n" TIMESTAMP "\n" hex(SHA-256(body))
//
// with the method as sent (upper case), the path and raw query exactly as
// in the request line, the timestamp in Unix milliseconds as decimal, and
// the body's digest in lower-case hex (the digest of no bytes when there is
// no body). The timestamp goes in X-Octopus-Timestamp and the signature in
// X-Octopus-Signature as either
//
//	hmac-sha256=<64 lower-case hex digits>
//	ed25519=<standard base64 with padding of the 64-byte signature>
//
// For hmac-sha256 the HMAC key is the raw 32 secret bytes, that is the
// secret part of the key decoded from base32, not its text. For ed25519 the
// client holds the private key and the server the registered public key.
//
// Worked example (asserted in TestWorkedExample): the key above, whose
// secret decodes to the bytes 0x00, 0x01, ..., 0x1f, signing
//
//	POST /api/v1/orders?symbol=BTC-USD at 1700000000000 with body
//	{"symbol":"BTC-USD","side":"buy","type":"limit","price":"30000.00","quantity":"0.5"}
//
// gives the canonical string
//
//	POST
//	/api/v1/orders?symbol=BTC-USD
//	1700000000000
//	e416dcccd7d27e3c434ae41f753e2ce2dfdc61d6ad39c416720165198381fafc
//
// (no newline at the end) and the header
//
//	X-Octopus-Signature: hmac-sha256=55003bcfc8a9f77567600496bdc3d267a6bc2a007daf6def1bc6e1c6cfd4b51f
//
// Servers reject timestamps more than a window (DefaultWindow, 5 s) away from
// their clock in either direction. Within the window a captured request
// could be replayed; the caller stops that by remembering each accepted
// signature until the window has passed. Verification accepts exactly one
// text per signature (lower-case hex; base64 with no spare bits), and
// Ed25519 verification rejects malleated signatures, so the header value
// itself is a sound key for that memory.
package apikey
