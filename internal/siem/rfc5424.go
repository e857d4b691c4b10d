package siem

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// RFC 5424 §6 limits and constants.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxSDName   = 32

	// sdID names our structured data element. 32473 is the private
	// enterprise number reserved for documentation (RFC 5612); it keeps the
	// element well-formed without claiming a number we do not own.
	sdID = "octopus@32473"

	// minRecordLimit is the smallest length bound formatRFC5424 honours:
	// the longest possible header plus the reduced structured data fit in it.
	minRecordLimit = 1024

	// maxReducedValue bounds each value kept when a record is cut to size.
	maxReducedValue = 64

	utf8BOM = "\xEF\xBB\xBF"
)

// syslogHeader holds the RFC 5424 header fields that do not come from the
// event itself.
type syslogHeader struct {
	Facility int
	Hostname string
	AppName  string
	ProcID   string
}

// reservedParams are the SD-PARAM names the formatter writes itself; event
// fields with these names are renamed so they cannot pose as them.
var reservedParams = []string{"kind", "type", "severity", "truncated"}

// formatRFC5424 renders ev as one RFC 5424 record, without transport
// framing. Every byte of the result is printable: header fields keep only
// printable US-ASCII (§6), while SD values and MSG have control and other
// non-printable characters escaped, so no input can end the record early or
// start a forged one. When limit >= minRecordLimit the record is at most
// limit bytes long: MSG is cut first, then the event fields are left out,
// and the element gets truncated="true".
func formatRFC5424(h syslogHeader, ev Event, limit int) []byte {
	head := formatHeader(h, ev)
	sd := formatSD(ev, true, false)
	if limit < minRecordLimit {
		limit = 0
	}

	rec, ok := assemble(head, sd, ev.Message, limit)
	if ok {
		return rec
	}

	rec, ok = assemble(head, formatSD(ev, true, true), ev.Message, limit)
	if ok {
		return rec
	}

	rec, _ = assemble(head, formatSD(ev, false, true), ev.Message, limit)
	return rec
}

// assemble joins head, sd and as much of msg as fits in limit (0 means no
// limit). It reports false when msg had to be cut but sd does not say so.
func assemble(head, sd, msg string, limit int) ([]byte, bool) {
	budget := -1
	if limit > 0 {
		budget = limit - len(head) - len(sd)
		if budget < 0 {
			return nil, false
		}
	}

	var text string
	cut := false
	switch {
	case msg == "":
	case budget == 0:
		cut = true
	default:
		// One byte of the budget goes to the space before MSG.
		text, cut = escapeMsg(msg, budget-1)
	}
	if cut && !strings.Contains(sd, ` truncated="true"`) {
		return nil, false
	}

	b := make([]byte, 0, len(head)+len(sd)+1+len(text))
	b = append(b, head...)
	b = append(b, sd...)
	if text != "" {
		b = append(b, ' ')
		b = append(b, text...)
	}
	return b, true
}

// escapeMsg escapes msg for the MSG part within budget bytes (negative means
// no bound) and adds the BOM that §6.4 asks for when the text is UTF-8.
func escapeMsg(msg string, budget int) (string, bool) {
	text, cut := escapeText(msg, budget)
	if !isASCII(text) {
		if budget >= 0 {
			text, cut = escapeText(msg, max(budget-len(utf8BOM), 0))
		}
		if !isASCII(text) {
			text = utf8BOM + text
		}
	}
	return text, cut
}

func formatHeader(h syslogHeader, ev Event) string {
	pri := h.Facility*8 + syslogSeverity(ev.Severity)

	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(strconv.Itoa(pri))
	b.WriteString(">1 ")
	b.WriteString(formatTimestamp(ev.Time))
	for _, f := range []struct {
		v   string
		max int
	}{
		{h.Hostname, maxHostname},
		{h.AppName, maxAppName},
		{h.ProcID, maxProcID},
		{ev.Type, maxMsgID},
	} {
		b.WriteByte(' ')
		b.WriteString(headerField(f.v, f.max))
	}
	b.WriteByte(' ')
	return b.String()
}

// formatTimestamp renders t per §6.2.3 in UTC with microseconds, or the
// NILVALUE when t is unset or outside what RFC 3339 can express.
func formatTimestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return "-"
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// headerField keeps a header field within PRINTUSASCII (§6: %d33-126),
// replacing anything else with '_' and cutting it to max characters.
func headerField(s string, max int) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() == max {
			break
		}
		if r < 33 || r > 126 {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// formatSD renders the structured data element. withFields adds the event
// fields; truncated marks a record that was cut to fit a datagram, in
// which case the fixed values are shortened too.
func formatSD(ev Event, withFields, truncated bool) string {
	limit := -1
	if !withFields {
		limit = maxReducedValue
	}

	var b strings.Builder
	b.WriteString("[" + sdID)
	writeParam(&b, "kind", ev.Kind, limit)
	writeParam(&b, "type", ev.Type, limit)
	writeParam(&b, "severity", ev.Severity, limit)
	if truncated {
		writeParam(&b, "truncated", "true", -1)
	}
	if withFields {
		for _, k := range slices.Sorted(maps.Keys(ev.Fields)) {
			writeParam(&b, paramName(k), ev.Fields[k], -1)
		}
	}
	b.WriteByte(']')
	return b.String()
}

func writeParam(b *strings.Builder, name, value string, limit int) {
	text, _ := escapeText(value, limit)
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	b.WriteString(escapeParamValue(text))
	b.WriteByte('"')
}

// paramName turns a field key into a valid SD-NAME (§6.3.3: PRINTUSASCII
// except '=', SP, ']' and '"', at most 32 characters) that cannot pose as
// one of the parameters the formatter writes itself.
func paramName(key string) string {
	var b strings.Builder
	for _, r := range key {
		if b.Len() == maxSDName {
			break
		}
		if r < 33 || r > 126 || r == '=' || r == ']' || r == '"' {
			r = '_'
		}
		b.WriteRune(r)
	}
	name := b.String()
	if name == "" {
		return "_"
	}
	if slices.Contains(reservedParams, name) {
		name = "field_" + name
	}
	return name
}

// escapeParamValue applies the §6.3.3 escapes: '"', '\' and ']' get a
// backslash in front.
func escapeParamValue(s string) string {
	if !strings.ContainsAny(s, `"\]`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c == ']' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeText makes s printable: a backslash becomes `\\`, and every rune
// that unicode.IsPrint rejects (C0 and C1 controls, DEL, line and paragraph
// separators, bidi overrides) or every byte of invalid UTF-8 becomes a Go
// escape such as \n, \x00 or \u2028. The result decodes back to s with
// strconv.UnquoteChar. With limit >= 0 the output stops before the first
// escape or rune that would pass limit bytes, and cut reports that.
func escapeText(s string, limit int) (text string, cut bool) {
	var b strings.Builder
	var tmp [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])

		var tok string
		switch {
		case r == utf8.RuneError && size == 1:
			tok = `\x` + hex2(s[i])
		case r == '\\':
			tok = `\\`
		case unicode.IsPrint(r):
			n := utf8.EncodeRune(tmp[:], r)
			tok = string(tmp[:n])
		default:
			q := strconv.QuoteRune(r)
			tok = q[1 : len(q)-1]
		}

		if limit >= 0 && b.Len()+len(tok) > limit {
			return b.String(), true
		}
		b.WriteString(tok)
		i += size
	}
	return b.String(), false
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0x0f]})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
