package ratelimit_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

func TestWriteHeaders(t *testing.T) {
	api := ratelimit.Rule{Name: "api", Limit: 100, Burst: 20, Window: time.Minute}
	login := ratelimit.Rule{Name: "login", Limit: 5, Window: 1500 * time.Millisecond}
	shadow := ratelimit.Rule{Name: "trial", Limit: 1, Window: time.Second, Shadow: true}

	type call struct {
		rule ratelimit.Rule
		d    ratelimit.Decision
	}
	tests := []struct {
		name  string
		calls []call
		want  http.Header
	}{
		{
			name: "allowed",
			calls: []call{{api, ratelimit.Decision{
				Allowed: true, Limit: 120, Remaining: 57, Reset: 30 * time.Second,
			}}},
			want: http.Header{
				"Ratelimit-Policy": {`"api";q=120;w=60`},
				"Ratelimit":        {`"api";r=57;t=30`},
			},
		},
		{
			name: "refused rounds every duration up",
			calls: []call{{login, ratelimit.Decision{
				Limit: 5, Reset: 1001 * time.Millisecond, RetryAfter: 2100 * time.Millisecond,
			}}},
			want: http.Header{
				"Ratelimit-Policy": {`"login";q=5;w=2`},
				"Ratelimit":        {`"login";r=0;t=2`},
				"Retry-After":      {"3"},
			},
		},
		{
			name:  "refused with sub-second wait still says one second",
			calls: []call{{login, ratelimit.Decision{Limit: 5, RetryAfter: time.Millisecond}}},
			want: http.Header{
				"Ratelimit-Policy": {`"login";q=5;w=2`},
				"Ratelimit":        {`"login";r=0;t=0`},
				"Retry-After":      {"1"},
			},
		},
		{
			name:  "negative remaining is clamped",
			calls: []call{{api, ratelimit.Decision{Allowed: true, Remaining: -3}}},
			want: http.Header{
				"Ratelimit-Policy": {`"api";q=120;w=60`},
				"Ratelimit":        {`"api";r=0;t=0`},
			},
		},
		{
			name: "several rules share the list and the longest wait",
			calls: []call{
				{api, ratelimit.Decision{Remaining: 0, Reset: 10 * time.Second, RetryAfter: 9 * time.Second}},
				{login, ratelimit.Decision{Remaining: 1, Reset: time.Second, RetryAfter: 4 * time.Second}},
			},
			want: http.Header{
				"Ratelimit-Policy": {`"api";q=120;w=60, "login";q=5;w=2`},
				"Ratelimit":        {`"api";r=0;t=10, "login";r=1;t=1`},
				"Retry-After":      {"9"},
			},
		},
		{
			name:  "shadow rule writes nothing",
			calls: []call{{shadow, ratelimit.Decision{Allowed: true, Shadowed: true, RetryAfter: time.Second}}},
			want:  http.Header{},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, c := range tt.calls {
				ratelimit.WriteHeaders(h, c.rule, c.d)
			}

			if len(h) != len(tt.want) {
				t.Errorf("headers = %v, want %v", h, tt.want)
			}
			for name, want := range tt.want {
				if got := h.Values(name); len(got) != 1 || got[0] != want[0] {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}
