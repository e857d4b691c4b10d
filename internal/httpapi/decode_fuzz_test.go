package httpapi

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeBytes feeds arbitrary bodies to the strict JSON decoder behind every
// handler: it never panics, every refusal is a typed client error, and whatever it
// accepts is one JSON object of the target type.
func FuzzDecodeBytes(f *testing.F) {
	for _, seed := range []string{
		`{"symbol":"AAPL","side":"buy","type":"limit","price":"150.00","quantity":"1"}`,
		`{"username":"admin","password":"x","totp_code":"123456"}`,
		`{"symbol":"AAPL"} {}`, `[1,2]`, `{"symbol":`, `{"x":1}`, `null`, ``, `"\u0000"`,
		`{"price":1e999}`, `{"symbol":"A","symbol":"B"}`, `{"quantity":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&orderRequest{}, &loginRequest{}, &createUserRequest{}, &fundsRequest{}}
		for _, dst := range targets {
			err := decodeBytes(body, dst)
			if err == nil {
				if !json.Valid(body) {
					t.Fatalf("accepted invalid JSON %q", body)
				}
				if _, err := json.Marshal(dst); err != nil {
					t.Fatalf("decoded value does not encode: %v", err)
				}
				continue
			}
			var e *Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 || e.Code == "" {
				t.Fatalf("decodeBytes(%q) = %v, want a typed 4xx error", body, err)
			}
		}
	})
}
