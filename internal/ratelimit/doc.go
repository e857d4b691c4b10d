// Package ratelimit limits how often a key (a client address, an account, an API key)
// may use a route, and blocks addresses that keep exceeding their limits.
//
// # Algorithm
//
// Both backends implement the weighted two-bucket sliding window counter. Time is cut
// into fixed windows of Rule.Window; a key keeps the count of the current window and
// of the one before it. A request at fraction f of the current window sees
//
//	used = previous × (1 − f) + current
//
// and is allowed when used + cost ≤ Limit + Burst. The previous window's weight
// slides from one to zero as time passes, so there is no cliff at a window boundary
// where a fixed window would hand out twice the limit.
//
// An exact sliding log was rejected because keys are chosen by clients: a log keeps
// one entry per admitted unit, so memory per key grows with the limit, and in Redis
// each check would trim and sum a sorted set inside a script that blocks every other
// client while it runs. The counter needs three integers per key and constant work.
// Its price is an estimate that assumes the previous window's requests were spread
// evenly; the error is small for real traffic and never lets a key exceed its
// capacity within any single fixed window.
//
// All arithmetic is integer milliseconds, scaled by the window length so that no
// fraction is ever rounded: the Go code and the Redis script reach the same answer
// for the same inputs, and the shared test suite holds both to it.
//
// # Time
//
// Memory takes its clock as a function. Redis takes one too, but a nil clock makes
// every script read the Redis server's TIME instead: processes on several hosts then
// share one clock, so their skew cannot move a key between windows or stretch a block.
// Production passes nil; tests pass a fake clock to drive windows and expiry. Each
// Redis value stores its own expiry time and scripts compare it with the chosen
// clock, key TTLs only collect garbage, so the two time sources are never mixed.
package ratelimit
