package ratelimit

import "time"

// window is the stored state of one key: the number of the current fixed window
// (Unix milliseconds divided by the window length) and the units spent in it and in
// the window before it. The Redis script allow.lua mirrors take line by line.
type window struct {
	index int64
	cur   int64
	prev  int64
}

// verdict is what take decided, in milliseconds.
type verdict struct {
	allowed   bool
	remaining int64
	resetMs   int64
	retryMs   int64
}

// take rolls the state forward to nowMs and spends cost units if they fit under
// capacity. All comparisons are multiplied through by winMs, so they are exact.
func (w *window) take(nowMs, winMs, capacity, cost int64) verdict {
	idx := nowMs / winMs
	switch {
	case w.index > idx:
		// The clock went backwards: stay in the stored window instead of forgetting it.
		idx, nowMs = w.index, w.index*winMs
	case w.index == idx-1:
		w.prev, w.cur = w.cur, 0
	case w.index < idx-1:
		w.prev, w.cur = 0, 0
	}
	w.index = idx

	elapsed := nowMs - idx*winMs
	used := w.prev*(winMs-elapsed) + w.cur*winMs
	v := verdict{resetMs: winMs - elapsed}

	switch {
	case used+cost*winMs <= capacity*winMs:
		v.allowed = true
		w.cur += cost
		used += cost * winMs
	case w.cur+cost <= capacity:
		// Fits in this window once enough of the previous one has faded:
		// prev × (winMs − elapsed − d) ≤ (capacity − cur − cost) × winMs.
		v.retryMs = winMs - elapsed - (capacity-w.cur-cost)*winMs/w.prev
	default:
		// Only fits in the next window, where cur becomes the fading count:
		// cur × (winMs − e) ≤ (capacity − cost) × winMs, e ms into that window.
		v.retryMs = winMs - elapsed + winMs - (capacity-cost)*winMs/w.cur
	}
	v.remaining = max((capacity*winMs-used)/winMs, 0)

	return v
}

// expiresMs is when the state stops mattering: the end of the window after the
// current one, when the current count has faded out completely.
func (w *window) expiresMs(winMs int64) int64 {
	return (w.index + 2) * winMs
}

// decide turns a verdict into the Decision for rule.
func decide(rule Rule, v verdict) Decision {
	d := Decision{
		Allowed:   v.allowed,
		Limit:     rule.Capacity(),
		Remaining: int(v.remaining),
		Reset:     time.Duration(v.resetMs) * time.Millisecond,
	}
	if !v.allowed {
		d.RetryAfter = time.Duration(v.retryMs) * time.Millisecond
		d.Allowed, d.Shadowed = rule.Shadow, rule.Shadow
	}

	return d
}
