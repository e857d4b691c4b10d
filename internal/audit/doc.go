// Package audit keeps the venue's audit trail: one record per answered API call,
// written in batches off the request path, chained by hashes so an edit shows,
// and pinned by signed digests so even a consistent rewrite of the whole table
// shows.
//
// # Records
//
// A record is built only from what the API knows about a request after it was
// answered (FromRequest): never from a body, and from no header but User-Agent.
// The path is kept without its query string; credential-shaped strings (API
// keys, JWTs) in the path, user agent or summary are replaced by "[redacted]";
// control characters are replaced and every text field is bounded. API key
// ids are stored as keyed hashes ("hmac:<hex>", see Hasher), which an admin can
// compute for a known id to search with.
//
// # Hash chain
//
// Records are numbered 1, 2, 3... by the one Writer goroutine that links them,
// and each carries the hash of the one before (PrevHash; 32 zero bytes for
// record 1). Hash is SHA-256 over this byte string, where u64 is an 8-byte
// big-endian unsigned integer, i64 an 8-byte big-endian two's complement integer,
// and str and bytes are a u32 big-endian byte length followed by the bytes
// (strings as UTF-8):
//
//	str("octopus-audit-v1")
//	u64(ID)
//	i64(ChainedAt as unix microseconds)
//	i64(Time as unix microseconds)
//	str(RequestID)
//	i64(UserID)
//	str(APIKeyID)
//	str(Role)
//	str(ClientIP)
//	str(Method)
//	str(Route)
//	str(Path)
//	i64(Status)
//	i64(LatencyMicros)
//	str(UserAgent)
//	str(Summary)
//	bytes(PrevHash)
//
// Every field is length-prefixed or fixed-width, so no two different records
// encode alike. ChainedAt never decreases along the chain; retention cuts by it,
// so what a cut leaves is always an unbroken run of ids.
//
// # Digests
//
// Every digest interval the Writer signs the newest written record with an
// Ed25519 key that is kept apart from the database, appends the digest as one
// JSON line to the digest file and hands it to an optional callback (SIEM):
//
//	{"id":123,"hash":"<hex>","time":"2025-03-14T15:09:26.535897Z","key_id":"<hex>","sig":"<base64>"}
//
// sig signs the UTF-8 bytes "octopus-audit-digest-v1|<id>|<hash>|<time>", with
// id in decimal, hash in lower-case hex and time exactly as in the JSON (RFC 3339,
// UTC). key_id is the first 8 bytes of SHA-256 of the public key, in hex. The
// leading label keeps the signing key from ever signing something that reads as
// another kind of message.
//
// # Verification and retention
//
// Verify walks the kept records oldest first and recomputes every hash and link,
// naming the first broken record; then each digest whose record is still kept
// must carry a valid signature and that record's hash. Rewriting the table
// consistently therefore fails at the first digest after the rewrite. A digest
// naming a record beyond the chain head shows records removed from the end.
//
// After a retention cut the oldest kept record's PrevHash is the anchor: it is
// trusted, because the record it names is gone. Removing the oldest records
// therefore looks like retention; Report.Oldest says how far back the kept chain
// reaches, for comparison with the configured retention.
package audit
