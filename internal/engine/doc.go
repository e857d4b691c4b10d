// Package engine is the matching engine: one limit order book per symbol with
// strict price-time priority.
//
// The engine is a pure, deterministic state machine. It does no I/O, reads no
// clock, logs nothing and starts no goroutines; a Book is owned by a single
// goroutine and is not safe for concurrent use. Prices are int64 ticks and
// quantities int64 lots, so no floating point ever touches an amount.
//
// The hot paths (add, cancel, match) do not allocate once the book has grown
// to its working size: resting orders live in a slab of 40-byte nodes linked
// into one FIFO per price level by int32 indices, an open-addressing table of
// 8-byte entries maps order ids to slots, a second small table maps prices to
// levels, and each side keeps its levels in a sorted slice with the best
// price at the end. A book holds up to 2^31-1 resting orders.
package engine
