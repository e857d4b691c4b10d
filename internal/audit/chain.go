package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"

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
	e := encoder{h: sha256.New()}
	e.str(hashLabel)
	e.u64(uint64(r.ID))
	e.i64(r.ChainedAt.UnixMicro())
	e.i64(r.Time.UnixMicro())
	e.str(r.RequestID)
	e.i64(r.UserID)
	e.str(r.APIKeyID)
	e.str(r.Role)
	e.str(r.ClientIP)
	e.str(r.Method)
	e.str(r.Route)
	e.str(r.Path)
	e.i64(int64(r.Status))
	e.i64(r.LatencyMicros)
	e.str(r.UserAgent)
	e.str(r.Summary)
	e.bytes(r.PrevHash)
	return e.h.Sum(nil)
}

// encoder writes the canonical encoding straight into a hash.
type encoder struct {
	h   hash.Hash
	buf [8]byte
}

func (e *encoder) u64(v uint64) {
	binary.BigEndian.PutUint64(e.buf[:], v)
	e.h.Write(e.buf[:])
}

func (e *encoder) i64(v int64) { e.u64(uint64(v)) }

func (e *encoder) str(s string) {
	binary.BigEndian.PutUint32(e.buf[:4], uint32(len(s)))
	e.h.Write(e.buf[:4])
	e.h.Write([]byte(s))
}

func (e *encoder) bytes(b []byte) {
	binary.BigEndian.PutUint32(e.buf[:4], uint32(len(b)))
	e.h.Write(e.buf[:4])
	e.h.Write(b)
}
