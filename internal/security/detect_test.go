package security

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

type captured struct {
	mu     sync.Mutex
	events []string
}

func (c *captured) Record(_ context.Context, typ string, _ int64, _ string, _ string) {
	c.mu.Lock()
	c.events = append(c.events, typ)
	c.mu.Unlock()
}

func TestDetector(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	cfg := DetectorConfig{ErrorThreshold: 5, IDWalkThreshold: 4, Window: time.Minute,
		ReadWindow: time.Minute, ReadFactor: 3, ReadMinimum: 20, Cooldown: time.Hour}
	tests := []struct {
		name string
		reqs func() []Request
		want []string
	}{
		{"burst of 401 from one IP", func() []Request {
			var rs []Request
			for i := range 6 {
				rs = append(rs, Request{Time: t0.Add(time.Duration(i) * time.Second),
					ClientIP: "10.0.0.9", Status: 401, Route: "GET /api/v1/me"})
			}
			return rs
		}, []string{SuspiciousAPIUsage}},
		{"errors spread beyond the window", func() []Request {
			var rs []Request
			for i := range 8 {
				rs = append(rs, Request{Time: t0.Add(time.Duration(i) * 30 * time.Second),
					ClientIP: "10.0.0.9", Status: 403})
			}
			return rs
		}, nil},
		{"id walking", func() []Request {
			var rs []Request
			for i := range 4 {
				rs = append(rs, Request{Time: t0, UserID: 7, ClientIP: "10.0.0.1", Status: 404,
					Route: "GET /api/v1/orders/{id}", Path: fmt.Sprintf("/api/v1/orders/%d", i)})
			}
			return rs
		}, []string{SuspiciousAPIUsage}},
		{"reads far above the baseline", func() []Request {
			var rs []Request
			for m := range 3 { // three quiet minutes of 5 reads
				for i := range 5 {
					rs = append(rs, Request{Time: t0.Add(time.Duration(m)*time.Minute + time.Duration(i)),
						UserID: 3, Method: "GET", Status: 200})
				}
			}
			for i := range 25 { // then 25 in one minute: above max(20, 3×5)
				rs = append(rs, Request{Time: t0.Add(3*time.Minute + time.Duration(i)), UserID: 3,
					Method: "GET", Status: 200})
			}
			return rs
		}, []string{DataAccessAnomaly}},
		{"steady heavy reader is its own baseline", func() []Request {
			var rs []Request
			for m := range 4 {
				for i := range 30 {
					rs = append(rs, Request{Time: t0.Add(time.Duration(m)*time.Minute + time.Duration(i)),
						UserID: 4, Method: "GET", Status: 200})
				}
			}
			return rs
		}, []string{DataAccessAnomaly}}, // only the very first window, before a baseline exists
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &captured{}
			d := NewDetector(cfg, c)
			for _, r := range tt.reqs() {
				d.Observe(context.Background(), r)
			}
			if fmt.Sprint(c.events) != fmt.Sprint(tt.want) {
				t.Fatalf("events = %v, want %v", c.events, tt.want)
			}
		})
	}
}
