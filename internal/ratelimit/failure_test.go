package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/octopus-venue/octopus/internal/ratelimit"
)

// brokenLimiter fails every call with err.
type brokenLimiter struct{ err error }

func (b brokenLimiter) Allow(context.Context, ratelimit.Rule, string, int) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, b.err
}

func TestWithFailurePolicy(t *testing.T) {
	rule := ratelimit.Rule{Name: "api", Limit: 10, Burst: 2, Window: time.Minute}
	shadow := rule
	shadow.Shadow = true
	outage := fmt.Errorf("redis allow: %w", errors.New("connection refused"))
	misconfig := fmt.Errorf("%w: bad", ratelimit.ErrInvalidRule)

	closed := ratelimit.Decision{
		Limit:      12,
		Reset:      ratelimit.FailClosedRetryAfter,
		RetryAfter: ratelimit.FailClosedRetryAfter,
	}
	tests := []struct {
		name     string
		err      error
		rule     ratelimit.Rule
		failOpen bool
		want     ratelimit.Decision
	}{
		{
			name: "fail open allows", err: outage, rule: rule, failOpen: true,
			want: ratelimit.Decision{Allowed: true, Limit: 12},
		},
		{name: "fail closed refuses", err: outage, rule: rule, want: closed},
		{
			name: "misconfiguration refuses even when failing open",
			err:  misconfig, rule: rule, failOpen: true, want: closed,
		},
		{
			name: "shadow rule only flags when failing closed",
			err:  outage, rule: shadow,
			want: ratelimit.Decision{
				Allowed: true, Shadowed: true, Limit: 12,
				Reset: ratelimit.FailClosedRetryAfter, RetryAfter: ratelimit.FailClosedRetryAfter,
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reported []error
			l := ratelimit.WithFailurePolicy(brokenLimiter{tt.err}, tt.failOpen,
				func(err error) { reported = append(reported, err) })

			got, err := l.Allow(context.Background(), tt.rule, "k", 1)
			if err != nil {
				t.Fatalf("Allow() error = %v, want none", err)
			}
			if got != tt.want {
				t.Errorf("Allow() = %+v, want %+v", got, tt.want)
			}
			if len(reported) != 1 || !errors.Is(reported[0], tt.err) {
				t.Errorf("onError got %v, want [%v]", reported, tt.err)
			}
		})
	}
}

func TestWithFailurePolicyPassesDecisions(t *testing.T) {
	rule := ratelimit.Rule{Name: "api", Limit: 1, Window: time.Minute}
	called := false
	l := ratelimit.WithFailurePolicy(ratelimit.NewMemory(newFakeClock().Now), false,
		func(error) { called = true })

	mustAllow(t, l, rule, "k", 1)
	deny(t, l, rule, "k", 1)
	if called {
		t.Error("onError called without an error")
	}
}

func TestWithFailurePolicyNilCallback(t *testing.T) {
	l := ratelimit.WithFailurePolicy(brokenLimiter{errors.New("down")}, true, nil)
	mustAllow(t, l, ratelimit.Rule{Name: "api", Limit: 1, Window: time.Second}, "k", 1)
}

// TestRedisOutage points a limiter at a closed port: the error reaches onError and
// the policy decides, nothing reaches the caller. It needs no Redis server.
func TestRedisOutage(t *testing.T) {
	rule := ratelimit.Rule{Name: "api", Limit: 5, Window: time.Minute}
	tests := []struct {
		name        string
		failOpen    bool
		wantAllowed bool
	}{
		{name: "fail open allows", failOpen: true, wantAllowed: true},
		{name: "fail closed refuses", failOpen: false, wantAllowed: false},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reported error
			inner := ratelimit.NewRedis(deadRedisClient(t), "octopus-test:", nil)
			l := ratelimit.WithFailurePolicy(inner, tt.failOpen, func(err error) { reported = err })

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got, err := l.Allow(ctx, rule, "k", 1)
			if err != nil {
				t.Fatalf("Allow() error = %v, want none", err)
			}
			if got.Allowed != tt.wantAllowed {
				t.Errorf("Allow().Allowed = %v, want %v", got.Allowed, tt.wantAllowed)
			}
			if !tt.wantAllowed && got.RetryAfter != ratelimit.FailClosedRetryAfter {
				t.Errorf("RetryAfter = %v, want %v", got.RetryAfter, ratelimit.FailClosedRetryAfter)
			}
			if reported == nil {
				t.Error("onError was not called")
			}
		})
	}
}
