package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of draft-ietf-httpapi-ratelimit-headers and RFC 9110.
const (
	HeaderPolicy     = "RateLimit-Policy"
	HeaderRateLimit  = "RateLimit"
	HeaderRetryAfter = "Retry-After"
)

// WriteHeaders describes rule and its decision in h, in the structured-field form of
// draft-ietf-httpapi-ratelimit-headers:
//
//	RateLimit-Policy: "<name>";q=<Limit+Burst>;w=<window seconds>
//	RateLimit: "<name>";r=<remaining>;t=<reset seconds>
//
// and, when the request was refused, Retry-After in whole seconds rounded up (RFC
// 9110 section 10.2.3). Durations are rounded up so a client never comes back early.
// q is the capacity, so that r never exceeds it.
//
// A request checked against several rules gets each appended to the same list
// fields, and the longest Retry-After. Shadow rules write nothing: clients must not
// adapt to a limit that is not enforced.
func WriteHeaders(h http.Header, rule Rule, d Decision) {
	if rule.Shadow {
		return
	}

	name := sfString(rule.Name)
	appendList(h, HeaderPolicy, name+";q="+strconv.Itoa(rule.Capacity())+
		";w="+strconv.FormatInt(ceilSeconds(rule.Window), 10))
	appendList(h, HeaderRateLimit, name+";r="+strconv.Itoa(max(d.Remaining, 0))+
		";t="+strconv.FormatInt(ceilSeconds(d.Reset), 10))

	if d.Allowed {
		return
	}
	retry := max(ceilSeconds(d.RetryAfter), 1)
	if old, err := strconv.ParseInt(h.Get(HeaderRetryAfter), 10, 64); err == nil && old > retry {
		retry = old
	}
	h.Set(HeaderRetryAfter, strconv.FormatInt(retry, 10))
}

// appendList adds one member to a structured-field list header, on the same line.
func appendList(h http.Header, name, member string) {
	if old := h.Get(name); old != "" {
		member = old + ", " + member
	}
	h.Set(name, member)
}

// ceilSeconds rounds d up to whole seconds; negative durations count as zero.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}

	return int64((d + time.Second - 1) / time.Second)
}

// sfString encodes s as a structured-field string (RFC 9651 section 3.3.3): quoted,
// with '"' and '\' escaped. Characters outside printable ASCII are not allowed there
// and are dropped; Rule.Validate keeps them out of names anyway.
func sfString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c <= 0x7e:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')

	return b.String()
}
