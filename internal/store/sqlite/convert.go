package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// micros turns a time into unix microseconds for storage; the zero time is NULL.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// stamp is t in UTC at the precision the database keeps, or now when t is zero.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullID stores a zero id as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// bytesOrNil reads a NULL or empty blob as nil.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// encodeStrings stores a string list as a JSON array.
func encodeStrings(list []string) (string, error) {
	if list == nil {
		list = []string{}
	}
	b, err := json.Marshal(list)
	if err != nil {
		return "", fmt.Errorf("encode list: %w", err)
	}
	return string(b), nil
}

// decodeStrings reads a JSON array; an empty array reads as nil.
func decodeStrings(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

// Page limits.
const (
	defaultLimit = 100
	maxLimit     = 500
	// maxTradesBetween is larger than a page: bar building reads whole windows.
	maxTradesBetween = 10_000
)

// bounds turns a page into the exclusive id range (after, before) and a limit
// clamped to [1, maxLimit].
func bounds(p store.Page) (after, before int64, limit int) {
	before = p.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	return max(p.After, 0), before, clampLimit(p.Limit, maxLimit)
}

// clampLimit applies the default limit to zero and keeps others in [1, most].
func clampLimit(limit, most int) int {
	if limit == 0 {
		return defaultLimit
	}
	return min(max(limit, 1), most)
}
