package siem

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	none := func(int64) int64 { return 0 }
	most := func(n int64) int64 { return n - 1 }
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		want    time.Duration
	}{
		{"first, no jitter", Backoff{Base: time.Second, Max: time.Minute, Jitter: none}, 1, 500 * time.Millisecond},
		{"first, full jitter", Backoff{Base: time.Second, Max: time.Minute, Jitter: most}, 1, time.Second},
		{"doubles", Backoff{Base: time.Second, Max: time.Minute, Jitter: most}, 4, 8 * time.Second},
		{"capped", Backoff{Base: time.Second, Max: 10 * time.Second, Jitter: most}, 10, 10 * time.Second},
		{"capped, no jitter", Backoff{Base: time.Second, Max: 10 * time.Second, Jitter: none}, 99, 5 * time.Second},
		{"huge attempt does not overflow", Backoff{Base: time.Second, Max: time.Hour, Jitter: most}, 1 << 30, time.Hour},
		{"defaults", Backoff{Jitter: most}, 1, DefaultBackoffBase},
		{"defaults capped", Backoff{Jitter: most}, 50, DefaultBackoffMax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Delay(tt.attempt); got != tt.want {
				t.Errorf("Delay(%d) = %s, want %s", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestBackoffJitterStaysInRange(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; attempt < 8; attempt++ {
		step := min(b.Base<<(attempt-1), b.Max)
		for range 50 {
			d := b.Delay(attempt)
			if d < step/2 || d > step {
				t.Fatalf("Delay(%d) = %s outside [%s, %s]", attempt, d, step/2, step)
			}
		}
	}
}
