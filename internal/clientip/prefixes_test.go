package clientip_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/octopus-venue/octopus/internal/clientip"
)

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    string
		wantErr []string
	}{
		{name: "empty list", input: "", want: "[]"},
		{name: "only separators", input: " , ,", want: "[]"},
		{name: "CIDR prefixes", input: "10.0.0.0/8,2001:db8::/32", want: "[10.0.0.0/8 2001:db8::/32]"},
		{name: "bare addresses", input: "192.0.2.1, ::1", want: "[192.0.2.1/32 ::1/128]"},
		{name: "host bits are cleared", input: "10.1.2.3/8", want: "[10.0.0.0/8]"},
		{name: "mapped address is unmapped", input: "::ffff:192.0.2.1", want: "[192.0.2.1/32]"},
		{name: "mapped prefix is unmapped", input: "::ffff:10.0.0.0/104", want: "[10.0.0.0/8]"},
		{
			name:    "every bad entry is reported",
			input:   "10.0.0.0/8, proxy.local, 10.0.0.0/33, 192.0.2.1",
			wantErr: []string{`"proxy.local"`, `"10.0.0.0/33"`},
		},
		{name: "zone is rejected", input: "fe80::1%eth0/64", wantErr: []string{`"fe80::1%eth0/64"`}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clientip.ParsePrefixes(tt.input)
			if len(tt.wantErr) > 0 {
				if !errors.Is(err, clientip.ErrInvalidPrefix) {
					t.Fatalf("ParsePrefixes() error = %v, want ErrInvalidPrefix", err)
				}
				for _, entry := range tt.wantErr {
					if !strings.Contains(err.Error(), entry) {
						t.Errorf("error %q does not name %s", err, entry)
					}
				}
				if got != nil {
					t.Errorf("ParsePrefixes() = %v with an error, want nil", got)
				}

				return
			}

			if err != nil {
				t.Fatalf("ParsePrefixes() error = %v", err)
			}
			if s := fmt.Sprint(got); s != tt.want {
				t.Errorf("ParsePrefixes() = %s, want %s", s, tt.want)
			}
		})
	}
}
