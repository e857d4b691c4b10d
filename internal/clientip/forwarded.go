package clientip

import "strings"

// splitForwarded returns the for= value of each element of one RFC 7239 Forwarded
// line, left to right. The grammar (RFC 7239 section 4) is a comma-separated list of
// elements, each a semicolon-separated list of name=value pairs, values being tokens
// or quoted strings. Anything else, an element without for= or a repeated for= makes
// the whole line malformed.
func splitForwarded(line string) ([]string, bool) {
	var fors []string
	var cur string
	seen := false
	for {
		line = trimOWS(line)

		name, rest := cutToken(line)
		if name == "" || !strings.HasPrefix(rest, "=") {
			return nil, false
		}

		value, rest, ok := cutValue(rest[1:])
		if !ok {
			return nil, false
		}
		if strings.EqualFold(name, "for") {
			if seen {
				return nil, false
			}
			cur, seen = value, true
		}

		line = trimOWS(rest)
		if line == "" || line[0] == ',' {
			if !seen {
				return nil, false
			}
			fors = append(fors, cur)
			cur, seen = "", false
		}
		if line == "" {
			return fors, true
		}
		if line[0] != ',' && line[0] != ';' {
			return nil, false
		}
		line = line[1:]
	}
}

// cutValue reads a token or a quoted string (RFC 9110 section 5.6.4) from the start
// of s. Colons and brackets are accepted unquoted although RFC 7239 wants IPv6 and
// ports quoted, since some proxies forget; the address parser judges them afterwards.
func cutValue(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		v, rest := cutToken(s)

		return v, rest, v != ""
	}

	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			if i+1 == len(s) {
				return "", "", false
			}
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}

	return "", "", false
}

// cutToken splits s after its leading run of token characters.
func cutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}

	return s[:i], s[i:]
}

// isTokenChar reports whether c is a tchar (RFC 9110 section 5.6.2), or one of the
// characters of an unquoted IPv6 literal with port.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}

	return strings.IndexByte("!#$%&'*+-.^_`|~:[]", c) >= 0
}

// trimOWS drops optional whitespace (spaces and tabs) from both ends.
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}
