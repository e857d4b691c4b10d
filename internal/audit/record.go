package audit

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Field bounds, in bytes. Longer values are cut at a character boundary and end
// in "…", so a client cannot grow the table with a huge user agent or path.
const (
	MaxRequestID = 64
	MaxRole      = 32
	MaxClientIP  = 64
	MaxMethod    = 16
	MaxRoute     = 256
	MaxPath      = 1024
	MaxUserAgent = 256
	MaxSummary   = 512
)

// Redacted replaces a credential-shaped string found in a recorded field.
const Redacted = "[redacted]"

// Request is what the API knows about one answered request; it mirrors
// httpapi.RequestInfo without importing it. Nothing here comes from a body, and
// no header but User-Agent is read.
type Request struct {
	Time      time.Time
	RequestID string
	UserID    int64
	APIKeyID  string // the public key id, hashed before it is stored
	Role      string
	ClientIP  string
	Method    string
	Route     string
	Path      string // query string and fragment are dropped
	Status    int
	Latency   time.Duration
	UserAgent string
	Summary   string
}

// FromRequest builds the record of req. The API key id is stored as h's keyed
// hash; h must not be nil when req.APIKeyID is set. The chain fields (ID,
// ChainedAt, PrevHash, Hash) are left for the Writer.
func FromRequest(req Request, h *Hasher) Record {
	r := Record{
		Time:          req.Time.UTC().Truncate(time.Microsecond),
		RequestID:     clean(req.RequestID, MaxRequestID),
		UserID:        req.UserID,
		Role:          clean(req.Role, MaxRole),
		ClientIP:      clean(req.ClientIP, MaxClientIP),
		Method:        clean(req.Method, MaxMethod),
		Route:         clean(req.Route, MaxRoute),
		Path:          clean(redact(stripQuery(req.Path)), MaxPath),
		Status:        req.Status,
		LatencyMicros: req.Latency.Microseconds(),
		UserAgent:     clean(redact(req.UserAgent), MaxUserAgent),
		Summary:       clean(redact(req.Summary), MaxSummary),
	}
	if req.APIKeyID != "" {
		r.APIKeyID = h.Hash(req.APIKeyID)
	}
	return r
}

// stripQuery drops anything from the first '?' or '#': the API never takes a
// credential in a query string, but a client may still send one there.
func stripQuery(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		return path[:i]
	}
	return path
}

// credentialPattern matches an Octopus API key (oct_<id>_<secret>) and anything
// shaped like a JWT (three base64url parts, the first a JSON object).
var credentialPattern = regexp.MustCompile(
	`oct_[A-Za-z0-9]+_[A-Za-z0-9]+|eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// redact replaces credential-shaped substrings of s with Redacted.
func redact(s string) string {
	if !strings.Contains(s, "oct_") && !strings.Contains(s, "eyJ") {
		return s
	}
	return credentialPattern.ReplaceAllString(s, Redacted)
}

// clean replaces invalid UTF-8, control characters and line or paragraph
// separators with '?', so a recorded value can never forge a line in a log or a
// syslog message built from it, and bounds it to max bytes.
func clean(s string, max int) string {
	if !isClean(s) {
		var b strings.Builder
		for i, r := range s {
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
					r = '?'
				}
			}
			if unsafeRune(r) {
				r = '?'
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// isClean reports whether s is valid UTF-8 without unsafe characters.
func isClean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unsafeRune(r) {
			return false
		}
	}
	return true
}

// unsafeRune reports C0 and C1 controls, DEL and the Unicode line and
// paragraph separators.
func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}
