package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode"
)

// maxJSONDepth bounds nesting, so a body of a million '[' costs nothing.
const maxJSONDepth = 32

// decode reads exactly one JSON object into dst. Unknown fields, trailing data,
// wrong types, too deep nesting and oversized bodies are client errors.
func decode(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send Content-Type: application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
				Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
		}
		return errBadRequest("bad_body", "could not read the request body")
	}
	return decodeBytes(body, dst)
}

// decodeBytes is decode's parser, apart so that fuzzing reaches it directly.
func decodeBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errBadRequest("empty_body", "request body is empty")
	}
	if err := checkDepth(body); err != nil {
		return err
	}
	if err := checkKeys(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadRequest("invalid_json", "request body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) *Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return errBadRequest("invalid_json",
			fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errBadRequest("invalid_json", "request body must be a JSON object")
		}
		return errField(typ.Field, "must be a "+typeName(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Status: http.StatusBadRequest, Code: "unknown_field",
			Message: "unknown field " + sanitize(field, 64), Fields: map[string]string{
				sanitize(field, 64): "is not a known field"}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("invalid_json", "request body ends too soon")
	}
	return errBadRequest("invalid_json", "request body is not valid JSON")
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct":
		return "object"
	}
	return "number"
}

// checkKeys refuses what encoding/json would quietly accept in a top-level object: a
// key given twice (the last would win) and a key that matches a field only without
// regard to case ("SYMBOL" for "symbol").
func checkKeys(body []byte, dst any) error {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	known := map[string]bool{}
	for i := range t.Elem().NumField() {
		name, _, _ := strings.Cut(t.Elem().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			known[name] = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // not an object: Decode reports it properly
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if seen[key] {
			return errField(sanitize(key, 64), "is given more than once")
		}
		seen[key] = true
		if !known[key] {
			return &Error{Status: http.StatusBadRequest, Code: "unknown_field",
				Message: "unknown field " + sanitize(key, 64), Fields: map[string]string{
					sanitize(key, 64): "is not a known field"}}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// checkDepth scans for nesting deeper than maxJSONDepth, outside strings.
func checkDepth(b []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			if depth > maxJSONDepth {
				return errBadRequest("too_deep", "JSON nesting is too deep")
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// sanitize drops control characters and bounds length, for free text that is
// stored or echoed.
func sanitize(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit])
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
