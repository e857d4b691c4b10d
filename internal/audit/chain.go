package audit

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/octopus-venue/octopus/internal/store"
)

// Record is one audit record. The store defines it, so stores need not import
// this package.
type Record = store.AuditRecord

// hashLabel starts every record encoding; it versions the encoding.
const hashLabel = "octopus-audit-v1"

// genesis is the PrevHash of record 1.
var genesis = make([]byte, store.AuditHashSize)

// Genesis returns the PrevHash of the first record: 32 zero bytes.
func Genesis() []byte { return append([]byte(nil), genesis...) }

// HashRecord computes r's hash over the encoding in the package documentation.
// r.Hash itself is not part of it.
func HashRecord(r *Record) []byte {
	size := 8*6 + 4*11 + len(hashLabel) + len(r.RequestID) + len(r.APIKeyID) + len(r.Role) +
		len(r.ClientIP) + len(r.Method) + len(r.Route) + len(r.Path) + len(r.UserAgent) +
		len(r.Summary) + len(r.PrevHash)
	b := make([]byte, 0, size)
	b = appendStr(b, hashLabel)
	b = binary.BigEndian.AppendUint64(b, uint64(r.ID))
	b = appendI64(b, r.ChainedAt.UnixMicro())
	b = appendI64(b, r.Time.UnixMicro())
	b = appendStr(b, r.RequestID)
	b = appendI64(b, r.UserID)
	b = appendStr(b, r.APIKeyID)
	b = appendStr(b, r.Role)
	b = appendStr(b, r.ClientIP)
	b = appendStr(b, r.Method)
	b = appendStr(b, r.Route)
	b = appendStr(b, r.Path)
	b = appendI64(b, int64(r.Status))
	b = appendI64(b, r.LatencyMicros)
	b = appendStr(b, r.UserAgent)
	b = appendStr(b, r.Summary)
	b = appendStr(b, string(r.PrevHash))
	sum := sha256.Sum256(b)
	return sum[:]
}

// appendI64 appends v as 8 big-endian bytes, two's complement.
func appendI64(b []byte, v int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// appendStr appends s with its 32-bit big-endian length in front.
func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
