package siem

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// record is an RFC 5424 record taken apart by parseRecord.
type record struct {
	pri       int
	timestamp string
	hostname  string
	appName   string
	procID    string
	msgID     string
	sdID      string
	params    []param // values with the §6.3.3 escapes removed
	msg       string  // raw MSG, BOM included
	hasMsg    bool
}

type param struct{ name, value string }

// get returns the decoded value of the first parameter called name.
func (r record) get(name string) (string, bool) {
	for _, p := range r.params {
		if p.name == name {
			v, err := unescapeText(p.value)
			return v, err == nil
		}
	}
	return "", false
}

// parseRecord is a strict reader of the subset of RFC 5424 we emit: one
// SD element, header fields separated by single spaces.
func parseRecord(s string) (record, error) {
	var r record
	if !strings.HasPrefix(s, "<") {
		return r, errors.New("no PRI")
	}
	end := strings.Index(s, ">")
	if end < 2 || end > 4 {
		return r, errors.New("bad PRI")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri < 0 || pri > 191 {
		return r, errors.New("bad PRI value")
	}
	r.pri = pri
	s = s[end+1:]

	fields := strings.SplitN(s, " ", 7)
	if len(fields) != 7 || fields[0] != "1" {
		return r, errors.New("bad header")
	}
	r.timestamp, r.hostname, r.appName = fields[1], fields[2], fields[3]
	r.procID, r.msgID = fields[4], fields[5]
	rest := fields[6]

	if !strings.HasPrefix(rest, "[") {
		return r, errors.New("no SD element")
	}
	rest, err = r.parseSD(rest[1:])
	if err != nil {
		return r, err
	}
	if rest != "" {
		if rest[0] != ' ' {
			return r, errors.New("no space before MSG")
		}
		r.msg, r.hasMsg = rest[1:], true
	}
	return r, nil
}

// parseSD reads "SD-ID *(SP PARAM-NAME="VALUE")]" and returns the rest.
func (r *record) parseSD(s string) (string, error) {
	i := strings.IndexAny(s, " ]")
	if i < 1 {
		return "", errors.New("bad SD-ID")
	}
	r.sdID = s[:i]
	s = s[i:]
	for {
		if strings.HasPrefix(s, "]") {
			return s[1:], nil
		}
		if !strings.HasPrefix(s, " ") {
			return "", errors.New("bad SD-PARAM separator")
		}
		s = s[1:]
		eq := strings.Index(s, `="`)
		if eq < 1 || strings.ContainsAny(s[:eq], ` ]"`) {
			return "", errors.New("bad PARAM-NAME")
		}
		name := s[:eq]
		s = s[eq+2:]

		var v strings.Builder
		closed := false
		for len(s) > 0 && !closed {
			c := s[0]
			switch {
			case c == '\\' && len(s) > 1 && strings.IndexByte(`"\]`, s[1]) >= 0:
				v.WriteByte(s[1])
				s = s[2:]
			case c == '"':
				closed = true
				s = s[1:]
			case c == ']' || c == '\\':
				return "", fmt.Errorf("unescaped %q in PARAM-VALUE", c)
			default:
				v.WriteByte(c)
				s = s[1:]
			}
		}
		if !closed {
			return "", errors.New("unterminated PARAM-VALUE")
		}
		r.params = append(r.params, param{name, v.String()})
	}
}

// unescapeText undoes escapeText.
func unescapeText(s string) (string, error) {
	var b []byte
	for len(s) > 0 {
		v, multibyte, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			return "", err
		}
		if v < utf8.RuneSelf || !multibyte {
			b = append(b, byte(v))
		} else {
			b = utf8.AppendRune(b, v)
		}
		s = tail
	}
	return string(b), nil
}

// decodeMsg strips the BOM and undoes escapeText.
func decodeMsg(msg string) (string, error) {
	return unescapeText(strings.TrimPrefix(msg, utf8BOM))
}

var testHeader = syslogHeader{
	Facility: FacilityAuthPriv,
	Hostname: "venue-1",
	AppName:  "octopus",
	ProcID:   "4242",
}

func TestFormatRFC5424(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))
	tests := []struct {
		name   string
		header syslogHeader
		ev     Event
		want   string
	}{
		{
			name:   "security event with fields",
			header: testHeader,
			ev: Event{
				Time: at, Kind: KindSecurityEvent, Type: "failed_login_attempt",
				Severity: SeverityMedium, Message: "login failed",
				Fields: map[string]string{"user": "alice", "client_ip": "192.0.2.7"},
			},
			want: `<84>1 2026-03-04T04:06:07.123456Z venue-1 octopus 4242 failed_login_attempt ` +
				`[octopus@32473 kind="security_event" type="failed_login_attempt" severity="medium" ` +
				`client_ip="192.0.2.7" user="alice"] login failed`,
		},
		{
			name:   "local0 critical without message or time",
			header: syslogHeader{Facility: FacilityLocal0},
			ev:     Event{Kind: KindAudit, Type: "key_rotated", Severity: SeverityCritical},
			want: `<130>1 - - - - key_rotated ` +
				`[octopus@32473 kind="audit" type="key_rotated" severity="critical"]`,
		},
		{
			name:   "SD escapes per RFC 5424 section 6.3.3",
			header: testHeader,
			ev: Event{
				Time: at, Type: "t", Severity: SeverityInfo,
				Fields: map[string]string{"q": `a"b\c]d`},
			},
			want: `<86>1 2026-03-04T04:06:07.123456Z venue-1 octopus 4242 t ` +
				`[octopus@32473 kind="" type="t" severity="info" q="a\"b\\\\c\]d"]`,
		},
		{
			name:   "header fields keep printable ASCII only",
			header: syslogHeader{Facility: 4, Hostname: "host name\n", AppName: "app\x00x", ProcID: "1"},
			ev:     Event{Time: at, Type: "type with spaces and é", Severity: SeverityLow},
			want: `<37>1 2026-03-04T04:06:07.123456Z host_name_ app_x 1 type_with_spaces_and__ ` +
				`[octopus@32473 kind="" type="type with spaces and é" severity="low"]`,
		},
		{
			name:   "field names sanitised and reserved ones renamed",
			header: testHeader,
			ev: Event{
				Time: at, Type: "t", Severity: SeverityHigh,
				Fields: map[string]string{"kind": "forged", "a b=c]": "v"},
			},
			want: `<83>1 2026-03-04T04:06:07.123456Z venue-1 octopus 4242 t ` +
				`[octopus@32473 kind="" type="t" severity="high" a_b_c_="v" field_kind="forged"]`,
		},
		{
			name:   "non-ASCII message gets the BOM",
			header: testHeader,
			ev:     Event{Time: at, Type: "t", Severity: SeverityInfo, Message: "Zürich"},
			want: `<86>1 2026-03-04T04:06:07.123456Z venue-1 octopus 4242 t ` +
				`[octopus@32473 kind="" type="t" severity="info"] ` + utf8BOM + "Zürich",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(formatRFC5424(tt.header, tt.ev, 0))
			if got != tt.want {
				t.Errorf("formatRFC5424()\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFormatRFC5424NeutralisesForging(t *testing.T) {
	tests := []struct {
		name    string
		message string
		field   string
	}{
		{"newline and fake header", "login failed\n<13>1 2026-01-01T00:00:00Z evil app - - - forged", "x"},
		{"carriage return and NUL", "a\r\n\x00<13>1 fake", "b"},
		{"unicode line separators", "a\u2028<13>1 fake\u2029\u0085next", "c"},
		{"escape sequences and bidi override", "\x1b[31mred\u202eevil", "d"},
		{"field breaks out of SD", "m", "v\"] <13>1 fake [x a=\"b"},
		{"octet count forged in field", "m", "\n99 <13>1 fake"},
		{"invalid UTF-8", "\xff\xfe<13>\xc0", "\xed\xa0\x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Event{Type: "failed_login_attempt", Severity: SeverityHigh, Message: tt.message,
				Fields: map[string]string{"user": tt.field}}
			rec := string(formatRFC5424(testHeader, ev, 0))

			if err := checkPrintable(rec); err != nil {
				t.Fatalf("record %q: %v", rec, err)
			}
			r, err := parseRecord(rec)
			if err != nil {
				t.Fatalf("parse %q: %v", rec, err)
			}
			if got, _ := decodeMsg(r.msg); got != tt.message {
				t.Errorf("message decodes to %q, want %q", got, tt.message)
			}
			if got, _ := r.get("user"); got != tt.field {
				t.Errorf("field decodes to %q, want %q", got, tt.field)
			}
		})
	}
}

func TestFormatRFC5424Limit(t *testing.T) {
	long := strings.Repeat("é\n", 3000)
	tests := []struct {
		name          string
		ev            Event
		limit         int
		wantTruncated bool
		wantFields    bool
	}{
		{"fits", Event{Type: "t", Message: "short", Fields: map[string]string{"k": "v"}}, 1024, false, true},
		{"message cut", Event{Type: "t", Message: long, Fields: map[string]string{"k": "v"}}, 1024, true, true},
		{"fields dropped", Event{Type: "t", Message: long,
			Fields: map[string]string{"k": strings.Repeat("x", 5000)}}, 2048, true, false},
		{"huge type", Event{Type: strings.Repeat("t", 5000), Kind: strings.Repeat("k", 5000),
			Message: long}, 1024, true, false},
		{"no limit", Event{Type: "t", Message: long}, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := formatRFC5424(testHeader, tt.ev, tt.limit)
			if tt.limit > 0 && len(rec) > tt.limit {
				t.Fatalf("len %d > limit %d", len(rec), tt.limit)
			}
			if err := checkPrintable(string(rec)); err != nil {
				t.Fatal(err)
			}
			r, err := parseRecord(string(rec))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			_, truncated := r.get("truncated")
			if truncated != tt.wantTruncated {
				t.Errorf("truncated = %v, want %v", truncated, tt.wantTruncated)
			}
			if _, ok := r.get("k"); ok != tt.wantFields && tt.ev.Fields != nil {
				t.Errorf("fields kept = %v, want %v", ok, tt.wantFields)
			}
			msg, err := decodeMsg(r.msg)
			if err != nil {
				t.Fatalf("MSG does not decode: %v", err)
			}
			if !strings.HasPrefix(tt.ev.Message, msg) {
				t.Errorf("MSG is not a prefix of the message")
			}
		})
	}
}

// checkPrintable reports the first byte or rune that is not printable. A
// BOM is allowed where MSG starts.
func checkPrintable(rec string) error {
	if !utf8.ValidString(rec) {
		return errors.New("invalid UTF-8")
	}
	rec = strings.Replace(rec, "] "+utf8BOM, "] ", 1)
	for i, r := range rec {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("non-printable %U at %d", r, i)
		}
	}
	return nil
}

func FuzzFormatRFC5424(f *testing.F) {
	f.Add("host", "octopus", "42", "failed_login_attempt", "security_event", "high",
		"login failed", "user", "alice", int64(1767225600123456789), uint8(10), uint16(0))
	f.Add("h", "a", "p", "t", "k", "low", "x\n<13>1 fake", "k]", "v\"]\\", int64(0), uint8(16), uint16(1024))

	f.Fuzz(func(t *testing.T, host, app, procID, typ, kind, severity, msg, key, value string,
		nanos int64, facility uint8, limit uint16) {
		h := syslogHeader{Facility: int(facility % 24), Hostname: host, AppName: app, ProcID: procID}
		ev := Event{
			Time: time.Unix(0, nanos), Kind: kind, Type: typ, Severity: severity,
			Message: msg, Fields: map[string]string{key: value},
		}
		rec := string(formatRFC5424(h, ev, int(limit)))

		if err := checkPrintable(rec); err != nil {
			t.Fatalf("%v in %q", err, rec)
		}
		if int(limit) >= minRecordLimit && len(rec) > int(limit) {
			t.Fatalf("len %d > limit %d", len(rec), limit)
		}
		r, err := parseRecord(rec)
		if err != nil {
			t.Fatalf("parse %q: %v", rec, err)
		}

		if want := h.Facility*8 + syslogSeverity(severity); r.pri != want {
			t.Errorf("PRI %d, want %d", r.pri, want)
		}
		if want := formatTimestamp(ev.Time); r.timestamp != want {
			t.Errorf("TIMESTAMP %q, want %q", r.timestamp, want)
		}
		if r.timestamp != "-" {
			if _, err := time.Parse(time.RFC3339Nano, r.timestamp); err != nil {
				t.Errorf("TIMESTAMP %q: %v", r.timestamp, err)
			}
		}
		for _, c := range []struct {
			got, in string
			max     int
		}{
			{r.hostname, host, maxHostname},
			{r.appName, app, maxAppName},
			{r.procID, procID, maxProcID},
			{r.msgID, typ, maxMsgID},
		} {
			checkHeaderField(t, c.got, c.in, c.max)
		}
		if r.sdID != sdID {
			t.Errorf("SD-ID %q", r.sdID)
		}

		if _, truncated := r.get("truncated"); truncated {
			return
		}
		for name, want := range map[string]string{"kind": kind, "type": typ, "severity": severity} {
			if got, ok := r.get(name); !ok || got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if got, ok := r.get(paramName(key)); !ok || got != value {
			t.Errorf("field %q = %q, want %q", key, got, value)
		}
		if got, err := decodeMsg(r.msg); err != nil || got != msg {
			t.Errorf("MSG = %q, want %q", got, msg)
		}
	})
}

// checkHeaderField asserts a header field is PRINTUSASCII within max and
// equals the input when the input already was.
func checkHeaderField(t *testing.T, got, in string, max int) {
	t.Helper()
	if got == "" || len(got) > max {
		t.Errorf("header field %q: bad length", got)
	}
	for i := 0; i < len(got); i++ {
		if got[i] < 33 || got[i] > 126 {
			t.Errorf("header field %q: byte %d not PRINTUSASCII", got, i)
		}
	}
	clean := in != "" && len(in) <= max
	for i := 0; i < len(in); i++ {
		clean = clean && in[i] >= 33 && in[i] <= 126
	}
	if clean && got != in {
		t.Errorf("header field %q, want %q", got, in)
	}
	if in == "" && got != "-" {
		t.Errorf("empty header field gave %q, want NILVALUE", got)
	}
}
