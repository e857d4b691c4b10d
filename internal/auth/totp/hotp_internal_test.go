package totp

import "testing"

// rfcKey is the ASCII secret of the RFC 4226 and RFC 6238 SHA-1 vectors.
var rfcKey = []byte("12345678901234567890")

// TestHOTPVectors checks RFC 4226 Appendix D.
func TestHOTPVectors(t *testing.T) {
	want := []string{
		"755224", "287082", "359152", "969429", "338314",
		"254676", "287922", "162583", "399871", "520489",
	}
	for counter, w := range want {
		if got := hotp(rfcKey, uint64(counter), 6); got != w {
			t.Errorf("hotp(counter %d) = %s, want %s", counter, got, w)
		}
	}
}

// TestTOTPVectors checks the SHA-1 rows of RFC 6238 Appendix B, which are
// eight digits long.
func TestTOTPVectors(t *testing.T) {
	tests := []struct {
		unix int64
		want string
	}{
		{unix: 59, want: "94287082"},
		{unix: 1111111109, want: "07081804"},
		{unix: 1111111111, want: "14050471"},
		{unix: 1234567890, want: "89005924"},
		{unix: 2000000000, want: "69279037"},
		{unix: 20000000000, want: "65353130"},
	}
	for _, tt := range tests {
		step := uint64(tt.unix / Period)
		if got := hotp(rfcKey, step, 8); got != tt.want {
			t.Errorf("T=%d: got %s, want %s", tt.unix, got, tt.want)
		}
	}
}
