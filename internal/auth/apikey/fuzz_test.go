package apikey_test

import (
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/auth/apikey"
)

// FuzzParse checks that Parse never panics and accepts only the one text
// Generate would produce for the id and secret it returns.
func FuzzParse(f *testing.F) {
	f.Add(exampleFull)
	f.Add("oct_")
	f.Add("")

	f.Fuzz(func(t *testing.T, in string) {
		id, secret, err := apikey.Parse(in)
		if err != nil {
			if id != "" || secret != "" {
				t.Fatalf("Parse(%q) returned parts with error %v", in, err)
			}
			return
		}
		if in != apikey.Prefix+id+"_"+secret {
			t.Fatalf("Parse(%q) = %q, %q: does not rebuild the input", in, id, secret)
		}
		if len(id) != apikey.IDLen || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("Parse(%q): bad id %q", in, id)
		}
		raw, err := apikey.DecodeSecret(secret)
		if err != nil || len(raw) != apikey.SecretLen {
			t.Fatalf("Parse(%q): secret does not decode: %v", in, err)
		}
	})
}
