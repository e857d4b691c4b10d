package postgres

import (
	"math"
	"time"

	"github.com/octopus-venue/octopus/internal/store"
)

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromNull reads a nullable time as UTC, NULL being the zero time.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// stamp is t in UTC at the precision the database keeps, or now when t is zero.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// orDefault is t, or def when t is zero.
func orDefault(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// bytesOrNil reads a NULL or empty bytea as nil.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// orEmpty stores a nil list as an empty array rather than NULL.
func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// nilIfEmpty reads an empty array as nil.
func nilIfEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
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
